"""Call ingestion and call recordings: audio checked by content and size before anything is stored."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.ingestion.stored import IngestResult, StoredFiles, files_removed_on_rollback, storage_name
from contacts.models import CallRecording, Channel, Contact, Direction
from contacts.services import contact_record
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose, Controller
from core.restriction import restriction_check_writable
from core.uploads import require_audio


def call_ingest(
    *,
    controller: Controller,
    started_at: dt.datetime,
    direction: Direction | str,
    phone: str,
    name: str = "",
    duration_seconds: int | None = None,
    notes: str = "",
    recording: IO[bytes] | None = None,
    actor: Any,
) -> IngestResult:
    """Store a call reported by the telephony system (P2), with its recording when given. The
    recording is checked (audio by content, size) before anything is stored."""
    content_type = require_audio(recording, limit=settings.RECORDING_MAX_BYTES) if recording is not None else ""
    with files_removed_on_rollback() as files, transaction.atomic():
        contact = contact_record(
            controller=controller,
            channel=Channel.CALL,
            direction=direction,
            occurred_at=started_at,
            name=name,
            phone=phone,
            body=notes,
        )
        if recording is not None:
            _recording_store(
                contact=contact,
                fileobj=recording,
                content_type=content_type,
                duration_seconds=duration_seconds,
                files=files,
            )
        audit_log(
            actor=actor,
            action=AuditAction.CREATE,
            purpose=AuditPurpose.INTEGRATION,
            obj=contact,
            details={"channel": Channel.CALL, "recording": recording is not None},
        )
    return IngestResult(contact=contact, created=True)


_AUDIO_EXTENSIONS = {
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/mp4": "m4a",
    "audio/webm": "webm",
}


def _recording_store(
    *,
    contact: Contact,
    fileobj: IO[bytes],
    content_type: str,
    duration_seconds: int | None,
    files: StoredFiles,
) -> CallRecording:
    fileobj.seek(0)
    recording = CallRecording(
        controller_id=contact.controller_id,
        contact=contact,
        content_type=content_type,
        duration_seconds=duration_seconds,
        uploaded_at=timezone.now(),
    )
    files.save(recording.file, storage_name(_AUDIO_EXTENSIONS.get(content_type, "")), File(fileobj))
    recording.size_bytes = recording.file.size
    recording.save()
    return recording


def recording_attach(
    *, contact: Contact, fileobj: IO[bytes], actor: Any, duration_seconds: int | None = None
) -> CallRecording:
    """Attach the recording of a call (or replace it). Audio by content and size-limited
    (`UnsupportedUpload` 415, `UploadTooLarge` 413) before anything is stored; the replaced
    file is removed once the new one is committed. A restricted call's is kept as it is (409)."""
    restriction_check_writable(contact)
    if contact.channel != Channel.CALL:
        raise ValidationError({"file": [_("Only a call can have a recording.")]})
    content_type = require_audio(fileobj, limit=settings.RECORDING_MAX_BYTES)
    with files_removed_on_rollback() as files, transaction.atomic():
        old = CallRecording.all_controllers.select_for_update().filter(contact=contact).first()
        if old is not None:
            old_name = old.file.name
            duration_seconds = duration_seconds if duration_seconds is not None else old.duration_seconds
            old.delete()
            transaction.on_commit(lambda: default_storage.delete(old_name))
        recording = _recording_store(
            contact=contact,
            fileobj=fileobj,
            content_type=content_type,
            duration_seconds=duration_seconds,
            files=files,
        )
        audit_log(
            actor=actor,
            action=AuditAction.CHANGE if old is not None else AuditAction.CREATE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=recording,
            details={"contact": contact.pk},
        )
    return recording
