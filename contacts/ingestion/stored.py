"""What an ingestion returns, and how its files are written: only inside the transaction that
records them, and removed again if that transaction fails."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.base import File
from django.core.files.storage import default_storage

from contacts.models import Contact

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    contact: Contact
    created: bool
    parse_problems: tuple[str, ...] = ()


class StoredFiles:
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
def files_removed_on_rollback() -> Iterator[StoredFiles]:
    """Yield a file recorder; if the block fails, the files it wrote are deleted again, so a
    rolled-back ingestion leaves neither rows nor files behind."""
    stored = StoredFiles()
    try:
        yield stored
    except BaseException:
        stored.remove_all()
        raise


def storage_name(extension: str = "") -> str:
    # File names never carry personal values (the subject, a person's name): a random id.
    extension = re.sub(r"[^a-z0-9]", "", extension.lower())[:10]
    return f"{uuid.uuid4().hex}.{extension}" if extension else uuid.uuid4().hex
