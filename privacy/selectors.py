"""Reads of the privacy app. Views, serializers and tasks call these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from core.audit import audit_log, audit_log_many
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.personal_data import registry
from privacy import deadlines, discovery
from privacy.models import OPEN_STATUSES, PrivacyRequest, RequestExport, RequestMatch
from privacy.readable import readable_fields, record_type_name


def requests_visible(user: Any) -> QuerySet[PrivacyRequest]:
    """The requests of the user's controllers (the scoped manager), newest first."""
    return (
        PrivacyRequest.objects.select_related("controller")
        .prefetch_related("identifiers")
        .order_by("-received_at", "-id")
    )


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


@dataclass
class MatchRow:
    """A match as the DPO's page shows it: the record's type by name and its fields readable."""

    match: RequestMatch
    type_name: str
    acted_on: bool
    fields: list[tuple[str, str]] = field(default_factory=list)
    exists: bool = True


def match_rows(*, request: PrivacyRequest, actor: Any) -> list[MatchRow]:
    """The request's matches for its page: two queries for the matches and their identifiers,
    one per record type for the records (each shown record audited)."""
    matches = discovery.matches_of(request)
    previews = match_previews(request=request, matches=matches, actor=actor)
    rows = []
    for match in matches:
        preview = previews.get((match.record_type, match.record_id))
        declaration = registry.get(match.record_type)
        rows.append(
            MatchRow(
                match=match,
                type_name=record_type_name(match.record_type),
                acted_on=discovery.is_acted_on(match),
                fields=readable_fields(declaration, preview) if preview else [],
                exists=preview is not None,
            )
        )
    return rows


def discovery_state(request: PrivacyRequest) -> str:
    """Why the request cannot be executed yet as far as discovery goes ("" when it can)."""
    try:
        discovery.require_matches_reviewed(request)
    except Conflict as waiting:
        return waiting.message
    return ""


def erasure_preview(request: PrivacyRequest) -> list[tuple[str, int]]:
    """(record type by name, rows) an erasure would delete, before any reason to keep a row is
    weighed: the records acted on and every row living with them."""
    records = discovery.records_with_dependents(request)
    return [(record_type_name(key), len(pks)) for key, pks in records.items() if pks]


def execution_report_rows(request: PrivacyRequest) -> dict[str, Any]:
    """The execution report with record types by name and keep reasons in words."""
    from privacy.letters import keep_reason_names

    report = request.execution_report or {}
    reasons = keep_reason_names()
    return {
        "deleted": [(record_type_name(key), ids) for key, ids in (report.get("deleted") or {}).items() if ids],
        "kept": [
            (record_type_name(key), record_id, [reasons.get(code, code) for code in codes])
            for key, rows in (report.get("kept") or {}).items()
            for record_id, codes in rows.items()
        ],
        # Kept records an erasure still waits for: erased by the first purge after the reason ends.
        "pending": [
            (record_type_name(key), record_id, [reasons.get(code, code) for code in codes])
            for key, rows in (report.get("pending") or {}).items()
            for record_id, codes in rows.items()
        ],
        "files_deleted": report.get("files_deleted"),
        "records": [(record_type_name(key), count) for key, count in (report.get("records") or {}).items()],
        "changed": [
            (record_type_name(key), count)
            for part in ("restricted", "objected")
            for key, count in (report.get(part) or {}).items()
        ],
        "rectified": report.get("rectified") or [],
    }
