"""Erasure (art. 17): everything matched, except what must be kept, through the purge's own
deletion code (`retention.deletion.delete_rows`).

Invariants:
1. One deletion path. Rows go only through `delete_rows`, which re-checks every keep reason of
   the registry inside its DELETE (legal hold, open task, open complaint, restriction, an open
   request) and deletes files after the commit. Nothing here deletes a row by itself.
2. A record whose declaration says `erasure_waits_for_retention` (a complaint, for possible
   legal claims, art. 17(3)(e)) is kept until its retention period has run, with that reason.
3. The report lists every record deleted, every record kept with every reason that applies to
   it, and the files deleted; running an erasure again for the same subject deletes nothing more
   and reports the same kept records.
4. Deferred, not forgotten. A record kept only for a reason that ends (an open task or
   complaint, a hold, a restriction) is pending: the request stays in progress, and the first
   purge after the reason ends erases it (`erasures_pending_finish`, run after every purge).
   The request completes, with its letter, when its last pending record goes.
5. Copies the system made go too: earlier access copies (ZIPs) of the subject at the controller.
6. Every pass is written to the erasure ledger (privacy.erasure_ledger), outside the database,
   before its transaction commits, so that `replay_erasures` erases the same rows and files
   again after a backup is restored, and only rows still carrying one of the subject's
   identifiers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.personal_data import PersonalDataType, registry
from core.scoping import unscoped
from privacy.discovery import included_records, subject_identifiers
from privacy.erasure_ledger import (
    LedgerEntry,
    file_hash,
    identifier_hash,
    ledger_append,
    ledger_entries,
)
from privacy.execution import notifications_create
from privacy.letters import letter_generate
from privacy.models import LetterKind, PrivacyRequest, RequestKind, RequestStatus
from privacy.services import request_complete, require_identity_checked, require_open
from retention.deletion import STILL_REFERENCED, DeletionResult, delete_rows, keep_conditions
from retention.models import FileTombstone

PURPOSE = AuditPurpose.DATA_SUBJECT_REQUEST
# A complaint still within its legal-claims period (art. 17(3)(e)).
LEGAL_CLAIMS_PERIOD = "legal_claims_period"
# Reasons that keep a record without making it pending: the legal-claims period runs its full
# length (the purge takes the record then), and a record still referred to goes with the record
# referring to it (a customer with its last contact), or stays with someone else's record.
NOT_PENDING_REASONS = frozenset({LEGAL_CLAIMS_PERIOD, STILL_REFERENCED})
DEFERRED_ACTOR = "erasure"


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


def _reasons_for(declaration: type[PersonalDataType], pks: Collection[int], now: Any) -> dict[int, list[str]]:
    """Every keep reason of the registry that applies to each of these rows at `now`."""
    reasons: dict[int, list[str]] = {}
    if not pks:
        return reasons
    rows = declaration.queryset().filter(pk__in=list(pks))
    for code, condition in keep_conditions(declaration):
        for pk in rows.filter(condition).values_list("pk", flat=True):
            reasons.setdefault(pk, []).append(code)
    return reasons


def erase_records(
    *, records: dict[str, list[int]], now: Any, actor: Any, request_pk: int
) -> tuple[DeletionResult, dict[str, dict[int, list[str]]]]:
    """Delete the records through the purge's code; returns its result and every row kept, each
    with all the reasons that apply to it (the legal-claims period and any other)."""
    total = DeletionResult()
    kept: dict[str, dict[int, list[str]]] = {}
    for key in deletion_order(records):
        declaration = registry.get(key)
        pks = records[key]
        held_back = _waiting_for_retention(declaration, pks, now)
        if held_back:
            # Not offered to the deletion, so its other reasons (a hold) are looked up here.
            others = _reasons_for(declaration, held_back, now)
            for pk in held_back:
                kept.setdefault(key, {})[pk] = [LEGAL_CLAIMS_PERIOD, *others.get(pk, [])]
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
    for key, rows in total.kept.items():
        for pk, codes in rows.items():
            kept.setdefault(key, {})[pk] = [*kept.get(key, {}).get(pk, []), *codes]
    return total, {key: {pk: sorted(set(codes)) for pk, codes in rows.items()} for key, rows in kept.items()}


def pending_records(kept: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    """The kept records an erasure waits for: kept only for reasons that end."""
    pending: dict[str, dict[str, list[str]]] = {}
    for key, rows in kept.items():
        for pk, codes in rows.items():
            if codes and not NOT_PENDING_REASONS.intersection(codes):
                pending.setdefault(key, {})[pk] = codes
    return pending


def _subject_exports(request: PrivacyRequest) -> list[int]:
    """Earlier copies (ZIPs) made for requests by the same subject at this controller."""
    emails, phones = subject_identifiers(request)
    same_subject = Q(email__in=emails) if emails else Q(pk__in=[])
    if phones:
        same_subject |= Q(phone__in=phones)
    requests = PrivacyRequest.all_controllers.filter(same_subject, controller_id=request.controller_id)
    exports = registry.get("privacy.requestexport")
    return list(exports.queryset().filter(request__in=requests).values_list("pk", flat=True))


def _tombstone_mark() -> int:
    last = FileTombstone.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def _files_since(mark: int, now: Any) -> list[str]:
    """Names of the files this pass recorded for deletion (deleted after its commit)."""
    tombstones = FileTombstone.objects.filter(pk__gt=mark, recorded_at=now)
    return list(tombstones.values_list("name", flat=True))


def _ledger_write(
    *, request: PrivacyRequest, deleted: dict[str, list[int]], copies: list[int], files: list[str], now: Any
) -> None:
    records = {key: ids for key, ids in deleted.items() if ids and _identifier_paths(registry.get(key))}
    if not (records or copies or files):
        return
    # Written before the commit: if the transaction then fails, a replay erases only what this
    # erasure was going to erase anyway (every keep reason is checked again); written after it,
    # a crash in between would leave an erasure that a restore silently undoes.
    ledger_append(
        entry=LedgerEntry(
            controller_id=request.controller_id,
            request_id=request.pk,
            erased_at=now.isoformat(),
            identifier_hashes=subject_hashes(request),
            records=records,
            copies=copies,
            file_hashes=sorted({file_hash(name) for name in files}),
        )
    )


def _answer(*, request: PrivacyRequest, report: dict[str, Any], actor: Any) -> None:
    """Complete the request when nothing is pending; otherwise keep it in progress with the report
    of what was done so far. Either way the subject gets a letter saying what was erased and what
    is kept, and why (art. 12(3): an answer within the deadline, even while records wait)."""
    if report["pending"]:
        request.status = RequestStatus.IN_PROGRESS
        request.execution_report = report
        request.executed_at = timezone.now()
        request.executed_by = actor if getattr(actor, "is_authenticated", False) else None
        request.save(update_fields=["status", "execution_report", "executed_at", "executed_by"])
    else:
        request_complete(request=request, report=report, actor=actor)
    letter_generate(request=request, kind=LetterKind.ERASURE, actor=actor)


def request_erase(*, request: PrivacyRequest, actor: Any) -> PrivacyRequest:
    now = timezone.now()
    with transaction.atomic():
        request = PrivacyRequest.all_controllers.select_for_update().get(pk=request.pk)
        require_identity_checked(request)
        require_open(request)
        records = included_records(request)
        notifications_create(request=request, records=records)
        mark = _tombstone_mark()
        result, kept_rows = erase_records(records=records, now=now, actor=actor, request_pk=request.pk)
        exports = delete_rows(
            declaration=registry.get("privacy.requestexport"),
            pks=_subject_exports(request),
            now=now,
            actor=actor,
            action=AuditAction.ERASE,
            purpose=PURPOSE,
            audit_details={"request": request.pk},
        )
        kept = {key: {str(pk): codes for pk, codes in sorted(rows.items())} for key, rows in kept_rows.items() if rows}
        deleted = {key: sorted(ids) for key, ids in result.deleted.items() if ids}
        copies = sorted(exports.deleted.get("privacy.requestexport", []))
        _ledger_write(request=request, deleted=deleted, copies=copies, files=_files_since(mark, now), now=now)
        # Executed again while records were pending: what went the first time stays reported.
        earlier = request.execution_report or {}
        for key, ids in (earlier.get("deleted") or {}).items():
            deleted[key] = sorted({*deleted.get(key, []), *ids})
        report = {
            "deleted": deleted,
            "kept": kept,
            "pending": pending_records(kept),
            # Files are removed after the commit (or by the sweep after a crash): counted when
            # recorded, as the purge counts them, since the report is saved before the commit.
            "files_deleted": int(earlier.get("files_deleted") or 0) + result.files_recorded + exports.files_recorded,
            "copies_deleted": int(earlier.get("copies_deleted") or 0) + len(copies),
        }
        _answer(request=request, report=report, actor=actor)
        audit_log(
            actor=actor,
            action=AuditAction.ERASE,
            purpose=PURPOSE,
            obj=request,
            details={
                "deleted": sum(len(ids) for ids in deleted.values()),
                "kept": sum(len(r) for r in kept.values()),
                "pending": sum(len(r) for r in report["pending"].values()),
            },
        )
    return request


def _pending_pass(*, request: PrivacyRequest, now: Any, actor: Any) -> int:
    """Try the request's pending records again; returns how many went."""
    report = dict(request.execution_report or {})
    pending = report.get("pending") or {}
    records = {key: sorted(int(pk) for pk in rows) for key, rows in pending.items() if rows}
    mark = _tombstone_mark()
    result, kept_rows = erase_records(records=records, now=now, actor=actor, request_pk=request.pk)
    deleted = {key: sorted(ids) for key, ids in result.deleted.items() if ids}
    # A pending row neither deleted now nor kept is gone already (its retention ran out).
    for key, pks in records.items():
        gone = [pk for pk in pks if pk not in kept_rows.get(key, {}) and pk not in deleted.get(key, [])]
        if gone:
            deleted[key] = sorted({*deleted.get(key, []), *gone})
    kept: dict[str, dict[str, list[str]]] = {}
    for key, rows in (report.get("kept") or {}).items():
        for pk, codes in rows.items():
            if int(pk) in deleted.get(key, []):
                continue
            now_kept = kept_rows.get(key, {}).get(int(pk))
            kept.setdefault(key, {})[pk] = now_kept if now_kept is not None else codes
    _ledger_write(request=request, deleted=deleted, copies=[], files=_files_since(mark, now), now=now)
    all_deleted = dict(report.get("deleted") or {})
    for key, ids in deleted.items():
        all_deleted[key] = sorted({*all_deleted.get(key, []), *ids})
    report.update(
        deleted=all_deleted,
        kept={key: rows for key, rows in kept.items() if rows},
        pending=pending_records(kept),
        files_deleted=int(report.get("files_deleted") or 0) + result.files_recorded,
    )
    count = sum(len(ids) for ids in deleted.values())
    if not count and report["pending"]:
        request.execution_report = report
        request.save(update_fields=["execution_report"])
        return 0
    if report["pending"]:
        request.execution_report = report
        request.save(update_fields=["execution_report"])
    else:
        request_complete(request=request, report=report, actor=actor)
        letter_generate(request=request, kind=LetterKind.ERASURE, actor=actor)
    audit_log(
        actor=actor,
        action=AuditAction.ERASE,
        purpose=PURPOSE,
        obj=request,
        details={"deleted": count, "pending": sum(len(r) for r in report["pending"].values()), "deferred": True},
    )
    return count


