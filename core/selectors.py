from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from core.access import Action, Area, roles_with
from core.models import AuditEvent, Controller, PlatformAuditEvent


def controllers_of(user: Any) -> QuerySet[Controller]:
    return Controller.objects.filter(pk__in=user.controller_ids()).order_by("name")


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """The events of the user's controllers (the DPO's audit log). Platform events, which belong
    to no controller, are never among them: administrators read those (`audit_events_platform`)."""
    return AuditEvent.objects.filter(controller_id__in=user.controller_ids()).select_related("actor", "controller")


def audit_events_platform() -> QuerySet[PlatformAuditEvent]:
    """Events of no controller (core.audit): the administrators' read-only list in the admin."""
    return PlatformAuditEvent.objects.select_related("actor")


def staff_with_access(area: Area, action: Action, *, controller_ids: Iterable[int] | None = None) -> QuerySet:
    """Active staff whose role grants `action` on `area` (core.access), granted any of these
    controllers: who may be a task's assignee, a complaint's handler, a request's assignee."""
    users = get_user_model().objects.filter(is_active=True, groups__name__in=roles_with(area, action))
    if controller_ids is not None:
        users = users.filter(memberships__controller_id__in=list(controller_ids))
    return users.distinct().order_by("username")
