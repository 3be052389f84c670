"""Records of the retention machinery: files awaiting deletion and the purge runs.

Neither holds personal values: a tombstone holds a storage path only until its file is gone,
a purge run holds counts per record type, controller and keep reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FileTombstone(models.Model):
    """A file whose row was deleted: written in the deleting transaction, removed with the file.

    A crash between the commit and the file deletion leaves the tombstone, and the next purge
    or the nightly sweep finishes the work (retention.deletion.tombstones_sweep).
    """

    # "app_label.model.field": tells which storage holds the file.
    field = models.CharField(_("file field"), max_length=150)
    name = models.CharField(_("storage path"), max_length=300)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("file awaiting deletion")
        verbose_name_plural = _("files awaiting deletion")

    def __str__(self) -> str:
        return f"tombstone {self.pk}"


class PurgeRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    INTERRUPTED = "interrupted", _("Interrupted")


class PurgeTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Nightly schedule")
    COMMAND = "command", _("Command line")
    DPO = "dpo", _("Data protection officer")


class PurgeRun(models.Model):
    """One purge (or dry run) at a moment `as_of`: what went, what was kept and why.

    Counts are JSON maps keyed by record type and controller id; `kept` also by keep-reason code.
    The cursor (`cursor_stage`, `cursor_pk`) is saved in the transaction of each window, so a run
    killed at any point resumes where it stopped.
    """

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The moment whose retention rules are applied: kept when the run resumes after a crash.
    as_of = models.DateTimeField(_("rules applied as of"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=PurgeRunStatus.choices, default=PurgeRunStatus.RUNNING
    )
    trigger = models.CharField(_("started by"), max_length=10, choices=PurgeTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by user"),
    )
    # The controllers whose data this run purges: all for the nightly run, the DPO's own for a
    # run a DPO starts (P1: every purge is scoped by controller).
    controllers = models.ManyToManyField("core.Controller", related_name="+", verbose_name=_("controllers"))
    # {record type: {controller id: rows}}; in a dry run, the rows that would go.
    deleted = models.JSONField(_("deleted"), default=dict, blank=True)
    # {record type: {controller id: {keep-reason code: rows}}}: due by date, kept for a reason.
    kept = models.JSONField(_("kept"), default=dict, blank=True)
    files_deleted = models.PositiveIntegerField(_("files deleted"), default=0)
    # [{"stage": record type, "from_pk": id, "error": exception class}]: never messages (values).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    cursor_stage = models.CharField(_("cursor: record type"), max_length=100, blank=True)
    cursor_pk = models.BigIntegerField(_("cursor: next id"), default=0)
    windows = models.PositiveIntegerField(_("windows"), default=0)
    longest_window_ms = models.PositiveIntegerField(_("longest window (ms)"), default=0)

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ["-started_at", "-id"]
        constraints = [
            # Only one run at a time, on every database (PostgreSQL adds an advisory lock).
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="retention_purgerun_one_running"
            ),
        ]
        indexes = [
            # The runs page, newest first.
            models.Index(fields=["-started_at"], name="retention_purgerun_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"purge {self.pk} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.status == PurgeRunStatus.RUNNING