def erasures_pending_finish(*, now: Any = None, controller_ids: Collection[int] | None = None) -> int:
    """Erase the records erasures left pending whose reason to be kept has ended; complete each
    request whose last pending record goes. Returns the records erased."""
    now = now or timezone.now()
    erased = 0
    with unscoped():
        waiting = PrivacyRequest.all_controllers.filter(kind=RequestKind.ERASURE, status=RequestStatus.IN_PROGRESS)
        if controller_ids is not None:
            waiting = waiting.filter(controller_id__in=list(controller_ids))
        for pk in waiting.order_by("pk").values_list("pk", flat=True):
            with transaction.atomic():
                request = PrivacyRequest.all_controllers.select_for_update().get(pk=pk)
                if request.status != RequestStatus.IN_PROGRESS or not (request.execution_report or {}).get("pending"):
                    continue
                erased += _pending_pass(request=request, now=now, actor=DEFERRED_ACTOR)
    return erased


def erasures_after_purge(run: Any) -> None:
    """Registered with the purge: after each real run, the erasures waiting for it."""
    from retention.purge import run_controller_ids

    controller_ids, every_controller = run_controller_ids(run)
    erasures_pending_finish(controller_ids=None if every_controller else controller_ids)


def _identifier_paths(declaration: type[PersonalDataType]) -> list[str]:
    return [*declaration.email_paths, *declaration.phone_paths, *declaration.name_paths]


