"""Access (art. 15) and portability (art. 20) copies: a ZIP built by a Celery task.

The ZIP holds `data.json` (the versioned document described by `privacy/schemas/
access-export-v1.json` and docs/access-export.md), `summary.txt` (the same in plain words, in
the subject's language) and the originals: raw emails, attachments, call recordings, chat
transcripts. Everything is streamed: rows are read in chunks, files copied in blocks, the ZIP
written to a temporary file and then to storage, so memory does not grow with the copy's size.
The copy is deleted seven days after it was made (the retention rule of `RequestExport`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditEvent, AuditPurpose
from core.personal_data import LegalBasis, PersonalDataType, Purpose, Source, registry
from core.queueing import enqueue_committed
from privacy.discovery import (
    included_records,
    records_found_by_name_only,
    records_with_dependents,
    require_matches_reviewed,
)
from privacy.letters import letter_generate
from privacy.models import (
    ExportStatus,
    LetterKind,
    PrivacyRequest,
    Redaction,
    RequestExport,
    RequestKind,
    RequestStatus,
)
from privacy.services import request_complete, require_identity_checked, require_open
from privacy.summary import SummaryWriter

SCHEMA_ID = "access-export"
SCHEMA_VERSION = "1.1"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "access-export-v1.json"
REDACTED = "[redacted]"
CHUNK = 500
# Actions that are a consultation of a record (art. 15(1) as read by the CJEU in C-579/21).
CONSULTATIONS = (AuditAction.VIEW, AuditAction.SEARCH, AuditAction.EXPORT, AuditAction.DOWNLOAD, AuditAction.PLAY)
# A copy queued or being built without a sign of life for this long lost its task (a worker
# killed, a broker restarted): the periodic resume queues it again.
EXPORT_STALLED_AFTER = dt.timedelta(minutes=10)


def export_kinds() -> tuple[str, ...]:
    return (RequestKind.ACCESS, RequestKind.PORTABILITY)


def declarations_for(request: PrivacyRequest) -> list[type[PersonalDataType]]:
    """Access: everything. Portability: what the subject provided, processed on contract."""
    declarations = [d for d in registry if d.subject_discovery]
    if request.kind == RequestKind.PORTABILITY:
        declarations = [d for d in declarations if d.is_portable()]
    return declarations


def _provided_by_subject(declaration: type[PersonalDataType], pks: list[int]) -> list[int]:
    condition = declaration.provided_by_subject_q()
    if condition is None:
        return []
    kept: list[int] = []
    for start in range(0, len(pks), CHUNK):
        window = declaration.queryset().filter(pk__in=pks[start : start + CHUNK]).filter(condition)
        kept.extend(window.order_by("pk").values_list("pk", flat=True))
    return kept


def export_records(request: PrivacyRequest) -> dict[str, list[int]]:
    """{record type: ids} in the copy. A portable copy holds only the rows the subject provided
    through contact details shown to be theirs (not what someone else wrote, nor our staff)."""
    allowed = {d.key() for d in declarations_for(request)}
    records = {key: pks for key, pks in records_with_dependents(request).items() if key in allowed and pks}
    if request.kind == RequestKind.PORTABILITY:
        others = records_found_by_name_only(request)
        records = {
            key: [pk for pk in _provided_by_subject(registry.get(key), pks) if pk not in others.get(key, set())]
            for key, pks in records.items()
        }
        records = {key: pks for key, pks in records.items() if pks}
    return records


@transaction.atomic
def export_start(*, request: PrivacyRequest, actor: Any) -> RequestExport:
    """Queue the build of a copy; the DPO sees its progress on the request page."""
    request = PrivacyRequest.all_controllers.select_for_update().get(pk=request.pk)
    require_identity_checked(request)
    if request.kind not in export_kinds():
        raise Conflict(_("Only access and portability requests have a copy to export."), code="not_exportable")
    require_matches_reviewed(request)
    if request.kind == RequestKind.ACCESS and not included_records(request):
        # An empty copy would say "nothing held" without the no-data letter's search behind it.
        raise Conflict(
            _("No record is in the answer: execute the request to send the no-data letter instead."),
            code="nothing_to_export",
        )
    if request.exports.filter(status__in=[ExportStatus.QUEUED, ExportStatus.BUILDING]).exists():
        raise Conflict(_("A copy is already being built."), code="export_in_progress")
    if request.status == RequestStatus.VERIFIED:
        request.status = RequestStatus.IN_PROGRESS
        request.save(update_fields=["status"])
    export = RequestExport.objects.create(request=request, controller_id=request.controller_id, created_by=actor)
    audit_log(
        actor=actor,
        action=AuditAction.EXPORT,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        obj=request,
        details={"export": export.pk},
    )
    from privacy.tasks import build_request_export

    transaction.on_commit(lambda: enqueue_committed(build_request_export, args=(export.pk,)))
    return export


def _write(stream: IO[bytes], text: str) -> None:
    stream.write(text.encode("utf-8"))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _file_entries(
    declaration: type[PersonalDataType], row: Any, redacted: set[str], fields: Sequence[str]
) -> list[dict[str, Any]]:
    entries = []
    for field_name in declaration.file_fields:
        if field_name in redacted or field_name not in fields:
            continue
        field_file = getattr(row, field_name)
        if not field_file:
            continue
        basename = os.path.basename(field_file.name)
        entries.append(
            {
                "path": f"files/{declaration.key().replace('.', '-')}/{row.pk}/{basename}",
                "field": field_name,
                "storage_name": field_file.name,
            }
        )
    return entries


def _rows(declaration: type[PersonalDataType], pks: list[int]) -> Iterator[Any]:
    """The rows in chunks, each with who wrote it computed by the database (`with_authorship`)."""
    for start in range(0, len(pks), CHUNK):
        window = declaration.queryset().filter(pk__in=pks[start : start + CHUNK])
        yield from declaration.with_authorship(window).order_by("pk").iterator()


def row_source(declaration: type[PersonalDataType], row: Any, by_name_only: set[int]) -> Source:
    """Who wrote a record: our staff, unless the person contacting us provided it; then the
    subject when it came through their verified contact details, someone else otherwise."""
    if not getattr(row, "_provided_by_subject", False):
        return Source.STAFF
    return Source.THIRD_PARTY if row.pk in by_name_only else Source.SUBJECT


def _purposes(declaration: type[PersonalDataType]) -> list[dict[str, str]]:
    return [{"code": str(p), "label": str(Purpose(p).label)} for p in declaration.purposes]


def _bases(declaration: type[PersonalDataType]) -> list[dict[str, str]]:
    return [{"code": str(b), "label": str(LegalBasis(b).label)} for b in declaration.legal_bases]


def _retention_of(declaration: type[PersonalDataType]) -> list[dict[str, Any]]:
    rules = declaration.retention_rules()
    if not rules and declaration.parent:
        rules = registry.get(declaration.parent).retention_rules()
    return [{"applies_to": str(label), "rule": str(rule.description), "days": rule.days} for label, rule in rules]


class _Progress:
    def __init__(self, export: RequestExport) -> None:
        self.export = export
        self.done = 0

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.done % 50 == 0 or self.done == self.export.total:
            RequestExport.objects.filter(pk=self.export.pk).update(progress=self.done, heartbeat_at=timezone.now())


def _header(request: PrivacyRequest, records: dict[str, list[int]]) -> dict[str, Any]:
    controller = request.controller
    identifiers = list(request.identifiers.all())
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "kind": request.kind,
        "generated_at": timezone.now().isoformat(),
        "controller": {
            "name": controller.name,
            "business_id": controller.business_id,
            "privacy_contact_email": controller.privacy_contact_email,
        },
        "request": {
            "id": request.pk,
            "received_at": request.received_at.isoformat(),
            "due_at": request.due_at.isoformat(),
        },
        "subject": {
            "name": request.name,
            "emails": request.emails,
            "phones": request.phones,
            "identifiers": [{"kind": i.kind, "value": i.value, "verified": i.verified} for i in identifiers],
        },
        "profiling_or_automated_decisions": False,
        "record_types": [
            {
                "type": declaration.key(),
                "name": str(declaration.verbose_name),
                "description": str(declaration.description),
                "categories": [str(c) for c in declaration.categories],
                "purposes": _purposes(declaration),
                "legal_bases": _bases(declaration),
                "source": str(declaration.source),
                "retention": _retention_of(declaration),
                "count": len(records[declaration.key()]),
            }
            for declaration in (registry.get(key) for key in records)
        ],
        "recipient_categories": [
            {"code": c.code, "label": str(c.label), "processor": c.processor} for c in registry.recipient_categories()
        ],
    }


def export_write_zip(*, request: PrivacyRequest, export: RequestExport | None, target: IO[bytes]) -> dict[str, int]:
    """Write the whole copy as a ZIP into `target`; returns the records written per type."""
    portability = request.kind == RequestKind.PORTABILITY
    records = export_records(request)
    by_name_only = records_found_by_name_only(request)
    redactions: dict[tuple[str, int], set[str]] = {}
    for redaction in Redaction.all_controllers.filter(request=request):
        redactions.setdefault((redaction.record_type, redaction.record_id), set()).add(redaction.field)
    total = sum(len(pks) for pks in records.values())
    progress = None
    if export is not None:
        export.total = total
        RequestExport.objects.filter(pk=export.pk).update(total=total, status=ExportStatus.BUILDING)
        progress = _Progress(export)
    recipient_names: set[str] = set()
    written = dict.fromkeys(records, 0)
    with (
        SummaryWriter(request=request, portability=portability) as summary,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
    ):
        with archive.open("data.json", "w", force_zip64=True) as out, translation.override(request.language):
            _write(out, _dumps(_header(request, records))[:-1] + ', "records": [')
            first = True
            for key, pks in records.items():
                declaration = registry.get(key)
                summary.record_type(declaration, len(pks))
                fields = declaration.portable_fields if portability else declaration.export_fields
                file_fields = declaration.portable_fields if portability else declaration.file_fields
                for row in _rows(declaration, pks):
                    redacted = redactions.get((key, row.pk), set())
                    data = declaration.portable_row(row) if portability else declaration.export_row(row)
                    for field_name in redacted:
                        if field_name in data:
                            data[field_name] = REDACTED
                    files = [entry["path"] for entry in _file_entries(declaration, row, redacted, file_fields)]
                    source = row_source(declaration, row, by_name_only.get(key, set()))
                    staff_fields = sorted(declaration.staff_written(row) & set(fields))
                    item = {"type": key, "id": row.pk, "data": data, "files": files, "source": source.value}
                    if staff_fields:
                        item["staff_fields"] = staff_fields
                    _write(out, ("" if first else ", ") + _dumps(item))
                    summary.record(
                        declaration=declaration,
                        pk=row.pk,
                        data=data,
                        source=source,
                        staff_fields=set(staff_fields),
                        redacted=redacted,
                        files=files,
                    )
                    first = False
                    written[key] += 1
                    if progress:
                        progress.step()
            _write(out, '], "recipients": [')
            first = True
            for key, pks in records.items():
                for recipient in registry.recipients_for(registry.get(key), pks):
                    recipient_names.add(recipient.name)
                    item = {
                        "name": recipient.name,
                        "recipient_type": recipient.recipient_type,
                        "record_type": recipient.record_type,
                        "record_id": recipient.record_id,
                        "disclosed_at": recipient.disclosed_at.isoformat() if recipient.disclosed_at else None,
                        "legal_basis": recipient.legal_basis,
                    }
                    _write(out, ("" if first else ", ") + _dumps(item))
                    first = False
            _write(out, '], "redactions": ')
            _write(
                out,
                _dumps(
                    [
                        {"record_type": key, "record_id": pk, "field": field_name}
                        for (key, pk), fields in sorted(redactions.items())
                        for field_name in sorted(fields)
                    ]
                ),
            )
            _write(out, ', "consultation_history": ')
            if request.include_consultation_history and request.kind == RequestKind.ACCESS:
                _write(out, "[")
                first = True
                for event in _consultations(request, records):
                    _write(out, ("" if first else ", ") + _dumps(event))
                    first = False
                _write(out, "]}")
            else:
                _write(out, "null}")
        _write_transcripts(archive, records)
        for key, pks in records.items():
            declaration = registry.get(key)
            file_fields = declaration.portable_fields if portability else declaration.file_fields
            if not set(declaration.file_fields) & set(file_fields):
                continue
            for row in _rows(declaration, pks):
                for entry in _file_entries(declaration, row, redactions.get((key, row.pk), set()), file_fields):
                    storage_file = getattr(row, entry["field"])
                    with (
                        storage_file.storage.open(entry["storage_name"], "rb") as source,
                        archive.open(entry["path"], "w", force_zip64=True) as sink,
                    ):
                        shutil.copyfileobj(source, sink, 1024 * 1024)
        with translation.override(request.language), archive.open("summary.txt", "w", force_zip64=True) as sink:
            summary.write_to(sink, context=_summary_context(request, recipient_names))
    return written


def _summary_context(request: PrivacyRequest, recipient_names: set[str]) -> dict[str, Any]:
    return {
        "request": request,
        "controller": request.controller,
        "verified_identifiers": [i.value for i in request.identifiers.all() if i.verified],
        "recipients": sorted(recipient_names),
        "recipient_categories": [str(c.label) for c in registry.recipient_categories(processors=False)],
        "processors": [str(c.label) for c in registry.recipient_categories(processors=True)],
    }


def _write_transcripts(archive: zipfile.ZipFile, records: dict[str, list[int]]) -> None:
    """Chat transcripts: rows of a dependent record type with `at`, `author` and `text` export
    fields, written as one readable text file per parent record."""
    for key, pks in records.items():
        declaration = registry.get(key)
        if not declaration.parent or not {"at", "author", "text"} <= set(declaration.export_fields):
            continue
        parent_attr = f"{declaration.parent_path}_id"
        current_parent, sink = None, None
        rows = declaration.queryset().filter(pk__in=pks).order_by(declaration.parent_path, "pk")
        try:
            for row in rows.iterator(chunk_size=CHUNK):
                parent_id = getattr(row, parent_attr)
                if parent_id != current_parent:
                    if sink:
                        sink.close()
                    path = f"transcripts/{declaration.parent.replace('.', '-')}-{parent_id}.txt"
                    sink = archive.open(path, "w")
                    current_parent = parent_id
                _write(sink, f"[{row.at.isoformat()}] {row.get_author_display()}: {row.text}\n")
        finally:
            if sink:
                sink.close()


def _consultations(request: PrivacyRequest, records: dict[str, list[int]]) -> Iterator[dict[str, Any]]:
    """When and why the subject's records were consulted; who did it is withheld (staff privacy)."""
    for key, pks in records.items():
        for start in range(0, len(pks), CHUNK):
            events = AuditEvent.objects.filter(
                object_type=key,
                object_id__in=[str(pk) for pk in pks[start : start + CHUNK]],
                action__in=CONSULTATIONS,
            ).order_by("at", "id")
            for event in events.iterator(chunk_size=CHUNK):
                yield {
                    "at": event.at.isoformat(),
                    "action": event.action,
                    "purpose": event.purpose,
                    "record_type": key,
                    "record_id": int(event.object_id),
                }


