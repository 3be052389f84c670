from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from core.access import Action, Area, roles_with
from core.models import AuditEvent, Controller


def controllers_of(user: Any) -> QuerySet[Controller]:
    return Controller.objects.filter(pk__in=user.controller_ids()).order_by("name")


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """The DPO sees the events of their controllers and controller-less ones (logins, jobs)."""
    return AuditEvent.objects.filter(
        Q(controller_id__in=user.controller_ids()) | Q(controller__isnull=True)
    ).select_related("actor", "controller")


def staff_with_access(area: Area, action: Action, *, controller_ids: Iterable[int] | None = None) -> QuerySet:
    """Active staff whose role grants `action` on `area` (core.access), granted any of these
    controllers: who may be a task's assignee, a complaint's handler, a request's assignee."""
    users = get_user_model().objects.filter(is_active=True, groups__name__in=roles_with(area, action))
    if controller_ids is not None:
        users = users.filter(memberships__controller_id__in=list(controller_ids))
    return users.distinct().order_by("username")
