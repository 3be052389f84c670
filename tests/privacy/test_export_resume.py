"""A copy whose task was lost (worker killed, broker restarted) is built again, and only once:
the build claims the export row, and the periodic resume queues the silent ones again."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core.models import AuditEvent
from core.scoping import unscoped
from privacy.exports import EXPORT_STALLED_AFTER, export_build, exports_stalled
from privacy.models import ExportStatus, Letter, RequestExport, RequestStatus
from privacy.tasks import resume_stalled_exports
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_export(isannointi):
    request = make_privacy_request(isannointi, verified=True)
    return RequestExport.objects.create(request=request, controller=isannointi)


def _letters(export):
    return Letter.all_controllers.filter(request=export.request).count()


def test_a_queued_copy_is_built_and_the_request_completed(queued_export):
    export_build(export_id=queued_export.pk)
    queued_export.refresh_from_db()
    queued_export.request.refresh_from_db()
    assert queued_export.status == ExportStatus.READY and queued_export.file
    assert queued_export.heartbeat_at is not None
    assert queued_export.request.status == RequestStatus.COMPLETED


def test_a_task_delivered_again_after_the_build_changes_nothing(queued_export):
    export_build(export_id=queued_export.pk)
    queued_export.refresh_from_db()
    file_name, letters, events = queued_export.file.name, _letters(queued_export), AuditEvent.objects.count()

    assert export_build(export_id=queued_export.pk) is None

    queued_export.refresh_from_db()
    assert queued_export.file.name == file_name
    assert _letters(queued_export) == letters and AuditEvent.objects.count() == events


def test_a_build_with_a_recent_sign_of_life_is_left_to_its_worker(queued_export):
    RequestExport.objects.filter(pk=queued_export.pk).update(status=ExportStatus.BUILDING, heartbeat_at=timezone.now())

    assert export_build(export_id=queued_export.pk) is None

    queued_export.refresh_from_db()
    assert queued_export.status == ExportStatus.BUILDING and not queued_export.file


def test_a_build_whose_worker_died_is_found_and_finished_by_the_resume(queued_export, eager_tasks):
    # The worker took the copy and died: the row says "being built", and nothing moves.
    RequestExport.objects.filter(pk=queued_export.pk).update(
        status=ExportStatus.BUILDING, heartbeat_at=timezone.now(), progress=3
    )
    assert exports_stalled() == []

    with time_machine.travel(timezone.now() + EXPORT_STALLED_AFTER + dt.timedelta(seconds=1)):
        with unscoped():
            assert exports_stalled() == [queued_export.pk]
        resume_stalled_exports.delay()

    queued_export.refresh_from_db()
    assert queued_export.status == ExportStatus.READY and queued_export.file
    assert queued_export.progress == queued_export.total
    assert _letters(queued_export) == 1


def test_a_queued_copy_whose_message_was_lost_is_queued_again(queued_export, eager_tasks):
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        assert exports_stalled() == []  # still waiting in the queue, maybe
    with time_machine.travel(timezone.now() + EXPORT_STALLED_AFTER + dt.timedelta(seconds=1)):
        resume_stalled_exports.delay()

    queued_export.refresh_from_db()
    assert queued_export.status == ExportStatus.READY


def test_ready_and_failed_copies_are_never_resumed(queued_export, isannointi):
    failed = RequestExport.objects.create(
        request=queued_export.request, controller=isannointi, status=ExportStatus.FAILED
    )
    export_build(export_id=queued_export.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        with unscoped():
            assert exports_stalled() == []
        assert export_build(export_id=failed.pk) is None


def test_the_resume_runs_every_ten_minutes_from_the_beat_schedule():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="privacy.resume_stalled_exports")
    assert task.enabled and task.interval.every == 10 and task.interval.period == "minutes"