def export_claim(*, export_id: int) -> RequestExport | None:
    """Take a queued copy for building, or one whose builder died. None when there is nothing to
    do: the copy is ready or failed, gone, or being built by a live worker. A task delivered
    twice (acknowledged late, queued again by the resume) therefore builds the copy once."""
    with transaction.atomic():
        export = (
            RequestExport.objects.select_for_update(of=("self",))
            .select_related("request", "request__controller")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.status in (ExportStatus.READY, ExportStatus.FAILED):
            return None
        now = timezone.now()
        alive = export.heartbeat_at is not None and export.heartbeat_at > now - EXPORT_STALLED_AFTER
        if export.status == ExportStatus.BUILDING and alive:
            return None
        export.status, export.heartbeat_at, export.progress = ExportStatus.BUILDING, now, 0
        export.save(update_fields=["status", "heartbeat_at", "progress"])
    return export


def exports_stalled() -> list[int]:
    """Copies whose task was lost: queued, or being built, with no sign of life for a while."""
    cutoff = timezone.now() - EXPORT_STALLED_AFTER
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    stalled = RequestExport.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.BUILDING]).filter(silent)
    return list(stalled.order_by("pk").values_list("pk", flat=True))


def export_build(*, export_id: int) -> RequestExport | None:
    """The task's work: build the ZIP, store it, complete the request and write its letter."""
    export = export_claim(export_id=export_id)
    if export is None:
        return None
    request = export.request
    require_identity_checked(request)
    try:
        with tempfile.TemporaryFile() as temporary:
            counts = export_write_zip(request=request, export=export, target=temporary)
            size = temporary.tell()
            temporary.seek(0)
            export.file.save(f"request-{request.pk}-{export.pk}.zip", File(temporary), save=False)
    except Exception:
        RequestExport.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED)
        raise
    export.status = ExportStatus.READY
    export.size_bytes = size
    export.finished_at = timezone.now()
    export.progress = export.total = sum(counts.values())
    export.save(update_fields=["file", "status", "size_bytes", "finished_at", "progress", "total"])
    request.refresh_from_db()
    if request.is_open:
        request_complete(
            request=request,
            report={"records": counts, "export": export.pk, "size_bytes": size},
            actor=export.created_by,
        )
        letter_kind = LetterKind.ACCESS if request.kind == RequestKind.ACCESS else LetterKind.PORTABILITY
        letter_generate(request=request, kind=letter_kind, actor=export.created_by or "privacy")
    return export


