"""Replies to email contacts: saved at once as an outbound contact in the same task, sent after
commit by a Celery task (contacts.tasks.reply_send_task), never sent twice, failures kept.

A reply carries its own Message-ID and In-Reply-To / References pointing at the customer's
message, so the customer's answer threads back into the same task (contacts.ingestion).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage as OutgoingEmail
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.ingestion import files_removed_on_rollback, storage_name
from contacts.models import Channel, Contact, Direction, EmailAttachment, EmailMessage, Mailbox, SendStatus, Task
from contacts.services import contact_record
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.queueing import enqueue_committed
from core.restriction import restriction_check_writable
from core.scoping import unscoped
from core.uploads import UploadError, require_document

logger = logging.getLogger(__name__)

# Stored with the message when sending fails; enough to tell an SMTP refusal from a timeout.
_ERROR_CHARS = 1000


def reply_subject(subject: str) -> str:
    subject = subject.strip()
    if subject.lower().startswith(("re:", "vs:", "sv:", "aw:")):
        return subject[:500]
    return (f"Re: {subject}" if subject else "Re:")[:500]


def reply_from_address(*, controller_id: int) -> str:
    """The controller's customer-service mailbox, so that the answer comes back to it."""
    mailbox = Mailbox.objects.filter(controller_id=controller_id).order_by("pk").first()
    return mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL


def _outgoing(*, message: EmailMessage, subject: str, body: str, attachments: Any = None) -> OutgoingEmail:
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    outgoing = OutgoingEmail(
        subject=subject, body=body, from_email=message.from_header, to=[message.to_header], headers=headers
    )
    for attachment in attachments if attachments is not None else message.attachments.all():
        with attachment.file.open("rb") as stored:
            outgoing.attach(attachment.filename, stored.read(), attachment.content_type)
    return outgoing


@dataclass(frozen=True)
class OutgoingAttachment:
    """A file to send, already checked (core.uploads.require_document): its sniffed type."""

    filename: str
    content_type: str
    content: bytes


def attachments_check(files: Sequence[Any]) -> list[OutgoingAttachment]:
    """The uploaded files of a reply, each checked by size and sniffed type, and all of them
    together by size. ValidationError on `attachments` with the upload check's message."""
    checked, total = [], 0
    for upload in files:
        try:
            content_type = require_document(
                upload, limit=settings.REPLY_ATTACHMENT_MAX_BYTES, filename=upload.name or ""
            )
        except UploadError as error:
            raise ValidationError({"attachments": [f"{upload.name}: {error.message}"]}) from None
        upload.seek(0)
        content = upload.read()
        total += len(content)
        name = "".join(ch for ch in os.path.basename(upload.name or "") if ch.isprintable())[:200] or "attachment"
        checked.append(OutgoingAttachment(filename=name, content_type=content_type, content=content))
    if total > settings.REPLY_ATTACHMENTS_TOTAL_MAX_BYTES:
        raise ValidationError(
            {
                "attachments": [
                    _("The attachments are too large together: the limit is %(limit)s bytes.")
                    % {"limit": settings.REPLY_ATTACHMENTS_TOTAL_MAX_BYTES}
                ]
            }
        )
    return checked


def reply_create(*, contact: Contact, agent: Any, body: str, attachments: Sequence[OutgoingAttachment] = ()) -> Contact:
    """Save an agent's answer to an email contact as an outbound email contact of the same task
    (P2) and queue it for sending. ValidationError when the contact cannot be answered by email."""
    if contact.channel != Channel.EMAIL or not contact.email_normalized:
        raise ValidationError({"body": [_("Only an email with a sender address can be answered by email.")]})
    # Art. 18: restricted data is only kept, not used, so it is not answered either (Conflict).
    restriction_check_writable(contact)
    if not body.strip():
        raise ValidationError({"body": [_("Write the answer.")]})
    original = EmailMessage.all_controllers.filter(contact=contact).first()
    in_reply_to = original.message_id if original else ""
    references = " ".join(filter(None, [original.references if original else "", in_reply_to]))
    subject = reply_subject(contact.subject)
    with transaction.atomic():
        task = contact.task
        if task is None:
            task = Task.all_controllers.create(
                controller_id=contact.controller_id, title=contact.subject[:300] or subject, customer=contact.customer
            )
            Contact.all_controllers.filter(pk=contact.pk).update(task=task)
            contact.task = task
        return outbound_email_create(
            controller=contact.controller,
            to=contact.email_normalized,
            name=contact.name,
            subject=subject,
            body=body,
            agent=agent,
            task=task,
            customer=contact.customer,
            in_reply_to=in_reply_to,
            references=references,
            attachments=attachments,
            audit_details={"in_reply_to": contact.pk},
        )


