"""`manage.py purge_expired [--dry-run] [--now ISO-DATETIME]`: the nightly purge, by hand."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from retention.deletion import keep_reason_labels
from retention.models import PurgeTrigger
from retention.purge import PurgeInProgress, purge, retention_plan


def _moment(value: str | None) -> dt.datetime:
    if not value:
        return timezone.now()
    try:
        moment = parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--now must be an ISO 8601 date and time, e.g. 2026-06-01T02:30:00+03:00, not {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Delete personal data past its retention period, except what a keep reason still needs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Delete nothing; report what would go and why.")
        parser.add_argument("--now", help="Apply the rules as of this ISO 8601 moment (default: now).")

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options["now"])
        bar = None
        if not options["dry_run"] and sys.stdout.isatty():
            bar = tqdm(total=retention_plan(now=now).due_total, unit="rows", desc="purge")
        try:
            run = purge(
                now=now,
                dry_run=options["dry_run"],
                trigger=PurgeTrigger.COMMAND,
                progress=bar.update if bar is not None else None,
            )
        except PurgeInProgress:
            raise CommandError("A purge run is in progress; try again when it has finished.") from None
        finally:
            if bar is not None:
                bar.close()
        self._summary(run)

    def _summary(self, run: Any) -> None:
        heading = "Dry run: would delete" if run.dry_run else "Deleted"
        self.stdout.write(f"Purge run {run.pk} as of {run.as_of.isoformat()} ({run.status})")
        self.stdout.write(f"{heading}:")
        if not run.deleted:
            self.stdout.write("  nothing")
        for key, per_controller in sorted(run.deleted.items()):
            self.stdout.write(f"  {key}: {sum(per_controller.values())}")
        labels = keep_reason_labels()
        kept: dict[str, int] = {}
        for per_controller in run.kept.values():
            for reasons in per_controller.values():
                for code, count in reasons.items():
                    kept[code] = kept.get(code, 0) + count
        self.stdout.write("Kept past their date:")
        if not kept:
            self.stdout.write("  nothing")
        for code, count in sorted(kept.items()):
            self.stdout.write(f"  {code} ({labels.get(code, code)}): {count}")
        if not run.dry_run:
            self.stdout.write(f"Files deleted: {run.files_deleted}")
        if run.errors:
            self.stdout.write(self.style.WARNING(f"Windows with errors: {len(run.errors)}"))
