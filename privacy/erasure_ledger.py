"""The erasure ledger: what each erasure deleted, kept outside the main database.

Invariants:
1. Outside the database. A restored database backup rolls back everything in it, the record of
   an erasure too; the ledger lives in its own storage (`STORAGES["erasure_ledger"]`), so that
   `replay_erasures` still knows, after a restore, whom to erase again.
2. Append-only. One JSON object per erasure pass, named by its time and a random part: an
   object is never rewritten or deleted, and names sort in the order the passes happened.
3. No personal values. An entry holds record types and ids, the controller and request ids, and
   keyed hashes (HMAC-SHA256 with `ERASURE_LEDGER_KEY`) of the subject's identifiers and of the
   names of the files deleted: enough to recognise the subject's rows and files again, never
   enough to read who they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages

LEDGER_STORAGE = "erasure_ledger"
FORMAT = 1


def ledger_storage() -> Any:
    return storages[LEDGER_STORAGE]


def ledger_key() -> bytes:
    return (getattr(settings, "ERASURE_LEDGER_KEY", "") or settings.SECRET_KEY).encode()


def identifier_hash(value: str) -> str:
    return hmac.new(ledger_key(), value.strip().lower().encode(), hashlib.sha256).hexdigest()


def file_hash(name: str) -> str:
    # File names are hashed as they are (case matters in storage).
    return hmac.new(ledger_key(), f"file:{name}".encode(), hashlib.sha256).hexdigest()


@dataclass
class LedgerEntry:
    controller_id: int
    request_id: int
    erased_at: str
    identifier_hashes: list[str]
    # Registry key -> ids deleted (rows that carry identifiers; `replay_erasures` checks them).
    records: dict[str, list[int]] = field(default_factory=dict)
    # Generated copies (access ZIPs) of the subject's requests, deleted with the erasure.
    copies: list[int] = field(default_factory=list)
    file_hashes: list[str] = field(default_factory=list)


def ledger_append(*, entry: LedgerEntry) -> str:
    """Write one entry as a new object; returns its name."""
    erased_at = dt.datetime.fromisoformat(entry.erased_at).astimezone(dt.UTC)
    name = f"{erased_at:%Y/%m/%Y%m%dT%H%M%S%fZ}-{entry.request_id}-{uuid.uuid4().hex}.json"
    body = json.dumps({"format": FORMAT, **asdict(entry)}, sort_keys=True).encode()
    return ledger_storage().save(name, ContentFile(body))


def _names(storage: Any, folder: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for directory in directories:
        yield from _names(storage, f"{folder}/{directory}" if folder else directory)


def ledger_entries() -> list[LedgerEntry]:
    """Every entry, oldest first."""
    storage = ledger_storage()
    entries = []
    for name in sorted(n for n in _names(storage, "") if n.endswith(".json")):
        with storage.open(name, "rb") as handle:
            data = json.loads(handle.read())
        data.pop("format", None)
        entries.append(LedgerEntry(**data))
    return entries
