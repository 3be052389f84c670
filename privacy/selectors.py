"""Reads of the privacy app. Views, serializers and tasks call these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from core.audit import audit_log, audit_log_many
from core.models import AuditAction, AuditPurpose
from core.personal_data import registry
from privacy import deadlines
from privacy.models import OPEN_STATUSES, PrivacyRequest, RequestExport, RequestMatch


def requests_visible(user: Any) -> QuerySet[PrivacyRequest]:
    """The requests of the user's controllers (the scoped manager), newest first."""
    return PrivacyRequest.objects.select_related("controller").order_by("-received_at", "-id")


def requests_open_by_due_date() -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(status__in=OPEN_STATUSES).select_related("controller").order_by("due_at", "id")


def is_overdue(request: PrivacyRequest, now: dt.datetime) -> bool:
    return request.is_open and deadlines.today_in_helsinki(now) > request.due_at


def latest_export(request: PrivacyRequest) -> RequestExport | None:
    return request.exports.order_by("-created_at", "-id").first()


def audit_request_viewed(*, request: PrivacyRequest, actor: Any) -> None:
    audit_log(actor=actor, action=AuditAction.VIEW, purpose=AuditPurpose.DATA_SUBJECT_REQUEST, obj=request)


def match_previews(
    *, request: PrivacyRequest, matches: list[RequestMatch], actor: Any
) -> dict[tuple[str, int], dict[str, Any]]:
    """Each matched record as exported, for the DPO's review: one query per record type, and one
    audit event per record shown."""
    by_type: dict[str, list[int]] = {}
    for match in matches:
        by_type.setdefault(match.record_type, []).append(match.record_id)
    previews: dict[tuple[str, int], dict[str, Any]] = {}
    for key, pks in by_type.items():
        declaration = registry.get(key)
        rows = list(declaration.queryset().filter(controller_id=request.controller_id, pk__in=pks))
        for row in rows:
            previews[(key, row.pk)] = declaration.export_row(row)
        if rows:
            audit_log_many(
                actor=actor,
                action=AuditAction.VIEW,
                purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
                objects=rows,
                details={"request": request.pk},
            )
    return previews
