from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from core.models import AuditEvent, Controller


def controllers_of(user: Any) -> QuerySet[Controller]:
    return Controller.objects.filter(pk__in=user.controller_ids()).order_by("name")


def audit_events_visible_to(user: Any) -> QuerySet[AuditEvent]:
    """The DPO sees the events of their controllers and controller-less ones (logins, jobs)."""
    return AuditEvent.objects.filter(
        Q(controller_id__in=user.controller_ids()) | Q(controller__isnull=True)
    ).select_related("actor", "controller")
