"""Records of the retention machinery: files awaiting deletion and the purge runs.

Neither holds personal values: a tombstone holds a storage path only until its file is gone,
a purge run holds counts per record type, controller and keep reason.
"""

from __future__ import annotations

from django.db import models
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