def outbound_email_create(
    *,
    controller: Any,
    to: str,
    subject: str,
    body: str,
    agent: Any,
    name: str = "",
    task: Task | None = None,
    customer: Any = None,
    in_reply_to: str = "",
    references: str = "",
    attachments: Sequence[OutgoingAttachment] = (),
    audit_details: dict[str, Any] | None = None,
    purpose: str = AuditPurpose.CUSTOMER_SERVICE,
) -> Contact:
    """The one outbound path: an email saved as an outbound email contact (P2) with its raw
    message and attachments, sent after commit by the Celery task (reply_send). Agents' replies
    and complaint handlers' replies to a complainant both come here."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None
    with files_removed_on_rollback() as files, transaction.atomic():
        reply = contact_record(
            controller=controller,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            occurred_at=timezone.now(),
            name=name,
            email=to,
            subject=subject,
            body=body,
            agent=agent,
            task=task,
            customer=customer,
        )
        message = EmailMessage(
            controller_id=controller.pk,
            contact=reply,
            message_id=make_msgid(domain=domain),
            in_reply_to=in_reply_to,
            references=references,
            from_header=reply_from_address(controller_id=controller.pk),
            to_header=to,
            text_body=body,
            send_status=SendStatus.PENDING,
        )
        stored = []
        for item in attachments:
            attachment = EmailAttachment(
                controller_id=controller.pk,
                filename=item.filename,
                content_type=item.content_type,
                size_bytes=len(item.content),
            )
            files.save(attachment.file, storage_name("bin"), ContentFile(item.content))
            stored.append(attachment)
        raw = _outgoing(message=message, subject=subject, body=body, attachments=stored).message().as_bytes()
        message.size_bytes, message.raw_sha256 = len(raw), hashlib.sha256(raw).hexdigest()
        files.save(message.raw, storage_name("eml"), ContentFile(raw))
        message.save()
        for attachment in stored:
            attachment.email = message
        EmailAttachment.all_controllers.bulk_create(stored)
        audit_log(
            actor=agent,
            action=AuditAction.CREATE,
            purpose=purpose,
            obj=reply,
            details={
                "channel": Channel.EMAIL,
                "direction": Direction.OUTBOUND,
                "attachments": len(stored),
                **(audit_details or {}),
            },
        )
        transaction.on_commit(lambda: reply_send_enqueue(email_message_id=message.pk))
    return reply


def reply_retry(*, reply: Contact, actor: Any, purpose: str = AuditPurpose.CUSTOMER_SERVICE) -> EmailMessage:
    """Someone asks to send a failed reply again: a fresh round of attempts, queued after commit.
    Conflict when the reply is not a failed outbound email (sent meanwhile, or still pending)."""
    with transaction.atomic():
        message = EmailMessage.all_controllers.select_for_update().filter(contact=reply).first()
        if message is None or message.send_status != SendStatus.FAILED:
            raise Conflict(_("Only a reply whose sending failed can be sent again."), code="not_failed")
        message.send_status, message.send_attempts = SendStatus.PENDING, 0
        message.save(update_fields=["send_status", "send_attempts"])
        audit_log(actor=actor, action=AuditAction.SEND, purpose=purpose, obj=reply, details={"retry": True})
        transaction.on_commit(lambda: reply_send_enqueue(email_message_id=message.pk))
    return message


def reply_send_enqueue(*, email_message_id: int) -> None:
    """Queue the send of a committed reply. A broker that cannot be reached does not fail the
    agent's request: the reply waits PENDING and replies_resend_unsent queues it again."""
    from contacts.tasks import reply_send_task

    enqueue_committed(reply_send_task, args=(email_message_id,))


def reply_send(*, email_message_id: int) -> SendStatus | None:
    """Send one outbound reply through Django's email backend, at most once: the row is locked
    while sending, and a reply already sent is never sent again. A failure is recorded on the
    message (status, error, attempts) and returned, for the task to retry."""
    with unscoped(), transaction.atomic():
        message = (
            EmailMessage.all_controllers.select_for_update()
            .select_related("contact")
            .filter(pk=email_message_id)
            .first()
        )
        if message is None or message.send_status == "":
            return None  # erased meanwhile, or not an outbound message: nothing to send
        if message.send_status == SendStatus.SENT:
            return SendStatus.SENT
        if message.send_attempts >= settings.REPLY_SEND_MAX_ATTEMPTS:
            # Retries and the periodic resend may overlap; the attempts are bounded here, once.
            return SendStatus.FAILED
        outgoing = _outgoing(message=message, subject=message.contact.subject, body=message.text_body)
        message.send_attempts += 1
        try:
            get_connection(fail_silently=False).send_messages([outgoing])
        except Exception as error:  # noqa: BLE001 (any backend failure is recorded and retried)
            logger.warning("Sending reply %s failed: %s", message.pk, type(error).__name__)
            message.send_status = SendStatus.FAILED
            message.send_error = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
            message.save(update_fields=["send_status", "send_error", "send_attempts"])
            return SendStatus.FAILED
        message.send_status, message.send_error, message.sent_at = SendStatus.SENT, "", timezone.now()
        message.save(update_fields=["send_status", "send_error", "send_attempts", "sent_at"])
        audit_log(
            actor="reply_send",
            action=AuditAction.SEND,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=message.contact,
            details={"attempts": message.send_attempts},
        )
        return SendStatus.SENT


def replies_unsent(*, limit: int = 100) -> list[int]:
    """Outbound replies still pending or failed with attempts left, oldest first: the periodic
    resend picks these up, so a reply whose task was lost (a broker outage) still goes out."""
    with unscoped():
        return list(
            EmailMessage.all_controllers.filter(
                send_status__in=[SendStatus.PENDING, SendStatus.FAILED],
                send_attempts__lt=settings.REPLY_SEND_MAX_ATTEMPTS,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
