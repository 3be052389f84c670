"""The purge engine: what is due goes, what a keep reason needs stays, one run at a time."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection

from complaints.models import ComplaintStatus
from contacts.models import Contact, Customer, EmailMessage, Task, TaskStatus
from core.models import AuditEvent
from core.scoping import unscoped
from retention import purge as purge_module
from retention.models import PurgeRun, PurgeRunStatus, PurgeTrigger
from retention.purge import PurgeInProgress, purge, purge_order, retention_plan
from tests.factories import make_audit_event, make_complaint, make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)


def _days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def test_contacts_are_purged_before_their_tasks_and_customers():
    keys = [d.key() for d in purge_order()]
    assert keys.index("contacts.contact") < keys.index("contacts.task") < keys.index("contacts.customer")
    assert keys.index("complaints.disclosure") < keys.index("complaints.complaint")
    assert keys.index("complaints.complaint") < keys.index("contacts.customer")


def test_a_contact_past_180_days_goes_a_younger_one_stays(isannointi, retta_oy):
    old = make_contact(isannointi, occurred_at=_days_ago(181))
    young = make_contact(retta_oy, occurred_at=_days_ago(179))

    run = purge(now=NOW)

    assert run.status == PurgeRunStatus.FINISHED
    assert not Contact.all_controllers.filter(pk=old.pk).exists()
    assert Contact.all_controllers.filter(pk=young.pk).exists()
    assert run.deleted["contacts.contact"] == {str(isannointi.pk): 1}


def test_contact_linked_to_open_task_survives_purge_and_goes_once_the_task_closes_late(isannointi):
    task = make_task(isannointi)
    contact = make_contact(isannointi, occurred_at=_days_ago(300), task=task)

    first = purge(now=NOW)
    assert Contact.all_controllers.filter(pk=contact.pk).exists()
    assert first.kept["contacts.contact"] == {str(isannointi.pk): {"open_task": 1}}

    # The task closes long after the contact's 180 days: its clock does not restart.
    Task.all_controllers.filter(pk=task.pk).update(status=TaskStatus.CLOSED, state="solved", closed_at=NOW)
    purge(now=NOW + dt.timedelta(days=1))
    assert not Contact.all_controllers.filter(pk=contact.pk).exists()
    assert not Task.all_controllers.filter(pk=task.pk).exists()


def test_customer_with_a_complaint_stays_customer_with_nothing_goes(isannointi):
    lonely = make_customer(isannointi)
    complainant = make_customer(isannointi)
    make_complaint(isannointi, complainant=complainant)
    run = purge(now=NOW)
    assert not Customer.all_controllers.filter(pk=lonely.pk).exists()
    assert Customer.all_controllers.filter(pk=complainant.pk).exists()
    assert run.deleted["contacts.customer"] == {str(isannointi.pk): 1}


def test_feedback_goes_30_days_after_closing_a_complaint_after_three_years(isannointi):
    feedback = make_complaint(isannointi, kind="feedback", status=ComplaintStatus.CLOSED, closed_at=_days_ago(31))
    complaint = make_complaint(isannointi, status=ComplaintStatus.CLOSED, closed_at=_days_ago(31))
    purge(now=NOW)
    assert not type(feedback).all_controllers.filter(pk=feedback.pk).exists()
    assert type(complaint).all_controllers.filter(pk=complaint.pk).exists()


def test_dry_run_deletes_nothing_and_reports_due_and_kept(isannointi, retta_oy):
    make_contact(isannointi, occurred_at=_days_ago(200))
    make_contact(retta_oy, occurred_at=_days_ago(200), restricted=True)

    run = purge(now=NOW, dry_run=True)

    assert run.dry_run and run.status == PurgeRunStatus.FINISHED
    assert Contact.all_controllers.count() == 2
    assert run.deleted["contacts.contact"] == {str(isannointi.pk): 1}
    assert run.kept["contacts.contact"] == {str(retta_oy.pk): {"restriction": 1}}


def test_the_plan_can_be_limited_to_one_controller(isannointi, retta_oy):
    make_contact(isannointi, occurred_at=_days_ago(200))
    make_contact(retta_oy, occurred_at=_days_ago(200))
    with unscoped():
        plan = retention_plan(now=NOW, controller_ids=[retta_oy.pk])
    assert plan.due["contacts.contact"] == {retta_oy.pk: 1}


def test_audit_events_older_than_two_years_are_purged(isannointi):
    with time_machine.travel(NOW - dt.timedelta(days=2 * 365 + 1), tick=False):
        old = make_audit_event(isannointi)
    with time_machine.travel(NOW - dt.timedelta(days=2 * 365 - 1), tick=False):
        recent = make_audit_event(isannointi)

    run = purge(now=NOW)

    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert run.deleted["core.auditevent"] == {str(isannointi.pk): 1}


@pytest.mark.postgresql
def test_audit_events_cannot_be_deleted_outside_the_purge(isannointi):
    from django.db import DatabaseError

    event = make_audit_event(isannointi)
    with pytest.raises(DatabaseError):
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(AuditEvent.objects.db)


def test_files_of_purged_emails_are_deleted_and_counted(isannointi):
    contact = make_contact(isannointi, channel="email", occurred_at=_days_ago(200))
    email = EmailMessage.all_controllers.create(
        controller=isannointi, contact=contact, raw=ContentFile(b"From: x", name="m.eml")
    )
    path = email.raw.path
    run = purge(now=NOW)
    assert run.files_deleted == 1
    assert run.deleted["contacts.emailmessage"] == {str(isannointi.pk): 1}
    import os

    assert not os.path.exists(path)


def test_an_interrupted_run_resumes_from_its_cursor_with_its_own_moment(isannointi, settings, monkeypatch):
    settings.RETENTION_PURGE_WINDOW = 2
    contacts = [make_contact(isannointi, occurred_at=_days_ago(200)) for _ in range(6)]
    real = purge_module.delete_due_window
    calls = {"n": 0}

    def crash_on_second_window(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # stands for the process being killed
        return real(**kwargs)

    monkeypatch.setattr(purge_module, "delete_due_window", crash_on_second_window)
    with pytest.raises(KeyboardInterrupt):
        purge(now=NOW)
    run = PurgeRun.objects.get()
    assert run.status == PurgeRunStatus.RUNNING
    assert run.cursor_stage == "contacts.contact"
    assert Contact.all_controllers.count() == 4

    monkeypatch.setattr(purge_module, "delete_due_window", real)
    resumed = purge(now=NOW + dt.timedelta(days=999))
    assert resumed.pk == run.pk
    assert resumed.as_of == NOW
    assert resumed.status == PurgeRunStatus.FINISHED
    assert not Contact.all_controllers.filter(pk__in=[c.pk for c in contacts]).exists()
    assert resumed.deleted["contacts.contact"] == {str(isannointi.pk): 6}


@pytest.mark.postgresql  # concurrent sessions: SQLite locks the whole database
def test_a_second_purge_while_one_runs_is_refused_and_totals_are_right(isannointi, settings):
    settings.RETENTION_PURGE_WINDOW = 1
    for _ in range(3):
        make_contact(isannointi, occurred_at=_days_ago(200))
    started, proceed = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_purge() -> None:
        def progress(_rows: int) -> None:
            started.set()
            proceed.wait(timeout=30)

        try:
            outcome["run"] = purge(now=NOW, progress=progress)
        finally:
            connection.close()

    thread = threading.Thread(target=first_purge)
    thread.start()
    assert started.wait(timeout=30)
    with pytest.raises(PurgeInProgress):
        purge(now=NOW, trigger=PurgeTrigger.DPO)
    with pytest.raises(PurgeInProgress):
        purge(now=NOW, dry_run=True)
    proceed.set()
    thread.join(timeout=60)

    run = outcome["run"]
    assert run.status == PurgeRunStatus.FINISHED  # type: ignore[attr-defined]
    assert run.deleted["contacts.contact"] == {str(isannointi.pk): 3}  # type: ignore[attr-defined]
    assert PurgeRun.objects.count() == 1
    assert not Contact.all_controllers.exists()


def test_a_run_limited_to_one_controller_leaves_the_other_alone(isannointi, retta_oy):
    mine = make_contact(isannointi, occurred_at=_days_ago(200))
    theirs = make_contact(retta_oy, occurred_at=_days_ago(200))
    with time_machine.travel(NOW - dt.timedelta(days=3 * 365), tick=False):
        their_event = make_audit_event(retta_oy)

    run = purge(now=NOW, controller_ids=[isannointi.pk], trigger=PurgeTrigger.DPO)

    assert not Contact.all_controllers.filter(pk=mine.pk).exists()
    assert Contact.all_controllers.filter(pk=theirs.pk).exists()
    assert AuditEvent.objects.filter(pk=their_event.pk).exists()
    assert list(run.controllers.all()) == [isannointi]
