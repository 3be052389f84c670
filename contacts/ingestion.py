"""Ingestion of incoming contacts (policy P2): email, chat and call, through one service.

The inbound API, `manage.py ingest_email` and the IMAP poll all come here, and every contact is
created by `contacts.services.contact_record`. Invariants:

- nothing is dropped: an email that does not parse cleanly is still stored raw, with its
  `parse_problems` filled in;
- nothing is stored twice: the same Message-ID (or, without one, the same bytes) at a
  controller returns the contact already stored; a chat session posted again updates its
  contact;
- nothing is half-written: files go to storage only after validation, inside the transaction
  that records them, and are removed again if that transaction fails.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import logging
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.models import (
    CallRecording,
    Channel,
    ChatAuthor,
    ChatMessage,
    Contact,
    Direction,
    EmailAttachment,
    EmailMessage,
    Mailbox,
    Task,
    TaskStatus,
)
from contacts.services import contact_record, customer_match_or_create
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose, Controller
from core.uploads import UploadTooLarge, require_audio

logger = logging.getLogger(__name__)

# A Date header further from the time of receipt than this is not believed (spam, broken clocks).
_DATE_TRUST_PAST = dt.timedelta(days=3650)
_DATE_TRUST_FUTURE = dt.timedelta(days=1)
# Message-IDs as they appear in In-Reply-To and References.
_MSG_ID = re.compile(r"<[^<>\s]+>")
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class IngestResult:
    contact: Contact
    created: bool
    parse_problems: tuple[str, ...] = ()


# -- files: written only inside the transaction that records them -----------------------------


class _StoredFiles:
    """Names of the files written during one ingestion, removed again if it fails."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def save(self, field_file: Any, name: str, content: File) -> None:
        field_file.save(name, content, save=False)
        self.names.append(field_file.name)

    def remove_all(self) -> None:
        for name in self.names:
            try:
                default_storage.delete(name)
            except Exception:  # the original error matters more than a leftover file
                logger.exception("Could not remove a file of a failed ingestion")
        self.names.clear()


@contextlib.contextmanager
def files_removed_on_rollback() -> Iterator[_StoredFiles]:
    """Yield a file recorder; if the block fails, the files it wrote are deleted again, so a
    rolled-back ingestion leaves neither rows nor files behind."""
    stored = _StoredFiles()
    try:
        yield stored
    except BaseException:
        stored.remove_all()
        raise


def storage_name(extension: str = "") -> str:
    # File names never carry personal values (the subject, a person's name): a random id.
    extension = re.sub(r"[^a-z0-9]", "", extension.lower())[:10]
    return f"{uuid.uuid4().hex}.{extension}" if extension else uuid.uuid4().hex


# -- controller of an email ---------------------------------------------------------------------


def mailbox_controller_for(addresses: Iterable[str]) -> Controller | None:
    """The controller of the first configured mailbox among the recipient addresses."""
    normalised = [address for address in (normalise_email_or_blank(a) for a in addresses) if address]
    if not normalised:
        return None
    mailboxes = {
        m.address.lower(): m for m in Mailbox.objects.select_related("controller").filter(address__in=normalised)
    }
    for address in normalised:
        if address in mailboxes:
            return mailboxes[address].controller
    return None


def email_recipients(raw: bytes) -> list[str]:
    """Recipient addresses of a raw message, most specific first (the delivery headers the
    mail server adds, then To and Cc); tolerant of any header damage."""
    try:
        headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    except Exception:  # noqa: BLE001 (the email parser fails in ways no list covers)
        return []
    addresses: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc"):
        values = [str(value) for value in (headers.get_all(name) or [])]
        addresses.extend(address for _display, address in email.utils.getaddresses(values) if address)
    return addresses


# -- email parsing --------------------------------------------------------------------------------


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    from_name: str = ""
    from_address: str = ""
    from_header: str = ""
    to_header: str = ""
    subject: str = ""
    date: dt.datetime | None = None
    text_body: str = ""
    html_body: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _header(message: Message, name: str, problems: list[str]) -> str:
    try:
        value = message.get(name)
        return "" if value is None else str(value).strip()
    except Exception as error:  # noqa: BLE001 (a header the parser cannot decode: keep going without it)
        problems.append(f"header {name}: {type(error).__name__}")
        return ""


