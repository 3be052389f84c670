"""Erasure (art. 17): everything matched, except what must be kept, through the purge's own
deletion code (`retention.deletion.delete_rows`).

Invariants:
1. One deletion path. Rows go only through `delete_rows`, which re-checks every keep reason of
   the registry inside its DELETE (legal hold, open task, open complaint, restriction, an open
   request) and deletes files after the commit. Nothing here deletes a row by itself.
2. A record whose declaration says `erasure_waits_for_retention` (a complaint, for possible
   legal claims, art. 17(3)(e)) is kept until its retention period has run, with that reason.
3. The report lists every record deleted and every record kept with its reasons; running an
   erasure again for the same subject deletes nothing more and reports the same kept records.
4. Copies the system made go too: earlier access copies (ZIPs) of the subject at the controller.
5. The erasure ledger keeps only ids and keyed hashes (HMAC-SHA256 with `ERASURE_LEDGER_KEY`),
   so that `replay_erasures` can erase the same rows again after a backup is restored, and only
   rows still carrying one of the subject's identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.personal_data import PersonalDataType, registry
from privacy.discovery import included_records, subject_identifiers
from privacy.execution import notifications_create
from privacy.letters import letter_generate
from privacy.models import ErasureLedgerEntry, LetterKind, PrivacyRequest
from privacy.services import request_complete, require_identity_checked, require_open
from retention.deletion import DeletionResult, delete_rows

PURPOSE = AuditPurpose.DATA_SUBJECT_REQUEST
# A complaint still within its legal-claims period (art. 17(3)(e)).
LEGAL_CLAIMS_PERIOD = "legal_claims_period"


def ledger_key() -> bytes:
    return (getattr(settings, "ERASURE_LEDGER_KEY", "") or settings.SECRET_KEY).encode()


def identifier_hash(value: str) -> str:
    return hmac.new(ledger_key(), value.strip().lower().encode(), hashlib.sha256).hexdigest()


def subject_hashes(request: PrivacyRequest) -> list[str]:
    emails, phones = subject_identifiers(request)
    values = [*emails, *phones, *([request.name] if request.name.strip() else [])]
    return sorted({identifier_hash(value) for value in values})


def deletion_order(keys: Iterable[str]) -> list[str]:
    """Record types ordered so that a row goes before the rows it points at (a contact before its
    task and customer), read from the models' foreign keys: no model is named here."""
    keys = list(dict.fromkeys(keys))
    models_by_key = {key: registry.get(key).model for key in keys}
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in ordered or key in visiting:
            return
        visiting.add(key)
        model = models_by_key[key]
        for other_key, other_model in models_by_key.items():
            # Rows of `other` point at rows of `key`: they must go first.
            if other_key != key and any(
                f.is_relation and f.concrete and f.related_model is model for f in other_model._meta.get_fields()
            ):
                visit(other_key)
        visiting.discard(key)
        ordered.append(key)

    for key in keys:
        visit(key)
    return ordered


def _waiting_for_retention(declaration: type[PersonalDataType], pks: list[int], now: Any) -> set[int]:
    if not declaration.erasure_waits_for_retention:
        return set()
    due = declaration.due_q(now)
    rows = declaration.queryset().filter(pk__in=pks)
    not_due = rows.exclude(due) if due is not None else rows
    return set(not_due.values_list("pk", flat=True))


def erase_records(
    *, records: dict[str, list[int]], now: Any, actor: Any, request_pk: int
) -> tuple[DeletionResult, dict[str, dict[int, list[str]]]]:
    """Delete the records through the purge's code; returns its result and the rows kept back
    here for their legal-claims period."""
    total = DeletionResult()
    waiting: dict[str, dict[int, list[str]]] = {}
    for key in deletion_order(records):
        declaration = registry.get(key)
        pks = records[key]
        held_back = _waiting_for_retention(declaration, pks, now)
        if held_back:
            waiting[key] = {pk: [LEGAL_CLAIMS_PERIOD] for pk in sorted(held_back)}
        to_delete = [pk for pk in pks if pk not in held_back]
        result = delete_rows(
            declaration=declaration,
            pks=to_delete,
            now=now,
            actor=actor,
            action=AuditAction.ERASE,
            purpose=PURPOSE,
            audit_details={"request": request_pk},
        )
        total.merge(result)
    return total, waiting