# Generated copies carry no identifiers of their own: their request's identify the subject.
COPY_IDENTIFIER_PATHS = ("request__email", "request__phone", "request__identifiers__value")


def _rows_still_the_subjects(
    declaration: type[PersonalDataType], entry: LedgerEntry, pks: list[int], paths: Iterable[str]
) -> list[int]:
    """Of the entry's ids, the rows at its controller that still carry one of its identifiers:
    after a restore, an id reused by someone else's row is never touched."""
    paths = list(paths)
    hashes = set(entry.identifier_hashes)
    rows = declaration.queryset().filter(controller_id=entry.controller_id, pk__in=pks)
    found: set[int] = set()
    for values in rows.values_list("pk", *paths):
        pk, identifiers = values[0], values[1:]
        if any(value and identifier_hash(str(value)) in hashes for value in identifiers):
            found.add(pk)
    return sorted(found)


def _replay_delete(
    *, declaration: type[PersonalDataType], pks: list[int], now: Any, actor: Any, request_pk: int
) -> DeletionResult:
    with transaction.atomic():
        return delete_rows(
            declaration=declaration,
            pks=pks,
            now=now,
            actor=actor,
            action=AuditAction.ERASE,
            purpose=PURPOSE,
            audit_details={"request": request_pk, "replay": True},
        )


