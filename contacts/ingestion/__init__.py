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

from contacts.ingestion.calls import call_ingest, recording_attach
from contacts.ingestion.chats import ChatLine, chat_ingest
from contacts.ingestion.emails import email_ingest, mailbox_controller_for
from contacts.ingestion.parsing import ParsedEmail, email_parse, email_recipients
from contacts.ingestion.stored import IngestResult, StoredFiles, files_removed_on_rollback, storage_name

__all__ = [
    "ChatLine",
    "IngestResult",
    "ParsedEmail",
    "StoredFiles",
    "call_ingest",
    "chat_ingest",
    "email_ingest",
    "email_parse",
    "email_recipients",
    "files_removed_on_rollback",
    "mailbox_controller_for",
    "recording_attach",
    "storage_name",
]