def _subject_exports(request: PrivacyRequest) -> list[int]:
    """Earlier copies (ZIPs) made for requests by the same subject at this controller."""
    emails, phones = subject_identifiers(request)
    same_subject = Q(email__in=emails) if emails else Q(pk__in=[])
    if phones:
        same_subject |= Q(phone__in=phones)
    requests = PrivacyRequest.all_controllers.filter(same_subject, controller_id=request.controller_id)
    exports = registry.get("privacy.requestexport")
    return list(exports.queryset().filter(request__in=requests).values_list("pk", flat=True))


def request_erase(*, request: PrivacyRequest, actor: Any) -> PrivacyRequest:
    now = timezone.now()
    with transaction.atomic():
        request = PrivacyRequest.all_controllers.select_for_update().get(pk=request.pk)
        require_identity_checked(request)
        require_open(request)
        records = included_records(request)
        notifications_create(request=request, records=records)
        result, waiting = erase_records(records=records, now=now, actor=actor, request_pk=request.pk)
        exports = delete_rows(
            declaration=registry.get("privacy.requestexport"),
            pks=_subject_exports(request),
            now=now,
            actor=actor,
            action=AuditAction.ERASE,
            purpose=PURPOSE,
            audit_details={"request": request.pk},
        )
        kept: dict[str, dict[str, list[str]]] = {}
        for source in (result.kept, waiting):
            for key, rows in source.items():
                for pk, codes in rows.items():
                    kept.setdefault(key, {}).setdefault(str(pk), [])
                    kept[key][str(pk)] = sorted({*kept[key][str(pk)], *codes})
        deleted = {key: sorted(ids) for key, ids in result.deleted.items() if ids}
        hashes = subject_hashes(request)
        ErasureLedgerEntry.objects.bulk_create(
            ErasureLedgerEntry(
                controller_id=request.controller_id,
                request_id_ref=request.pk,
                record_type=key,
                record_ids=ids,
                identifier_hashes=hashes,
                erased_at=now,
            )
            for key, ids in deleted.items()
            if _identifier_paths(registry.get(key))
        )
        report = {
            "deleted": deleted,
            "kept": kept,
            "files_deleted": result.files_deleted + exports.files_deleted,
            "copies_deleted": len(exports.deleted.get("privacy.requestexport", [])),
        }
        if request.status == "verified":
            request.status = "in_progress"
        request_complete(request=request, report=report, actor=actor)
        audit_log(
            actor=actor,
            action=AuditAction.ERASE,
            purpose=PURPOSE,
            obj=request,
            details={"deleted": sum(len(ids) for ids in deleted.values()), "kept": sum(len(r) for r in kept.values())},
        )
        letter_generate(request=request, kind=LetterKind.ERASURE, actor=actor)
    return request


def _identifier_paths(declaration: type[PersonalDataType]) -> list[str]:
    return [*declaration.email_paths, *declaration.phone_paths, *declaration.name_paths]


def _rows_still_the_subjects(declaration: type[PersonalDataType], entry: ErasureLedgerEntry) -> list[int]:
    """Of the entry's ids, the rows at its controller that still carry one of its identifiers:
    after a restore, an id reused by someone else's row is never touched."""
    paths = _identifier_paths(declaration)
    hashes = set(entry.identifier_hashes)
    rows = declaration.queryset().filter(controller_id=entry.controller_id, pk__in=entry.record_ids)
    found: set[int] = set()
    for values in rows.values_list("pk", *paths):
        pk, identifiers = values[0], values[1:]
        if any(value and identifier_hash(str(value)) in hashes for value in identifiers):
            found.add(pk)
    return sorted(found)


def erasures_replay(*, actor: Any = "replay_erasures") -> dict[str, int]:
    """Erase again what the ledger says was erased (after a backup was restored). Idempotent:
    rows already gone are simply not found."""
    now = timezone.now()
    counts: dict[str, int] = {}
    entries = list(ErasureLedgerEntry.objects.order_by("erased_at", "id"))
    by_request: dict[int, list[ErasureLedgerEntry]] = {}
    for entry in entries:
        by_request.setdefault(entry.request_id_ref, []).append(entry)
    for request_pk, request_entries in by_request.items():
        by_key = {entry.record_type: entry for entry in request_entries}
        for key in deletion_order(by_key):
            entry = by_key[key]
            declaration = registry.get(key)
            pks = _rows_still_the_subjects(declaration, entry)
            with transaction.atomic():
                result = delete_rows(
                    declaration=declaration,
                    pks=pks,
                    now=now,
                    actor=actor,
                    action=AuditAction.ERASE,
                    purpose=PURPOSE,
                    audit_details={"request": request_pk, "replay": True},
                )
            for deleted_key, ids in result.deleted.items():
                counts[deleted_key] = counts.get(deleted_key, 0) + len(ids)
    return counts
