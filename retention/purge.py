"""The nightly purge: everything past its retention date, except what a keep reason still needs.

Invariants:
1. One rule set. `retention_plan` computes, for a moment T, what is due and what is kept and
   why, from the registry alone; the purge, its dry run and the dashboard all read it, and the
   purge deletes through `retention.deletion` (keep conditions re-checked inside each DELETE).
   T (`--now`, `purge_run_begin(now=)`) moves only the age cut-off: what is held, restricted,
   requested or open is always read at the statement, so a hold placed after T, or after the
   run began, keeps its rows.
2. Keyset windows. Each record type is walked in windows of the primary key (about 10,000 ids,
   RETENTION_PURGE_WINDOW), never by re-running a LIMIT query; each window is its own short
   transaction, which also saves the cursor and the counts of the run.
3. One purge at a time: a PostgreSQL advisory lock (elsewhere a cache lock) around the work, and
   a unique constraint allowing one running PurgeRun; the second caller gets PurgeInProgress.
4. Resumable. A run stopped anywhere (killed, or out of its task's time budget) continues from
   its saved cursor with its own moment T, and tombstoned files left by a crash are swept.
5. The clock never restarts: a contact's due date is its own date plus the period, so when the
   task that kept it closes late, the next run takes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log, audit_log_per_controller
from core.errors import Conflict
from core.models import AuditAction, AuditEvent, AuditPurpose, Controller
from core.personal_data import PersonalDataType, registry
from core.scoping import unscoped
from retention.deletion import (
    DeletionResult,
    any_keep_q,
    delete_due_window,
    delete_returning,
    keep_conditions,
    tombstones_sweep,
)
from retention.models import PurgeRun, PurgeRunStatus, PurgeTrigger

AUDIT_STAGE = "core.auditevent"
# Any 64-bit number only the purge uses: "RETAPURG".
PURGE_LOCK_KEY = 0x5245_5441_5055_5247 - (1 << 63)
_CACHE_LOCK = "retention:purge-lock"


# Work another app finishes after each real run, registered by that app (retention imports
# none): privacy erases the records erasures kept while a reason now ended applied.
_after_run: list[Callable[[PurgeRun], None]] = []


def after_purge_register(hook: Callable[[PurgeRun], None]) -> None:
    if hook not in _after_run:
        _after_run.append(hook)


class PurgeInProgress(Conflict):
    """Another purge run holds the lock (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__(
            str(_("A purge run is in progress; try again when it has finished.")), code="purge_in_progress"
        )


# -- the rules at a moment ---------------------------------------------------------------------
def purge_order() -> list[type[PersonalDataType]]:
    """Record types with their own clock, each before the record types it refers to (contacts
    before their tasks, tasks before their customers), so a parent is reached after its rows."""
    roots = [d for d in registry.roots() if d.retention is not None]
    by_model = {d.model: d for d in roots}
    refers_to: dict[str, set[str]] = {}
    for declaration in roots:
        targets = set()
        for model_field in declaration.model._meta.concrete_fields:
            target = by_model.get(model_field.related_model) if model_field.is_relation else None
            if target is not None and target is not declaration:
                targets.add(target.key())
        refers_to[declaration.key()] = targets
    ordered: list[type[PersonalDataType]] = []
    placed: set[str] = set()
    remaining = sorted(roots, key=lambda d: d.key())
    while remaining:
        # A record type goes once nothing left unplaced still refers to it.
        ready = [
            d for d in remaining if not any(d.key() in refers_to[o.key()] for o in remaining if o is not d)
        ] or remaining[:1]
        for declaration in ready:
            ordered.append(declaration)
            placed.add(declaration.key())
        remaining = [d for d in remaining if d.key() not in placed]
    return ordered


def due_rows(declaration: type[PersonalDataType], now: dt.datetime) -> models.QuerySet:
    """Rows past their date at `now` and kept by no reason (as things stand): what the purge deletes."""
    due = declaration.due_q(now)
    rows = declaration.queryset()
    if due is None:
        return rows.none()
    keep = any_keep_q(keep_conditions(declaration))
    return rows.filter(due) if keep is None else rows.filter(due).filter(~keep)


def kept_rows(declaration: type[PersonalDataType], now: dt.datetime, code: str) -> models.QuerySet:
    """Rows past their date at `now` that one keep reason keeps."""
    due = declaration.due_q(now)
    conditions = dict(keep_conditions(declaration))
    if due is None or code not in conditions:
        return declaration.queryset().none()
    return declaration.queryset().filter(due).filter(conditions[code])


def audit_events_due(now: dt.datetime) -> models.QuerySet:
    return AuditEvent.objects.filter(at__lt=now - dt.timedelta(days=settings.RETENTION_AUDIT_EVENT_DAYS))


@dataclass
class RetentionPlan:
    """What the rules say at `at`: due rows per record type and controller, and the rows past
    their date that are kept, per keep reason."""

    at: dt.datetime
    due: dict[str, dict[int | None, int]] = field(default_factory=dict)
    kept: dict[str, dict[int | None, dict[str, int]]] = field(default_factory=dict)

    @property
    def due_total(self) -> int:
        return sum(sum(per.values()) for per in self.due.values())

    @property
    def kept_total_by_reason(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for per_controller in self.kept.values():
            for per_reason in per_controller.values():
                for code, count in per_reason.items():
                    totals[code] = totals.get(code, 0) + count
        return totals


def _counts_by_controller(rows: models.QuerySet) -> dict[int | None, int]:
    return {row["controller_id"]: row["n"] for row in rows.values("controller_id").annotate(n=Count("pk")) if row["n"]}


def retention_plan(*, now: dt.datetime, controller_ids: Collection[int] | None = None) -> RetentionPlan:
    """Which records are past their date at `now` and not kept, and which are kept and why (keep
    reasons as they stand when the counts are made, whatever `now`).

    The one computation behind the purge (its kept counts), the dry run and the dashboard.
    `controller_ids` limits the counts to those controllers (a DPO's view).
    """
    plan = RetentionPlan(at=now)
    with unscoped():
        for declaration in purge_order():
            due = declaration.due_q(now)
            if due is None:
                continue
            base = declaration.queryset().filter(due)
            if controller_ids is not None:
                base = base.filter(controller_id__in=list(controller_ids))
            # One pass over the rows past their date: the count that would go, and the count each
            # keep reason keeps (a row kept for two reasons counts under both).
            conditions = keep_conditions(declaration)
            keep = any_keep_q(conditions)
            counts = {"due": Count("pk", filter=~keep) if keep is not None else Count("pk")}
            counts.update({f"kept_{index}": Count("pk", filter=q) for index, (_code, q) in enumerate(conditions)})
            for row in base.order_by().values("controller_id").annotate(**counts):
                if row["due"]:
                    plan.due.setdefault(declaration.key(), {})[row["controller_id"]] = row["due"]
                for index, (code, _condition) in enumerate(conditions):
                    if row[f"kept_{index}"]:
                        per_controller = plan.kept.setdefault(declaration.key(), {})
                        per_controller.setdefault(row["controller_id"], {})[code] = row[f"kept_{index}"]
        events = audit_events_due(now)
        if controller_ids is not None:
            events = events.filter(controller_id__in=list(controller_ids))
        counts = _counts_by_controller(events)
        if counts:
            plan.due[AUDIT_STAGE] = counts
    return plan


# -- one purge at a time -----------------------------------------------------------------------
@contextlib.contextmanager
def purge_lock() -> Iterator[bool]:
    """Yields True when this process now holds the purge lock (released on exit).

    PostgreSQL: a session advisory lock, released by the server if the process dies. Elsewhere
    (the SQLite demo) an atomic cache add with a time limit.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [PURGE_LOCK_KEY])
            held = bool(cursor.fetchone()[0])
        try:
            yield held
        finally:
            if held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_KEY])
        return
    token = uuid.uuid4().hex
    held = cache.add(_CACHE_LOCK, token, timeout=2 * settings.RETENTION_PURGE_TASK_SECONDS)
    try:
        yield held
    finally:
        if held and cache.get(_CACHE_LOCK) == token:
            cache.delete(_CACHE_LOCK)


def purge_in_progress() -> bool:
    return PurgeRun.objects.filter(status=PurgeRunStatus.RUNNING).exists()


def purge_run_begin(
    *,
    now: dt.datetime,
    dry_run: bool,
    trigger: PurgeTrigger | str,
    started_by: Any = None,
    controller_ids: Collection[int] | None = None,
) -> PurgeRun:
    """Open a purge run, or return the interrupted one a new purge must finish first.

    Raises PurgeInProgress when a run is being worked on (its worker holds the lock). A purge
    left running by a dead worker is resumed (with its own moment T) instead of a new one; an
    interrupted dry run is closed as interrupted. `controller_ids` limits the run to those
    controllers (a DPO's run); None is every controller (the nightly run).
    """
    with purge_lock() as held:
        if not held:
            raise PurgeInProgress
        unfinished = PurgeRun.objects.filter(status=PurgeRunStatus.RUNNING).first()
        if unfinished is not None:
            if not unfinished.dry_run and not dry_run:
                return unfinished
            if not unfinished.dry_run:
                raise PurgeInProgress
            PurgeRun.objects.filter(pk=unfinished.pk).update(
                status=PurgeRunStatus.INTERRUPTED, finished_at=timezone.now()
            )
        try:
            with transaction.atomic():
                run = PurgeRun.objects.create(as_of=now, dry_run=dry_run, trigger=trigger, started_by=started_by)
                controllers = Controller.objects.all()
                if controller_ids is not None:
                    controllers = controllers.filter(pk__in=list(controller_ids))
                run.controllers.set(controllers)
        except IntegrityError:
            raise PurgeInProgress from None
        return run


def run_controller_ids(run: PurgeRun) -> tuple[list[int], bool]:
    """The run's controllers, and whether that is every controller (then controller-less audit
    events, such as logins, are purged too)."""
    ids = sorted(run.controllers.values_list("pk", flat=True))
    return ids, set(ids) == set(Controller.objects.values_list("pk", flat=True))


# -- the engine ----------------------------------------------------------------------------------
def _key(controller_id: int | None) -> str:
    return "-" if controller_id is None else str(controller_id)


def _add_deleted(run: PurgeRun, key: str, per_controller: dict[int | None, int]) -> None:
    counts = run.deleted.setdefault(key, {})
    for controller_id, count in per_controller.items():
        counts[_key(controller_id)] = counts.get(_key(controller_id), 0) + count


def _stages() -> list[str]:
    return [d.key() for d in purge_order()] + [AUDIT_STAGE]


def _stage_model(stage: str) -> type[models.Model]:
    return AuditEvent if stage == AUDIT_STAGE else registry.get(stage).model


def _next_window_start(stage: str, after: int, now: dt.datetime) -> int | None:
    """The first id at or after `after`: an index probe, so gaps in the ids cost nothing.
    Audit events are walked only where they are due (the oldest ids)."""
    rows = audit_events_due(now) if stage == AUDIT_STAGE else _stage_model(stage)._base_manager.all()
    return rows.filter(pk__gte=after).order_by("pk").values_list("pk", flat=True).first()


def _audit_window_delete(
    *, pk_from: int, pk_to: int, now: dt.datetime, controller_ids: list[int], every_controller: bool
) -> dict[int | None, int]:
    """Audit events past their period, in one window; the trigger allows it in this transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL retta.audit_purge = 'on'")
        rows = audit_events_due(now).filter(pk__gte=pk_from, pk__lt=pk_to)
        in_scope = Q(controller_id__in=controller_ids)
        rows = rows.filter(in_scope | Q(controller__isnull=True) if every_controller else in_scope)
        deleted = delete_returning(rows, ("id", "controller_id"))
    counts: dict[int | None, int] = {}
    for _pk, controller_id in deleted:
        counts[controller_id] = counts.get(controller_id, 0) + 1
    return counts


def _dry_run_execute(run: PurgeRun) -> None:
    controller_ids, every_controller = run_controller_ids(run)
    plan = retention_plan(now=run.as_of, controller_ids=None if every_controller else controller_ids)
    run.deleted = {key: {_key(c): n for c, n in per.items()} for key, per in plan.due.items()}
    run.kept = {key: {_key(c): reasons for c, reasons in per.items()} for key, per in plan.kept.items()}


def _window_execute(
    run: PurgeRun, stage: str, pk_from: int, pk_to: int, scope: tuple[list[int], bool]
) -> DeletionResult | None:
    """Delete one window and save the run's counts and cursor in the same transaction."""
    started = time.monotonic()
    result = None
    try:
        with transaction.atomic():
            if stage == AUDIT_STAGE:
                counts = _audit_window_delete(
                    pk_from=pk_from, pk_to=pk_to, now=run.as_of, controller_ids=scope[0], every_controller=scope[1]
                )
                _add_deleted(run, stage, counts)
            else:
                result = delete_due_window(
                    declaration=registry.get(stage),
                    pk_from=pk_from,
                    pk_to=pk_to,
                    now=run.as_of,
                    controller_ids=None if scope[1] else scope[0],
                )
                for key, per_controller in result.deleted_by_controller.items():
                    _add_deleted(run, key, per_controller)
                # Counted with the rows: each file is removed after commit or by the sweep.
                run.files_deleted += result.files_recorded
            run.cursor_stage, run.cursor_pk = stage, pk_to
            run.windows += 1
            elapsed_ms = int((time.monotonic() - started) * 1000)
            run.longest_window_ms = max(run.longest_window_ms, elapsed_ms)
            run.save()
    except DatabaseError as error:
        # Recorded without its message (which may quote values); the run goes on and says so.
        run.refresh_from_db()
        run.errors = [*run.errors, {"stage": stage, "from_pk": pk_from, "error": type(error).__name__}]
        run.cursor_stage, run.cursor_pk = stage, pk_to
        run.save()
        return None
    return result


def _run_execute(run: PurgeRun, *, deadline: float | None, progress: Callable[[int], None] | None) -> None:
    scope = run_controller_ids(run)
    if not run.cursor_stage:
        plan = retention_plan(now=run.as_of, controller_ids=None if scope[1] else scope[0])
        run.kept = {key: {_key(c): reasons for c, reasons in per.items()} for key, per in plan.kept.items()}
        run.cursor_stage, run.cursor_pk = _stages()[0], 0
        run.save()
    stages = _stages()
    start = stages.index(run.cursor_stage) if run.cursor_stage in stages else 0
    window = settings.RETENTION_PURGE_WINDOW
    for stage in stages[start:]:
        after = run.cursor_pk if stage == run.cursor_stage else 0
        while True:
            if deadline is not None and time.monotonic() > deadline:
                return
            pk_from = _next_window_start(stage, after, run.as_of)
            if pk_from is None:
                break
            result = _window_execute(run, stage, pk_from, pk_from + window, scope)
            if progress is not None and result is not None:
                progress(len(result.deleted.get(stage, [])))
            after = pk_from + window
    # Files whose deletion a crash interrupted (counted already by the window that recorded them).
    tombstones_sweep()
    run.status = PurgeRunStatus.FINISHED
    run.finished_at = timezone.now()
    run.save()


def purge_run_execute(
    *, run: PurgeRun, time_budget: float | None = None, progress: Callable[[int], None] | None = None
) -> PurgeRun:
    """Work on a run until it is finished or `time_budget` seconds have passed (then it stays
    running with its cursor saved, for a continuation to resume). Raises PurgeInProgress when
    another process is working on a run."""
    deadline = time.monotonic() + time_budget if time_budget is not None else None
    with purge_lock() as held:
        if not held:
            raise PurgeInProgress
        run.refresh_from_db()
        if run.status != PurgeRunStatus.RUNNING:
            return run
        with unscoped():
            if run.dry_run:
                _dry_run_execute(run)
                run.status = PurgeRunStatus.FINISHED
                run.finished_at = timezone.now()
                run.save()
            else:
                _run_execute(run, deadline=deadline, progress=progress)
            if run.status == PurgeRunStatus.FINISHED:
                _audit_finished(run)
                if not run.dry_run:
                    for hook in _after_run:
                        hook(run)
    return run


def _audit_finished(run: PurgeRun) -> None:
    """A finished run: one event per controller with that controller's figures only (P1), and
    one platform event with the run's totals (files, errors, the audit events of no controller),
    which only administrators read."""
    actor = run.started_by or "purge"
    audit_log_per_controller(
        actor=actor,
        action=AuditAction.PURGE,
        purpose=AuditPurpose.RETENTION,
        obj=run,
        details_by_controller={
            controller_id: {
                "dry_run": run.dry_run,
                "deleted": purge_run_total_deleted(run, [controller_id]),
                "kept": sum(
                    count
                    for per_controller in run.kept.values()
                    for count in per_controller.get(str(controller_id), {}).values()
                ),
            }
            for controller_id in run_controller_ids(run)[0]
        },
    )
    audit_log(
        actor=actor,
        action=AuditAction.PURGE,
        purpose=AuditPurpose.RETENTION,
        obj=run,
        controller=None,
        details={
            "dry_run": run.dry_run,
            "deleted": purge_run_total_deleted(run),
            "files_deleted": run.files_deleted,
            "errors": len(run.errors),
        },
    )


def purge_run_total_deleted(run: PurgeRun, controller_ids: Collection[int] | None = None) -> int:
    allowed = None if controller_ids is None else {str(c) for c in controller_ids}
    return sum(
        count
        for per_controller in run.deleted.values()
        for controller, count in per_controller.items()
        if allowed is None or controller in allowed
    )


def purge(
    *,
    now: dt.datetime,
    dry_run: bool = False,
    trigger: PurgeTrigger | str = PurgeTrigger.COMMAND,
    started_by: Any = None,
    controller_ids: Collection[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PurgeRun:
    """Begin (or resume) a run and work on it to the end: the command line and the tests."""
    run = purge_run_begin(
        now=now, dry_run=dry_run, trigger=trigger, started_by=started_by, controller_ids=controller_ids
    )
    return purge_run_execute(run=run, progress=progress)


def purge_run_step(*, run_id: int | None, time_budget: float) -> tuple[str, PurgeRun | None]:
    """One task's share of a purge: begin (or resume) the nightly run, work `time_budget` seconds.

    Returns ("finished" | "continues" | "in_progress" | "missing", run). Safe to call twice for
    the same run: a finished run is left alone, a run being worked on elsewhere is refused.
    """
    try:
        if run_id is None:
            run = purge_run_begin(now=timezone.now(), dry_run=False, trigger=PurgeTrigger.SCHEDULE)
        else:
            found = PurgeRun.objects.filter(pk=run_id).first()
            if found is None:
                return "missing", None
            run = found
        run = purge_run_execute(run=run, time_budget=time_budget)
    except PurgeInProgress:
        return "in_progress", None
    return ("continues" if run.is_running else "finished"), run
