"""Rows of the retention app for the IDOR harness (tests/security/test_idor.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.models import Controller
from tests.factories import object_factory


@object_factory("retention.purgerun")
def make_purge_run(controller: Controller, **fields: Any) -> Any:
    from retention.models import PurgeRun, PurgeRunStatus

    run = PurgeRun.objects.create(
        **{
            "as_of": timezone.now(),
            "trigger": "schedule",
            "status": PurgeRunStatus.FINISHED,
            "finished_at": timezone.now(),
            "deleted": {"contacts.contact": {str(controller.pk): 3}},
            **fields,
        }
    )
    run.controllers.set([controller])
    return run
