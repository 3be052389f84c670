"""Celery tasks of the contacts app: thin, each calls one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from contacts.imap import mailbox_poll_record
from contacts.models import Mailbox, SendStatus
from contacts.replies import replies_unsent, reply_send


@shared_task(bind=True, acks_late=True, task_reject_on_worker_lost=True, max_retries=None)
def reply_send_task(self: Any, email_message_id: int) -> None:
    """Send one reply; on failure retry with exponential backoff. The send is idempotent (a reply
    already sent is never sent again), so a redelivered task is harmless."""
    status = reply_send(email_message_id=email_message_id)
    retries = self.request.retries
    if status != SendStatus.FAILED or retries + 1 >= settings.REPLY_SEND_MAX_ATTEMPTS:
        return
    if self.request.is_eager:
        # In-process (no broker: the demo) there is no worker to come back later: try again now,
        # without letting an exception reach the request that saved the reply.
        reply_send_task.apply(args=(email_message_id,), retries=retries + 1, throw=False)
        return
    raise self.retry(countdown=reply_retry_delay(retries))


def reply_retry_delay(retries: int) -> int:
    """Seconds before the next attempt: 30 s, doubling, at most half an hour. A worker holds a
    delayed task unacknowledged until it runs: the delay stays well under the broker's visibility
    timeout (an hour by default), or Redis would deliver the waiting task a second time."""
    return min(30 * 2**retries, 1800)


@shared_task(acks_late=True, task_reject_on_worker_lost=True)
def replies_resend_unsent() -> None:
    """Periodic: queue again the replies still pending or failed (a task lost with the broker)."""
    for email_message_id in replies_unsent():
        reply_send_task.delay(email_message_id)


@shared_task(acks_late=True, task_reject_on_worker_lost=True)
def mailbox_poll_task(mailbox_id: int) -> None:
    mailbox = Mailbox.objects.select_related("controller").filter(pk=mailbox_id, imap_enabled=True).first()
    if mailbox is not None:
        mailbox_poll_record(mailbox=mailbox)


@shared_task(acks_late=True, task_reject_on_worker_lost=True)
def mailboxes_poll() -> None:
    """Periodic (django-celery-beat, created by a data migration): one poll task per mailbox."""
    for mailbox_id in Mailbox.objects.filter(imap_enabled=True).values_list("pk", flat=True):
        mailbox_poll_task.delay(mailbox_id)
