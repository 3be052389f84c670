"""The retention app's own records hold no personal values, which is said here."""

from __future__ import annotations

from core.personal_data import registry
from retention.models import FileTombstone, PurgeRun

registry.exempt(
    FileTombstone,
    "a storage path of a file whose row is gone, kept only until the file is deleted from storage",
)
registry.exempt(PurgeRun, "counts per record type, controller and keep reason: no personal values")
