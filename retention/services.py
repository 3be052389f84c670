"""Writes of the retention app that people start: a DPO's purge run or dry run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import audit_log_per_controller
from core.models import AuditAction, AuditPurpose
from core.queueing import enqueue_committed
from retention.models import PurgeRun, PurgeTrigger
from retention.purge import purge_run_begin


def purge_run_request(
    *, user: Any, dry_run: bool, now: dt.datetime | None = None, confirmed_dry_run: PurgeRun | None = None
) -> PurgeRun:
    """Start a purge (or a dry run) of the DPO's own controllers; it runs as a background task.

    The pages ask the DPO to confirm a real purge against the latest dry run, which is recorded
    in the audit event (`confirmed_dry_run`); API clients confirm by their intent (`dry_run`
    false). Raises PurgeInProgress (409) while another run is being worked on.
    """
    from retention.tasks import purge_expired

    run = purge_run_begin(
        now=now or timezone.now(),
        dry_run=dry_run,
        trigger=PurgeTrigger.DPO,
        started_by=user,
        controller_ids=user.controller_ids(),
    )
    audit_log_per_controller(
        actor=user,
        action=AuditAction.PURGE,
        purpose=AuditPurpose.RETENTION,
        obj=run,
        details_by_controller={
            controller_id: {
                "dry_run": run.dry_run,
                "requested": True,
                "confirmed_dry_run": confirmed_dry_run.pk if confirmed_dry_run is not None else None,
            }
            for controller_id in run.controllers.values_list("pk", flat=True)
        },
    )
    transaction.on_commit(lambda: enqueue_committed(purge_expired, kwargs={"run_id": run.pk}))
    return run
