"""Reads of the retention app: purge runs as a DPO may see them, and the retention dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.personal_data import PersonalDataType, registry
from core.scoping import unscoped
from retention.deletion import keep_reason_labels
from retention.models import PurgeRun, PurgeRunStatus
from retention.purge import RetentionPlan, purge_order, retention_plan

# The nightly run (the data migration's schedule); the dashboard shows what is due by then.
NIGHTLY_RUN_AT = dt.time(2, 30)
# Age buckets of a chart: twelve of a sixth of the period each (up to twice the period), then older.
_BUCKETS = 13
_AUDIT_LABEL = _("Audit events")


def purge_runs_visible_to(user: Any) -> QuerySet[PurgeRun]:
    """Runs that purged any of the user's controllers; each shows only their counts."""
    return (
        PurgeRun.objects.filter(controllers__in=list(user.controller_ids()))
        .distinct()
        .select_related("started_by")
        .order_by("-started_at", "-id")
    )


# A real purge started from the pages needs a dry run at most this old to confirm against.
CONFIRMATION_DRY_RUN_MAX_AGE = dt.timedelta(hours=24)


class DryRunProblem(models.TextChoices):
    """Why the latest dry run cannot be confirmed against."""

    NONE = "none", _("There is no dry run of your controllers yet.")
    RUNNING = "running", _("The latest dry run is still running. Reload this page when it has finished.")
    FAILED = "failed", _("The latest dry run did not finish.")
    OLD = "old", _("The latest dry run is more than a day old.")
    SUPERSEDED = "superseded", _("A purge has run since the latest dry run, so its figures are out of date.")


@dataclass
class DryRunForConfirmation:
    """The dry run a DPO confirms a real purge against, or why there is none to use."""

    run: PurgeRun | None
    problem: str = ""

    @property
    def usable(self) -> bool:
        return self.run is not None and not self.problem

    @property
    def problem_label(self) -> str:
        return str(DryRunProblem(self.problem).label) if self.problem else ""


def purge_dry_run_for_confirmation(*, user: Any, now: dt.datetime | None = None) -> DryRunForConfirmation:
    """The latest dry run covering all of the user's controllers, if it still tells what a real
    purge of them would delete: finished, at most a day old, and no purge has run since."""
    now = now or timezone.now()
    mine = set(user.controller_ids())
    runs = purge_runs_visible_to(user).prefetch_related("controllers")
    latest = next(
        (
            run
            for run in runs.filter(dry_run=True)[:20]
            if mine <= {controller.pk for controller in run.controllers.all()}
        ),
        None,
    )
    if latest is None:
        return DryRunForConfirmation(None, DryRunProblem.NONE)
    if latest.status == PurgeRunStatus.RUNNING:
        return DryRunForConfirmation(latest, DryRunProblem.RUNNING)
    if latest.status != PurgeRunStatus.FINISHED:
        return DryRunForConfirmation(latest, DryRunProblem.FAILED)
    if latest.started_at < now - CONFIRMATION_DRY_RUN_MAX_AGE:
        return DryRunForConfirmation(latest, DryRunProblem.OLD)
    if runs.filter(dry_run=False, started_at__gt=latest.started_at).exists():
        return DryRunForConfirmation(latest, DryRunProblem.SUPERSEDED)
    return DryRunForConfirmation(latest)


def record_type_labels() -> dict[str, Any]:
    """The name of each record type a purge run counts, by its key."""
    labels: dict[str, Any] = {d.key(): d.verbose_name for d in registry}
    labels["core.auditevent"] = _AUDIT_LABEL
    return labels


def counts_for_controllers(counts: dict[str, Any], controller_ids: Collection[int]) -> dict[str, Any]:
    """A run's {record type: {controller id: ...}} map reduced to these controllers."""
    allowed = {str(pk) for pk in controller_ids}
    reduced = {}
    for key, per_controller in counts.items():
        mine = {controller: value for controller, value in per_controller.items() if controller in allowed}
        if mine:
            reduced[key] = mine
    return reduced


