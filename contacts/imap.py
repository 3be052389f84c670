"""IMAP polling of customer-service mailboxes (P2): unseen messages are fetched, stored through
the ingestion service, and marked seen only once stored, so a crash means fetching again (and
the Message-ID de-duplication), never a message lost."""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from contacts.ingestion import email_ingest
from contacts.models import Mailbox

logger = logging.getLogger(__name__)

ACTOR = "imap_poll"


def imap_connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in IMAP-over-TLS connection to the mailbox (certificate verified)."""
    connection = imaplib.IMAP4_SSL(
        mailbox.imap_host,
        mailbox.imap_port,
        ssl_context=ssl.create_default_context(),
        timeout=settings.IMAP_TIMEOUT_SECONDS,
    )
    connection.login(mailbox.imap_username, mailbox.imap_password)
    return connection


@dataclass
class PollReport:
    stored: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)


def _fetched_bytes(data: list[Any]) -> bytes | None:
    for item in data or []:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None


_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def _message_size(connection: Any, uid: bytes) -> int | None:
    """The size the server states for a message, or None when it does not say."""
    try:
        status, data = connection.uid("FETCH", uid, "(RFC822.SIZE)")
    except imaplib.IMAP4.error:
        return None
    for item in (data or []) if status == "OK" else []:
        line = item[0] if isinstance(item, tuple) else item
        match = _SIZE.search(line) if isinstance(line, bytes) else None
        if match:
            return int(match.group(1))
    return None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_poll(*, mailbox: Mailbox, connect: Callable[[Mailbox], Any] | None = None) -> PollReport:
    """Fetch the unseen messages of one mailbox and store each for the mailbox's controller.

    `connect` is the connection factory (the tests pass a fake server). A message that cannot be
    stored stays unseen and is tried again at the next poll; the error is kept on the mailbox.
    """
    report = PollReport()
    connection = (connect or imap_connect)(mailbox)
    try:
        status, _data = connection.select(_quoted(mailbox.imap_folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder ({status})")
        status, data = connection.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if status == "OK" and data else []
        for uid in uids[: settings.IMAP_POLL_MAX_MESSAGES]:
            _message_take(connection=connection, mailbox=mailbox, uid=uid, report=report)
    finally:
        try:
            connection.logout()
        except Exception:  # noqa: BLE001 (the poll's own result matters, not a failed goodbye)
            logger.info("IMAP logout of mailbox %s failed", mailbox.pk)
    return report


def _message_take(*, connection: Any, mailbox: Mailbox, uid: bytes, report: PollReport) -> None:
    label = uid.decode("ascii", errors="replace")
    size = _message_size(connection, uid)
    if size is not None and size > settings.INBOUND_EMAIL_MAX_BYTES:
        # Not downloaded at every poll only to be refused: left unseen for a person to handle.
        report.failed.append(f"{label}: too large ({size} bytes)")
        return
    try:
        # BODY.PEEK leaves the message unseen until it is stored.
        status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = _fetched_bytes(data) if status == "OK" else None
        if raw is None:
            raise imaplib.IMAP4.error(f"fetch failed ({status})")
        result = email_ingest(raw=raw, controller=mailbox.controller, actor=ACTOR)
    except Exception as error:  # noqa: BLE001 (one bad message must not stop the others)
        logger.warning("Mailbox %s: message %s not stored: %s", mailbox.pk, label, type(error).__name__)
        report.failed.append(f"{label}: {type(error).__name__}")
        return
    connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if result.created:
        report.stored += 1
    else:
        report.duplicates += 1


def mailbox_poll_record(*, mailbox: Mailbox, connect: Callable[[Mailbox], Any] | None = None) -> PollReport:
    """Poll and record the outcome on the mailbox (shown in the admin)."""
    try:
        report = mailbox_poll(mailbox=mailbox, connect=connect)
        error = "\n".join(report.failed)
    except Exception as exc:  # noqa: BLE001 (server down, login refused: recorded, tried again next time)
        logger.warning("Polling mailbox %s failed: %s", mailbox.pk, type(exc).__name__)
        report, error = PollReport(), f"{type(exc).__name__}: {exc}"[:1000]
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_poll_error=error)
    return report
