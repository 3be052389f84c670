"""`manage.py replay_erasures`: after a backup is restored, erase again everyone erased since.

The erasure ledger holds ids and keyed hashes only; a row is erased again only if it still
carries one of the erased subject's identifiers. Running it twice changes nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.scoping import unscoped
from privacy.erasure import erasures_replay


class Command(BaseCommand):
    help = "Re-apply every recorded erasure (run after restoring a database backup)."

    def handle(self, *args: Any, **options: Any) -> None:
        with unscoped():
            counts = erasures_replay()
        total = sum(counts.values())
        for key, count in sorted(counts.items()):
            self.stdout.write(f"{key}: {count}")
        self.stdout.write(self.style.SUCCESS(f"Erased again: {total} record(s)."))