def totals_by_record_type(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    return {key: sum(per.values()) for key, per in sorted(counts.items())}


def kept_totals_by_reason(kept: dict[str, dict[str, dict[str, int]]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for per_controller in kept.values():
        for reasons in per_controller.values():
            for code, count in reasons.items():
                totals[code] = totals.get(code, 0) + count
    return dict(sorted(totals.items()))


def next_nightly_run(now: dt.datetime) -> dt.datetime:
    """The next 02:30 in Helsinki after `now`."""
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    candidate = local.replace(hour=NIGHTLY_RUN_AT.hour, minute=NIGHTLY_RUN_AT.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += dt.timedelta(days=1)
    return candidate


@dataclass
class AgeChart:
    """Rows of one record type by age, in buckets of a sixth of its period, with the period line."""

    key: str
    label: Any
    days: int
    bucket_days: int
    buckets: list[int] = field(default_factory=list)  # the last one: twice the period and older

    @property
    def line_index(self) -> int:
        return self.days // self.bucket_days


def _age_chart(declaration: type[PersonalDataType], now: dt.datetime, controller_ids: Collection[int]) -> AgeChart:
    retention = declaration.retention
    assert retention is not None
    bucket_days = max(1, retention.days // 6)
    chart = AgeChart(
        key=declaration.key(), label=declaration.verbose_name, days=retention.days, bucket_days=bucket_days
    )
    rows = declaration.queryset().filter(controller_id__in=list(controller_ids))
    date_field = retention.date_field
    width = dt.timedelta(days=bucket_days)
    # One query with a filtered count per bucket, whatever the number of rows.
    aggregates = {}
    for index in range(_BUCKETS):
        condition = Q(**{f"{date_field}__lte": now - index * width})
        if index < _BUCKETS - 1:
            condition &= Q(**{f"{date_field}__gt": now - (index + 1) * width})
        aggregates[f"b{index}"] = Count("pk", filter=condition)
    counts = rows.aggregate(**aggregates)
    chart.buckets = [counts[f"b{index}"] for index in range(_BUCKETS)]
    return chart


def age_charts(*, now: dt.datetime, controller_ids: Collection[int]) -> list[AgeChart]:
    """One chart per record type whose own date starts its clock (contacts, complaints, …)."""
    with unscoped():
        return [
            _age_chart(declaration, now, controller_ids)
            for declaration in purge_order()
            if declaration.retention is not None
            and declaration.model._meta.get_field(declaration.retention.date_field).null is False
        ]


@dataclass
class Dashboard:
    now: dt.datetime
    tonight: dt.datetime
    plan: RetentionPlan
    charts: list[AgeChart]
    labels: dict[str, Any]
    verbose_names: dict[str, Any]
    last_runs: list[PurgeRun]

    @property
    def due_rows(self) -> list[tuple[str, Any, int]]:
        return [
            (key, self.verbose_names.get(key, key), sum(per.values())) for key, per in sorted(self.plan.due.items())
        ]

    @property
    def kept_rows(self) -> list[tuple[str, Any, str, Any, int]]:
        totals: dict[tuple[str, str], int] = {}
        for key, per_controller in self.plan.kept.items():
            for reasons in per_controller.values():
                for code, count in reasons.items():
                    totals[(key, code)] = totals.get((key, code), 0) + count
        return [
            (key, self.verbose_names.get(key, key), code, self.labels.get(code, code), count)
            for (key, code), count in sorted(totals.items())
        ]


def retention_dashboard(*, user: Any, now: dt.datetime | None = None) -> Dashboard:
    """What the DPO watches: records by age, what is due by tonight's run, what is kept and why,
    all limited to the DPO's controllers."""
    now = now or timezone.now()
    controller_ids = list(user.controller_ids())
    tonight = next_nightly_run(now)
    verbose_names = record_type_labels()
    return Dashboard(
        now=now,
        tonight=tonight,
        plan=retention_plan(now=tonight, controller_ids=controller_ids),
        charts=age_charts(now=now, controller_ids=controller_ids),
        labels=keep_reason_labels(),
        verbose_names=verbose_names,
        last_runs=list(purge_runs_visible_to(user)[:5]),
    )
