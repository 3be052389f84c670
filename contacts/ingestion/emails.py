"""Email ingestion: store a raw message for a controller, once, threaded into its task."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalise_email_or_blank
from contacts.ingestion.parsing import ParsedEmail, email_parse, message_ids, occurred_at_of
from contacts.ingestion.stored import IngestResult, files_removed_on_rollback, storage_name
from contacts.models import Channel, Contact, Direction, EmailAttachment, EmailMessage, Mailbox, Task
from contacts.services import contact_record, customer_match_or_create
from contacts.tickets import task_create
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose, Controller
from core.personal_identity_code import personal_identity_codes_masked
from core.uploads import UploadTooLarge


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


def _existing_email_contact(*, controller: Controller, message_id: str, raw_sha256: str) -> Contact | None:
    """The contact of this very message stored before: the same Message-ID (or none) and the same
    bytes. A different message reusing the Message-ID is not it."""
    found = (
        EmailMessage.all_controllers.filter(controller=controller, message_id=message_id, raw_sha256=raw_sha256)
        .select_related("contact")
        .first()
    )
    return found.contact if found else None


def _thread_task(*, controller: Controller, parsed: ParsedEmail) -> Task | None:
    """The task of the stored message this one answers (In-Reply-To first, then References from
    the newest), or None for a new thread."""
    candidates = message_ids(parsed.in_reply_to) + list(reversed(message_ids(parsed.references)))
    candidates = [c for c in dict.fromkeys(candidates) if c != parsed.message_id]
    if not candidates:
        return None
    found: dict[str, EmailMessage] = {}
    for row in (
        EmailMessage.all_controllers.filter(
            controller=controller, message_id__in=candidates, contact__task__isnull=False
        )
        .select_related("contact__task")
        .order_by("pk")
    ):
        found.setdefault(row.message_id, row)  # a reused Message-ID: the first message's task
    for candidate in candidates:
        if candidate in found:
            return found[candidate].contact.task
    return None


def email_ingest(
    *, raw: bytes, controller: Controller, actor: Any, received_at: dt.datetime | None = None
) -> IngestResult:
    """Store one incoming email for `controller` (P2): the raw message, its bodies, headers and
    attachments, matched to its customer and threaded into its task.

    Returns the contact and whether it is new; the same message stored before (the same
    Message-ID, or none, and the same bytes) returns the stored contact. A different message
    reusing a stored Message-ID is stored, marked `message_id_reused`. Raises `UploadTooLarge`
    above INBOUND_EMAIL_MAX_BYTES and ValidationError for an empty message.
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
        # The same message stored concurrently: the unique constraint decided, ours rolled back.
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
    # A personal identity code the customer wrote is masked before anything is stored: in the
    # subject, the bodies and the raw message where it stands as written (a base64-encoded part
    # or an attachment keeps it; the contact's warning tells the agent to check).
    subject, subject_masked = personal_identity_codes_masked(parsed.subject)
    text_body, text_masked = personal_identity_codes_masked(parsed.text_body)
    html_body, html_masked = personal_identity_codes_masked(parsed.html_body)
    stored_raw, raw_masked = personal_identity_codes_masked(raw.decode("latin-1"))
    masked = subject_masked or text_masked or html_masked or raw_masked
    with files_removed_on_rollback() as files, transaction.atomic():
        customer = customer_match_or_create(controller=controller, name=parsed.from_name, email=parsed.from_address)
        task = _thread_task(controller=controller, parsed=parsed)
        if task is None:
            task = task_create(
                controller=controller,
                title=subject[:300] or str(_("(no subject)")),
                customer=customer,
                channel=Channel.EMAIL,
                now=received_at,
            )
        # A reply to a ticket waiting for the customer, or solved, opens it again: contact_record
        # hands the new contact to contacts.tickets.task_contact_linked.
        contact = contact_record(
            controller=controller,
            channel=Channel.EMAIL,
            direction=Direction.INBOUND,
            occurred_at=occurred_at_of(parsed.date, received_at),
            name=parsed.from_name,
            email=parsed.from_address,
            subject=subject,
            body=text_body,
            task=task,
            customer=customer,
            personal_identity_code_masked=masked,
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
            text_body=text_body,
            html_body=html_body,
            parse_problems="\n".join(parsed.problems),
            raw_sha256=raw_sha256,
            message_id_reused=bool(parsed.message_id)
            and EmailMessage.all_controllers.filter(controller=controller, message_id=parsed.message_id).exists(),
        )
        files.save(message.raw, storage_name("eml"), ContentFile(stored_raw.encode("latin-1")))
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
                "message_id_reused": message.message_id_reused,
            },
        )
    return contact
