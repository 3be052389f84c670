"""Scheduled retention jobs: thin interfaces over retention.purge and retention.deletion.

`purge_expired` acknowledges its message only when done (`acks_late`) and is redelivered if
the worker dies (`reject_on_worker_lost`). Each message works at most
RETENTION_PURGE_TASK_SECONDS (well under the broker's visibility timeout) and then hands over to
a continuation message; the run's cursor is durable, so a redelivered or duplicate message
resumes the same run or finds it done, and never starts a second purge beside it.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from retention.deletion import orphaned_files_sweep, tombstones_sweep
from retention.purge import purge_run_step


@shared_task(
    name="retention.purge_expired",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # A hard stop well past the working budget and under the visibility timeout.
    time_limit=2 * settings.RETENTION_PURGE_TASK_SECONDS,
)
def purge_expired(run_id: int | None = None) -> str:
    outcome, run = purge_run_step(run_id=run_id, time_budget=settings.RETENTION_PURGE_TASK_SECONDS)
    if outcome == "continues" and run is not None:
        purge_expired.apply_async(kwargs={"run_id": run.pk})
    return outcome


@shared_task(name="retention.sweep_files", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_files() -> dict[str, int]:
    """Finish file deletions interrupted by a crash and remove files no row refers to."""
    older_than = dt.timedelta(hours=settings.RETENTION_ORPHAN_FILE_HOURS)
    return {
        "tombstones": tombstones_sweep(),
        "orphans": orphaned_files_sweep(now=timezone.now(), older_than=older_than),
    }
