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


@shared_task(name="privacy.send_letter", acks_late=True, task_reject_on_worker_lost=True)
def send_letter(delivery_id: int) -> None:
    """Send a letter by email; a failure stays recorded and the periodic resend tries again."""
    from privacy.letters import letter_deliver

    with unscoped():
        letter_deliver(delivery_id=delivery_id)


@shared_task(name="privacy.letters_resend_unsent")
def letters_resend_unsent() -> None:
    """Periodic: queue again the letters still waiting or failed with attempts left."""
    from privacy.letters import letters_unsent

    with unscoped():
        for delivery_id in letters_unsent():
            send_letter.delay(delivery_id)
