"""Replies to email contacts: saved at once as an outbound contact in the same task, sent after
commit by a Celery task (contacts.tasks.reply_send_task), never sent twice, failures kept.

A reply carries its own Message-ID and In-Reply-To / References pointing at the customer's
message, so the customer's answer threads back into the same task (contacts.ingestion).
"""

from __future__ import annotations

import hashlib
import logging
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
from contacts.models import Channel, Contact, Direction, EmailMessage, Mailbox, SendStatus, Task
from contacts.services import contact_record
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.queueing import enqueue_committed
from core.restriction import restriction_check_writable
from core.scoping import unscoped

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


def _outgoing(*, message: EmailMessage, subject: str, body: str) -> OutgoingEmail:
    headers = {"Message-ID": message.message_id}
    if message.in_reply_to:
        headers["In-Reply-To"] = message.in_reply_to
    if message.references:
        headers["References"] = message.references
    return OutgoingEmail(
        subject=subject, body=body, from_email=message.from_header, to=[message.to_header], headers=headers
    )


def reply_create(*, contact: Contact, agent: Any, body: str) -> Contact:
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
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None
    subject = reply_subject(contact.subject)
    with files_removed_on_rollback() as files, transaction.atomic():
        task = contact.task
        if task is None:
            task = Task.all_controllers.create(
                controller_id=contact.controller_id, title=contact.subject[:300] or subject, customer=contact.customer
            )
            Contact.all_controllers.filter(pk=contact.pk).update(task=task)
        reply = contact_record(
            controller=contact.controller,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            occurred_at=timezone.now(),
            name=contact.name,
            email=contact.email_normalized,
            subject=subject,
            body=body,
            agent=agent,
            task=task,
            customer=contact.customer,
        )
        message = EmailMessage(
            controller_id=contact.controller_id,
            contact=reply,
            message_id=make_msgid(domain=domain),
            in_reply_to=in_reply_to,
            references=references,
            from_header=reply_from_address(controller_id=contact.controller_id),
            to_header=contact.email_normalized,
            text_body=body,
            send_status=SendStatus.PENDING,
        )
        raw = _outgoing(message=message, subject=subject, body=body).message().as_bytes()
        message.size_bytes, message.raw_sha256 = len(raw), hashlib.sha256(raw).hexdigest()
        files.save(message.raw, storage_name("eml"), ContentFile(raw))
        message.save()
        audit_log(
            actor=agent,
            action=AuditAction.CREATE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=reply,
            details={"channel": Channel.EMAIL, "direction": Direction.OUTBOUND, "in_reply_to": contact.pk},
        )
        transaction.on_commit(lambda: reply_send_enqueue(email_message_id=message.pk))
    return reply


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