def export_for_download(*, request: PrivacyRequest, actor: Any) -> RequestExport:
    require_identity_checked(request)
    export = request.exports.filter(status=ExportStatus.READY).exclude(file="").order_by("-created_at").first()
    if export is None:
        raise Conflict(_("No copy is ready for download."), code="export_not_ready")
    audit_log(
        actor=actor,
        action=AuditAction.DOWNLOAD,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        obj=export,
        details={"request": request.pk},
    )
    return export


def no_data_answer(*, request: PrivacyRequest, actor: Any) -> None:
    """Art. 15(1): confirmation even when nothing is held."""
    require_open(request)
    request_complete(request=request, report={"records": {}}, actor=actor)
    letter_generate(request=request, kind=LetterKind.NO_DATA, actor=actor)


def redaction_add(
    *, request: PrivacyRequest, actor: Any, record_type: str, record_id: int, field: str, reason: str
) -> Redaction:
    """Withhold a third party's data from the copy (art. 15(4)); each redaction is recorded."""
    from privacy.services import InvalidRequest

    require_open(request)
    if record_id not in records_with_dependents(request).get(record_type, []):
        raise InvalidRequest("record", _("The record is not among this request's matches."))
    declaration = registry.get(record_type)
    if field not in (*declaration.export_fields, *declaration.file_fields):
        raise InvalidRequest("field", _("This field is not part of the copy."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("reason", _("Give the reason for the redaction."))
    redaction, _created = Redaction.all_controllers.update_or_create(
        request=request,
        controller_id=request.controller_id,
        record_type=record_type,
        record_id=record_id,
        field=field,
        defaults={"reason": reason, "created_by": actor},
    )
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        obj=request,
        details={"redaction": redaction.pk},
    )
    return redaction
