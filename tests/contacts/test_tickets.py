"""Tickets: states and the status the retention rule reads, due times, reopening by the
customer, notes, the timeline and merging (contacts.tickets)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts import selectors, services, tickets
from contacts.models import (
    Channel,
    Contact,
    Direction,
    SlaPolicy,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskNote,
    TaskPriority,
    TaskState,
    TaskStatus,
)
from contacts.personal_data import TaskNoteData
from core.errors import Conflict
from core.personal_data import registry
from tests.factories import make_contact, make_task

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sla(isannointi):  # type: ignore[no-untyped-def]
    return SlaPolicy.objects.create(
        controller=isannointi, channel=Channel.EMAIL, first_response_minutes=60, resolution_minutes=24 * 60
    )


@pytest.mark.django_db
def test_solved_is_closed_and_every_other_state_is_open(isannointi, agent):
    task = tickets.task_create(controller=isannointi, title="Vuotava hana", actor=agent)
    assert (task.state, task.status) == (TaskState.NEW, TaskStatus.OPEN)
    for state in (TaskState.OPEN, TaskState.WAITING):
        task = tickets.task_state_set(task=task, state=state, actor=agent)
        assert task.status == TaskStatus.OPEN and task.closed_at is None
    task = tickets.task_state_set(task=task, state=TaskState.SOLVED, actor=agent)
    assert task.status == TaskStatus.CLOSED and task.closed_at is not None
    task = tickets.task_reopen(task=task, actor=agent)
    assert (task.state, task.status, task.closed_at) == (TaskState.OPEN, TaskStatus.OPEN, None)


@pytest.mark.django_db
def test_database_refuses_a_solved_ticket_that_is_open(isannointi):
    task = make_task(isannointi)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.all_controllers.filter(pk=task.pk).update(state=TaskState.SOLVED)


@pytest.mark.django_db
def test_due_times_come_from_the_service_level_of_the_channel(isannointi, retta_oy, sla):
    with time_machine.travel(NOW, tick=False):
        email = tickets.task_create(controller=isannointi, title="a", channel=Channel.EMAIL)
        call = tickets.task_create(controller=isannointi, title="b", channel=Channel.CALL)
        elsewhere = tickets.task_create(controller=retta_oy, title="c", channel=Channel.EMAIL)
    assert email.first_response_due == NOW + dt.timedelta(hours=1)
    assert email.resolution_due == NOW + dt.timedelta(days=1)
    assert call.first_response_due is None and elsewhere.first_response_due is None
    email.refresh_from_db()
    assert email.due_at == NOW + dt.timedelta(hours=1)


@pytest.mark.django_db
def test_first_outbound_contact_is_the_first_response_and_moves_the_due_time(isannointi, agent, sla):
    with time_machine.travel(NOW, tick=False):
        task = tickets.task_create(controller=isannointi, title="a", channel=Channel.EMAIL)
        services.contact_record(
            controller=isannointi,
            channel=Channel.EMAIL,
            direction=Direction.OUTBOUND,
            occurred_at=NOW,
            agent=agent,
            task=task,
        )
    task.refresh_from_db()
    assert task.first_responded_at == NOW
    assert task.due_at == task.resolution_due
    assert task.state == TaskState.OPEN


@pytest.mark.django_db
@pytest.mark.parametrize("state", [TaskState.WAITING, TaskState.SOLVED])
def test_customer_writing_again_reopens_a_waiting_or_solved_ticket(isannointi, agent, state):
    task = tickets.task_create(controller=isannointi, title="a", channel=Channel.EMAIL)
    tickets.task_state_set(task=task, state=state, actor=agent)
    services.contact_record(
        controller=isannointi, channel=Channel.EMAIL, occurred_at=timezone.now(), email="maija@example.fi", task=task
    )
    task.refresh_from_db()
    assert (task.state, task.status) == (TaskState.OPEN, TaskStatus.OPEN)
    last = TaskEvent.objects.filter(task=task, kind=TaskEventKind.STATE).latest("at", "pk")
    assert (last.from_value, last.to_value, last.actor) == (state, TaskState.OPEN, None)


@pytest.mark.django_db
def test_emailed_reply_reopens_the_waiting_ticket_through_ingestion(isannointi, agent, integration):
    from contacts.ingestion.emails import email_ingest

    first = email_ingest(
        raw=b"From: Maija <maija@example.fi>\r\nTo: asiakaspalvelu@retta.fi\r\nSubject: Hana\r\n"
        b"Message-ID: <m1@example.fi>\r\n\r\nVuotaa.\r\n",
        controller=isannointi,
        actor=integration,
    ).contact
    task = first.task
    assert (task.state, task.channel) == (TaskState.NEW, Channel.EMAIL)
    tickets.task_state_set(task=task, state=TaskState.WAITING, actor=agent)
    email_ingest(
        raw=b"From: Maija <maija@example.fi>\r\nTo: asiakaspalvelu@retta.fi\r\nSubject: Re: Hana\r\n"
        b"Message-ID: <m2@example.fi>\r\nIn-Reply-To: <m1@example.fi>\r\n\r\nYha vuotaa.\r\n",
        controller=isannointi,
        actor=integration,
    )
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


@pytest.mark.django_db
def test_new_chat_opens_a_chat_ticket(isannointi, integration):
    from contacts.ingestion.chats import ChatLine, chat_ingest

    result = chat_ingest(
        controller=isannointi,
        session_id="s-1",
        started_at=timezone.now(),
        name="Maija",
        email="maija@example.fi",
        phone="",
        messages=[ChatLine(at=timezone.now(), author="visitor", text="Hei, hana vuotaa")],
        actor=integration,
    )
    task = result.contact.task
    assert task is not None and task.channel == Channel.CHAT and task.state == TaskState.NEW
    assert task.customer_id == result.contact.customer_id


@pytest.mark.django_db
def test_changes_leave_a_timeline_with_contacts_and_notes(isannointi, agent):
    task = tickets.task_create(controller=isannointi, title="a", actor=agent)
    tickets.task_update(task=task, changes={"assignee": agent, "priority": TaskPriority.HIGH}, actor=agent)
    tickets.task_note_add(task=task, author=agent, body="Soitettu huoltoyhtiölle")
    make_contact(isannointi, task=task)
    tickets.task_close(task=task, actor=agent)
    kinds = [entry.kind for entry in selectors.task_timeline(task=task, user=agent)]
    assert kinds[0] == "created"
    assert {"assigned", "priority", "note", "contact", "state"} <= set(kinds)


@pytest.mark.django_db
def test_merge_moves_contacts_and_notes_and_solves_the_duplicate(isannointi, agent):
    target = tickets.task_create(controller=isannointi, title="a")
    source = tickets.task_create(controller=isannointi, title="b", priority=TaskPriority.URGENT)
    contact = make_contact(isannointi, task=source)
    note = tickets.task_note_add(task=source, author=agent, body="x")
    tickets.task_merge(source=source, target=target, actor=agent)
    source.refresh_from_db()
    target.refresh_from_db()
    assert Contact.objects.get(pk=contact.pk).task_id == target.pk
    assert TaskNote.objects.get(pk=note.pk).task_id == target.pk
    assert (source.state, source.status, source.merged_into_id) == (TaskState.SOLVED, TaskStatus.CLOSED, target.pk)
    assert target.priority == TaskPriority.URGENT
    with pytest.raises(Conflict):
        tickets.task_reopen(task=source, actor=agent)


@pytest.mark.django_db
def test_merge_refuses_itself_a_closed_target_and_another_controller(isannointi, retta_oy, agent):
    task = tickets.task_create(controller=isannointi, title="a")
    with pytest.raises(Conflict):
        tickets.task_merge(source=task, target=task)
    closed = make_task(isannointi, status=TaskStatus.CLOSED, closed_at=timezone.now())
    with pytest.raises(Conflict):
        tickets.task_merge(source=task, target=closed)
    with pytest.raises(ValueError):
        tickets.task_merge(source=task, target=make_task(retta_oy))
    assert Task.objects.get(pk=task.pk).merged_into_id is None


@pytest.mark.django_db
def test_ticket_from_a_contact_takes_its_customer_and_channel(isannointi, agent):
    contact = services.contact_record(
        controller=isannointi,
        channel=Channel.CHAT,
        occurred_at=timezone.now(),
        email="maija@example.fi",
        subject="Hana",
    )
    task = tickets.task_create_from_contact(contact=contact, actor=agent)
    contact.refresh_from_db()
    assert contact.task_id == task.pk
    assert (task.channel, task.customer_id, task.title) == (Channel.CHAT, contact.customer_id, "Hana")
    with pytest.raises(Conflict):
        tickets.task_create_from_contact(contact=contact, actor=agent)


@pytest.mark.django_db
def test_notes_are_declared_personal_data_that_go_with_their_task():
    assert registry.for_model(TaskNote) is TaskNoteData
    assert TaskNoteData.parent == "contacts.task"
