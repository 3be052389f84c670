"""Celery tasks of the privacy app: thin wrappers around services, run across controllers."""

from __future__ import annotations

from celery import shared_task

from core.scoping import unscoped


@shared_task(name="privacy.build_request_export")
def build_request_export(export_id: int) -> None:
    """Build an access or portability copy (the ZIP); progress is written to the export row."""
    from privacy.exports import export_build

    with unscoped():
        export_build(export_id=export_id)


@shared_task(name="privacy.resume_stalled_exports")
def resume_stalled_exports() -> None:
    """Periodic: queue again the copies whose task was lost; the claim builds each only once."""
    from privacy.exports import exports_stalled

    with unscoped():
        for export_id in exports_stalled():
            build_request_export.delay(export_id)