def _part_text(part: Message, problems: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception as error:  # noqa: BLE001 (unknown charset, broken transfer encoding)
        problems.append(f"body {part.get_content_type()}: {type(error).__name__}")
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("latin-1")


def _part_bytes(part: Message, problems: list[str]) -> bytes:
    if part.get_content_maintype() == "message" or part.is_multipart():
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else inner
        try:
            if isinstance(inner_message, Message):
                return inner_message.as_bytes(policy=policy.compat32)
            return part.as_bytes(policy=policy.compat32)
        except Exception as error:  # noqa: BLE001 (the email parser fails in ways no list covers)
            problems.append(f"enclosed message: {type(error).__name__}")
            return str(inner_message).encode("utf-8", errors="replace")
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return b""


def _leaf_parts(part: Message, *, depth: int = 0) -> Iterator[Message]:
    """The parts holding content, in order; an enclosed message (message/rfc822) is one part,
    kept whole as an attachment rather than taken apart."""
    if part.is_multipart() and not (depth > 0 and part.get_content_maintype() == "message"):
        for sub in part.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, Message):
                yield from _leaf_parts(sub, depth=depth + 1)
    else:
        yield part


def _is_attachment(part: Message, filename: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(filename)


def _safe_filename(raw_name: str | None, content_type: str) -> str:
    name = os.path.basename(_UNSAFE_FILENAME.sub("_", raw_name or "")).strip()[:255]
    if name:
        return name
    return "message.eml" if content_type == "message/rfc822" else ""


def _address_of(header_value: str) -> tuple[str, str]:
    name, address = email.utils.parseaddr(header_value)
    return name.strip()[:200], address.strip()[:254]


def _references(value: str) -> list[str]:
    return _MSG_ID.findall(value or "")


def email_parse(raw: bytes) -> ParsedEmail:
    """Parse a raw RFC 822 message as far as it goes. Never raises: what cannot be read is
    listed in `problems` and the rest is still returned."""
    parsed = ParsedEmail()
    problems = parsed.problems
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as error:  # noqa: BLE001 (RecursionError on absurd nesting, and the like)
        problems.append(f"message: {type(error).__name__}")
        return parsed
    try:
        _email_fill(parsed, message)
    except Exception as error:  # noqa: BLE001 (whatever the parser's corner cases raise, the raw message is kept)
        problems.append(f"message: {type(error).__name__}")
    for defect in _all_defects(message):
        problems.append(type(defect).__name__)
    # Same problem once, in order of appearance.
    parsed.problems = list(dict.fromkeys(problems))
    return parsed


def _all_defects(message: Message) -> Iterator[Any]:
    try:
        for part in message.walk():
            yield from getattr(part, "defects", ())
    except Exception:  # noqa: BLE001 (the email parser fails in ways no list covers)
        return


def _email_fill(parsed: ParsedEmail, message: Message) -> None:
    problems = parsed.problems
    parsed.message_id = (_references(_header(message, "Message-ID", problems)) or [""])[0][:998]
    parsed.in_reply_to = " ".join(_references(_header(message, "In-Reply-To", problems)))[:998]
    parsed.references = " ".join(_references(_header(message, "References", problems)))
    parsed.from_header = _header(message, "From", problems)[:998]
    parsed.to_header = ", ".join(
        value for value in (_header(message, "To", problems), _header(message, "Cc", problems)) if value
    )
    parsed.from_name, parsed.from_address = _address_of(parsed.from_header)
    parsed.subject = " ".join(_header(message, "Subject", problems).split())[:500]
    date_value = _header(message, "Date", problems)
    if date_value:
        try:
            parsed.date = email.utils.parsedate_to_datetime(date_value)
        except (TypeError, ValueError, IndexError):
            problems.append("header Date: unreadable")
    text_parts: list[str] = []
    for part in _leaf_parts(message):
        content_type = part.get_content_type()
        try:
            filename = _safe_filename(part.get_filename(), content_type)
        except Exception as error:  # noqa: BLE001 (the email parser fails in ways no list covers)
            problems.append(f"attachment name: {type(error).__name__}")
            filename = ""
        if content_type in ("text/plain", "text/html") and not _is_attachment(part, filename):
            text = _part_text(part, problems)
            if content_type == "text/html":
                if parsed.html_body:
                    parsed.html_body += "\n"
                parsed.html_body += text
            else:
                text_parts.append(text)
            continue
        content = _part_bytes(part, problems)
        if content:
            parsed.attachments.append(
                ParsedAttachment(filename=filename, content_type=content_type[:255], content=content)
            )
    parsed.text_body = "\n\n".join(text_parts)


def _occurred_at(date: dt.datetime | None, received_at: dt.datetime) -> dt.datetime:
    if date is None:
        return received_at
    if timezone.is_naive(date):
        date = date.replace(tzinfo=dt.UTC)
    if received_at - _DATE_TRUST_PAST <= date <= received_at + _DATE_TRUST_FUTURE:
        return date
    return received_at


# -- email ingestion ------------------------------------------------------------------------------


def _existing_email_contact(*, controller: Controller, message_id: str, raw_sha256: str) -> Contact | None:
    emails = EmailMessage.all_controllers.filter(controller=controller).select_related("contact")
    if message_id:
        found = emails.filter(message_id=message_id).first()
    else:
        found = emails.filter(message_id="", raw_sha256=raw_sha256).first()
    return found.contact if found else None


def _thread_task(*, controller: Controller, parsed: ParsedEmail) -> Task | None:
    """The task of the stored message this one answers (In-Reply-To first, then References from
    the newest), or None for a new thread."""
    candidates = _references(parsed.in_reply_to) + list(reversed(_references(parsed.references)))
    candidates = [c for c in dict.fromkeys(candidates) if c != parsed.message_id]
    if not candidates:
        return None
    found = {
        row.message_id: row
        for row in EmailMessage.all_controllers.filter(
            controller=controller, message_id__in=candidates, contact__task__isnull=False
        ).select_related("contact__task")
    }
    for candidate in candidates:
        if candidate in found:
            return found[candidate].contact.task
    return None


def email_ingest(
    *, raw: bytes, controller: Controller, actor: Any, received_at: dt.datetime | None = None
) -> IngestResult:
    """Store one incoming email for `controller` (P2): the raw message, its bodies, headers and
    attachments, matched to its customer and threaded into its task.

    Returns the contact and whether it is new; a message stored before (same Message-ID, or the
    same bytes when it has none) returns the stored contact. Raises `UploadTooLarge` above
    INBOUND_EMAIL_MAX_BYTES and ValidationError for an empty message.
    """
    if not raw or not raw.strip():
        raise ValidationError({"message": [_("The message is empty.")]})
    if len(raw) > settings.INBOUND_EMAIL_MAX_BYTES:
        raise UploadTooLarge(
            _("The message is too large: %(size)s bytes, the limit is %(limit)s bytes.")
            % {"size": len(raw), "limit": settings.INBOUND_EMAIL_MAX_BYTES}
        )
    received_at = received_at or timezone.now()
    parsed = email_parse(raw)
    raw_sha256 = hashlib.sha256(raw).hexdigest()
    existing = _existing_email_contact(controller=controller, message_id=parsed.message_id, raw_sha256=raw_sha256)
    if existing is not None:
        return IngestResult(contact=existing, created=False, parse_problems=tuple(parsed.problems))
    try:
        contact = _email_store(
            raw=raw, raw_sha256=raw_sha256, parsed=parsed, controller=controller, actor=actor, received_at=received_at
        )
    except IntegrityError:
        # The same message stored concurrently: the unique Message-ID decided, ours rolled back.
        existing = _existing_email_contact(controller=controller, message_id=parsed.message_id, raw_sha256=raw_sha256)
        if existing is None:
            raise
        return IngestResult(contact=existing, created=False, parse_problems=tuple(parsed.problems))
    return IngestResult(contact=contact, created=True, parse_problems=tuple(parsed.problems))


def _email_store(
    *,
    raw: bytes,
    raw_sha256: str,
    parsed: ParsedEmail,
    controller: Controller,
    actor: Any,
    received_at: dt.datetime,
) -> Contact:
    with files_removed_on_rollback() as files, transaction.atomic():
        customer = customer_match_or_create(controller=controller, name=parsed.from_name, email=parsed.from_address)
        task = _thread_task(controller=controller, parsed=parsed)
        if task is None:
            task = Task.all_controllers.create(
                controller=controller, title=parsed.subject[:300] or str(_("(no subject)")), customer=customer
            )
        elif task.status == TaskStatus.CLOSED:
            # The customer wrote again about a finished matter: it needs attention again.
            task.status, task.closed_at = TaskStatus.OPEN, None
            task.save(update_fields=["status", "closed_at"])
        contact = contact_record(
            controller=controller,
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            occurred_at=_occurred_at(parsed.date, received_at),
            name=parsed.from_name,
            email=parsed.from_address,
            subject=parsed.subject,
            body=parsed.text_body,
            task=task,
            customer=customer,
        )
        message = EmailMessage(
            controller=controller,
            contact=contact,
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            from_header=parsed.from_header,
            to_header=parsed.to_header,
            size_bytes=len(raw),
            text_body=parsed.text_body,
            html_body=parsed.html_body,
            parse_problems="\n".join(parsed.problems),
            raw_sha256=raw_sha256,
        )
        files.save(message.raw, storage_name("eml"), ContentFile(raw))
        message.save()
        attachments = []
        for item in parsed.attachments:
            attachment = EmailAttachment(
                controller=controller,
                email=message,
                filename=item.filename,
                content_type=item.content_type,
                size_bytes=len(item.content),
            )
            extension = os.path.splitext(item.filename)[1].lstrip(".")
            files.save(attachment.file, storage_name(extension), ContentFile(item.content))
            attachments.append(attachment)
        EmailAttachment.all_controllers.bulk_create(attachments)
        audit_log(
            actor=actor,
            action=AuditAction.CREATE,
            purpose=AuditPurpose.INTEGRATION,
            obj=contact,
            details={
                "channel": Channel.EMAIL,
                "attachments": len(attachments),
                "parse_problems": bool(parsed.problems),
            },
        )
    return contact


# -- chat -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatLine:
    at: dt.datetime
    author: ChatAuthor | str
    text: str


def chat_ingest(
    *,
    controller: Controller,
    session_id: str,
    started_at: dt.datetime,
    name: str = "",
    email: str = "",
    phone: str = "",
    messages: Sequence[ChatLine] = (),
    actor: Any,
) -> IngestResult:
    """Store a website chat (P2), once per session: the same session again updates the visitor's
    details and adds the messages not yet stored (a full transcript posted again adds nothing)."""
    for attempt in range(2):
        try:
            return _chat_store(
                controller=controller,
                session_id=session_id,
                started_at=started_at,
                name=name,
                email=email,
                phone=phone,
                messages=messages,
                actor=actor,
            )
        except IntegrityError:
            # The first post of the session raced with another: the other created it, so update.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _chat_subject(lines: Sequence[ChatLine]) -> str:
    first = next((line.text for line in lines if line.author == ChatAuthor.VISITOR), "")
    return " ".join(first.split())[:200]


@transaction.atomic
def _chat_store(
    *,
    controller: Controller,
    session_id: str,
    started_at: dt.datetime,
    name: str,
    email: str,
    phone: str,
    messages: Sequence[ChatLine],
    actor: Any,
) -> IngestResult:
    contact = (
        Contact.all_controllers.select_for_update()
        .filter(controller=controller, chat_session_id=session_id, channel=Channel.CHAT)
        .first()
    )
    created = contact is None
    if contact is None:
        contact = contact_record(
            controller=controller,
            channel=Channel.CHAT,
            occurred_at=started_at,
            name=name,
            email=email,
            phone=phone,
            subject=_chat_subject(messages),
            chat_session_id=session_id,
        )
        stored: list[ChatLine] = []
    else:
        customer = customer_match_or_create(controller=controller, name=name, email=email, phone=phone)
        contact.occurred_at = min(contact.occurred_at, started_at)
        contact.name = name.strip()[:200] or contact.name
        if email.strip():
            contact.email, contact.email_normalized = email.strip()[:254], normalise_email_or_blank(email)
        if phone.strip():
            contact.phone, contact.phone_e164 = phone.strip()[:40], normalise_phone_or_blank(phone)
        contact.customer = contact.customer or customer
        stored = [
            ChatLine(at=m.at, author=m.author, text=m.text)
            for m in ChatMessage.all_controllers.filter(contact=contact).order_by("position")
        ]
        contact.subject = contact.subject or _chat_subject(messages)
        contact.save()
    known = {(line.at, str(line.author), line.text) for line in stored}
    new = [line for line in messages if (line.at, str(line.author), line.text) not in known]
    new = list({(line.at, str(line.author), line.text): line for line in new}.values())
    if new:
        transcript = sorted([*stored, *new], key=lambda line: line.at)
        ChatMessage.all_controllers.filter(contact=contact).delete()
        ChatMessage.all_controllers.bulk_create(
            ChatMessage(
                controller=controller,
                contact=contact,
                position=position,
                at=line.at,
                author=line.author,
                text=line.text,
            )
            for position, line in enumerate(transcript)
        )
    audit_log(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        purpose=AuditPurpose.INTEGRATION,
        obj=contact,
        details={"channel": Channel.CHAT, "messages_added": len(new)},
    )
    return IngestResult(contact=contact, created=created)


# -- calls and recordings ---------------------------------------------------------------------


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
    files: _StoredFiles,
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
    file is removed once the new one is committed."""
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