def _file_fields() -> list[tuple[Any, str]]:
    """(storage, top folder) of every declared file field: where erased files may come back."""
    places: dict[tuple[int, str], tuple[Any, str]] = {}
    for declaration in registry:
        for field_name in declaration.file_fields:
            file_field = declaration.model._meta.get_field(field_name)
            upload_to = file_field.upload_to if isinstance(file_field.upload_to, str) else ""
            folder = upload_to.split("/", 1)[0]
            folder = "" if "%" in folder else folder
            places[(id(file_field.storage), folder)] = (file_field.storage, folder)
    return list(places.values())


def _storage_names(storage: Any, folder: str) -> Iterable[str]:
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for directory in directories:
        yield from _storage_names(storage, f"{folder}/{directory}" if folder else directory)


def _referenced(names: list[str]) -> set[str]:
    found: set[str] = set()
    for declaration in registry:
        for field_name in declaration.file_fields:
            rows = declaration.queryset().filter(**{f"{field_name}__in": names})
            found.update(rows.values_list(field_name, flat=True))
    return found


def _erased_files_delete(hashes: set[str]) -> int:
    """Files a restore of the media brought back that no row refers to any more (their rows were
    not in the database backup, or went again above) and whose names the ledger lists."""
    removed = 0
    if not hashes:
        return removed
    for storage, folder in _file_fields():
        names = [name for name in _storage_names(storage, folder) if file_hash(name) in hashes]
        # A name may have been given to someone else's file since: a row refers to it then.
        referenced = _referenced(names) if names else set()
        for name in names:
            if name not in referenced:
                storage.delete(name)
                removed += 1
    return removed


def erasures_replay(*, actor: Any = "replay_erasures") -> dict[str, int]:
    """Erase again what the ledger says was erased (after a backup was restored): rows, their
    files, the subject's generated copies, and erased files that came back without a row.
    Idempotent: rows and files already gone are simply not found."""
    now = timezone.now()
    counts: dict[str, int] = {}
    file_hashes: set[str] = set()
    copies = registry.get("privacy.requestexport")
    with unscoped():
        for entry in ledger_entries():
            file_hashes.update(entry.file_hashes)
            for key in deletion_order(entry.records):
                declaration = registry.get(key)
                pks = _rows_still_the_subjects(declaration, entry, entry.records[key], _identifier_paths(declaration))
                result = _replay_delete(
                    declaration=declaration, pks=pks, now=now, actor=actor, request_pk=entry.request_id
                )
                for deleted_key, ids in result.deleted.items():
                    counts[deleted_key] = counts.get(deleted_key, 0) + len(ids)
            pks = _rows_still_the_subjects(copies, entry, entry.copies, COPY_IDENTIFIER_PATHS)
            result = _replay_delete(declaration=copies, pks=pks, now=now, actor=actor, request_pk=entry.request_id)
            for deleted_key, ids in result.deleted.items():
                counts[deleted_key] = counts.get(deleted_key, 0) + len(ids)
        files = _erased_files_delete(file_hashes)
    if files:
        counts["files"] = files
    return counts
