"""`manage.py purge_expired`, the Celery tasks and their nightly schedule."""

from __future__ import annotations

import datetime as dt
import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from contacts.models import Contact
from retention import tasks
from retention.models import FileTombstone, PurgeRun, PurgeRunStatus
from tests.factories import make_contact

pytestmark = pytest.mark.django_db(transaction=True)


def _old_contact(controller, days: int = 200):  # type: ignore[no-untyped-def]
    return make_contact(controller, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))


def test_command_purges_and_prints_a_summary(isannointi):
    _old_contact(isannointi)
    _old_contact(isannointi, days=10)
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert Contact.all_controllers.count() == 1
    assert "contacts.contact: 1" in out.getvalue()
    assert "Files deleted: 0" in out.getvalue()


def test_command_dry_run_deletes_nothing_and_lists_kept_reasons(isannointi):
    _old_contact(isannointi)
    make_contact(isannointi, occurred_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), restricted=True)
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert Contact.all_controllers.count() == 2
    assert "Dry run: would delete" in out.getvalue()
    assert "restriction" in out.getvalue()
    assert PurgeRun.objects.get().dry_run


def test_command_now_moves_the_moment(isannointi):
    contact = _old_contact(isannointi, days=10)
    call_command("purge_expired", "--now", "2020-01-01T00:00:00+02:00", stdout=StringIO())
    assert Contact.all_controllers.filter(pk=contact.pk).exists()
    call_command(
        "purge_expired", "--now", (dt.datetime.now(dt.UTC) + dt.timedelta(days=200)).isoformat(), stdout=StringIO()
    )
    assert not Contact.all_controllers.filter(pk=contact.pk).exists()


def test_command_refuses_a_malformed_moment(db):
    with pytest.raises(CommandError, match="ISO 8601"):
        call_command("purge_expired", "--now", "yesterday", stdout=StringIO())
    assert not PurgeRun.objects.exists()


def test_command_reports_a_run_in_progress(isannointi, monkeypatch):
    from retention import purge as purge_module

    def busy(**kwargs):  # type: ignore[no-untyped-def]
        raise purge_module.PurgeInProgress

    monkeypatch.setattr("retention.management.commands.purge_expired.purge", busy)
    with pytest.raises(CommandError, match="in progress"):
        call_command("purge_expired", stdout=StringIO())


def test_task_purges_and_is_safe_to_deliver_twice(isannointi):
    _old_contact(isannointi)
    assert tasks.purge_expired.apply().get() == "finished"
    run = PurgeRun.objects.get()
    # The same message again: the run is finished, nothing happens.
    assert tasks.purge_expired.apply(kwargs={"run_id": run.pk}).get() == "finished"
    assert PurgeRun.objects.count() == 1
    assert run.deleted == PurgeRun.objects.get().deleted


def test_task_options_protect_against_a_lost_worker():
    task = tasks.purge_expired
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.time_limit < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]


def test_task_out_of_time_hands_over_to_a_continuation(isannointi, settings, monkeypatch):
    settings.RETENTION_PURGE_WINDOW = 1
    for _ in range(3):
        _old_contact(isannointi)
    settings.RETENTION_PURGE_TASK_SECONDS = 0  # every step stops after its first check
    continued: list[dict] = []
    monkeypatch.setattr(tasks.purge_expired, "apply_async", lambda kwargs: continued.append(kwargs))
    assert tasks.purge_expired.apply().get() == "continues"
    run = PurgeRun.objects.get()
    assert continued == [{"run_id": run.pk}] and run.status == PurgeRunStatus.RUNNING
    settings.RETENTION_PURGE_TASK_SECONDS = 600
    assert tasks.purge_expired.apply(kwargs={"run_id": run.pk}).get() == "finished"
    assert not Contact.all_controllers.exists()


def test_nightly_tasks_are_scheduled_at_half_past_two_helsinki_time(db):
    from importlib import import_module

    from django.apps import apps

    # Put back what the data migration made, if an earlier transactional test emptied the tables.
    import_module("retention.migrations.0003_nightly_schedule").forward(apps, None)
    purge = PeriodicTask.objects.get(task="retention.purge_expired")
    assert (purge.crontab.minute, purge.crontab.hour) == ("30", "2")
    assert str(purge.crontab.timezone) == "Europe/Helsinki"
    assert purge.enabled
    assert PeriodicTask.objects.filter(task="retention.sweep_files", enabled=True).exists()


def test_sweep_removes_orphaned_old_files_keeps_referenced_and_young_ones(isannointi):
    from django.core.files.base import ContentFile

    from contacts.models import EmailMessage

    contact = make_contact(isannointi, channel="email")
    kept = EmailMessage.all_controllers.create(
        controller=isannointi, contact=contact, raw=ContentFile(b"x", name="k.eml")
    )
    orphan = default_storage.save("emails/2020/01/orphan.eml", ContentFile(b"x"))
    young = default_storage.save("emails/2020/01/young.eml", ContentFile(b"x"))
    old = time.time() - 2 * 86400
    for name in (kept.raw.name, orphan):
        os.utime(default_storage.path(name), (old, old))
    FileTombstone.objects.create(field="contacts.emailmessage.raw", name="emails/2020/01/gone.eml")

    assert tasks.sweep_files.apply().get() == {"tombstones": 1, "orphans": 1}
    assert not default_storage.exists(orphan)
    assert default_storage.exists(young)
    assert Path(settings.MEDIA_ROOT, kept.raw.name).exists()
    assert not FileTombstone.objects.exists()
