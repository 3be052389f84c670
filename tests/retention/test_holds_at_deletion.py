"""Holds are checked at the moment of deletion, on the wall clock (issue 12, item 1).

The purge's moment T (`purge_expired --now`, `purge_run_begin(now=T)`) moves only the age
cut-off. What is held is read by the DELETE itself: a hold placed after T, after the run began,
or just before a window's DELETE keeps every row it reaches.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass, field
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.models import Complaint, ComplaintStatus, HoldScope, LegalHold
from complaints.services import legal_hold_place, legal_hold_release
from contacts.models import Contact, Task, TaskStatus
from core.scoping import unscoped
from retention import deletion
from retention.models import PurgeTrigger
from retention.purge import purge, purge_run_begin, purge_run_step
from tests.factories import make_complaint, make_contact, make_task

OLD = dt.timedelta(days=400)  # past the 180 days of a contact, whatever the run's T


def _due_contact(controller, **fields):  # type: ignore[no-untyped-def]
    return make_contact(controller, occurred_at=timezone.now() - OLD, **fields)


def _place(controller, dpo, scope, **fields):  # type: ignore[no-untyped-def]
    return legal_hold_place(
        controller=controller, actor=dpo, matter="Riita", reason="Vaatimus vireillä", scope=scope, **fields
    )


# -- the two reported cases ---------------------------------------------------------------------
@pytest.mark.django_db
def test_purge_expired_now_in_the_past_keeps_rows_of_holds_placed_since(isannointi, dpo):
    held = _due_contact(isannointi, email="a@example.fi", email_normalized="a@example.fi")
    subject = _due_contact(isannointi, email="s@example.fi", email_normalized="s@example.fi")
    free = _due_contact(isannointi, email="f@example.fi", email_normalized="f@example.fi")
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    _place(isannointi, dpo, HoldScope.CONTACTS, contacts=[held])
    _place(isannointi, dpo, HoldScope.SUBJECT, emails=["s@example.fi"])

    call_command("purge_expired", "--now", an_hour_ago.isoformat(), stdout=io.StringIO())

    assert set(Contact.all_controllers.values_list("pk", flat=True)) == {held.pk, subject.pk}
    assert not Contact.all_controllers.filter(pk=free.pk).exists()


@pytest.mark.django_db
def test_a_hold_placed_after_the_run_began_keeps_its_rows(isannointi, dpo):
    task = make_task(isannointi, status=TaskStatus.CLOSED, closed_at=timezone.now() - OLD)
    in_task = _due_contact(isannointi, task=task)
    free = _due_contact(isannointi)
    run = purge_run_begin(now=timezone.now() - dt.timedelta(minutes=1), dry_run=False, trigger=PurgeTrigger.COMMAND)
    _place(isannointi, dpo, HoldScope.TASK, task=task)

    state, run = purge_run_step(run_id=run.pk, time_budget=60)

    assert state == "finished"
    assert Contact.all_controllers.filter(pk=in_task.pk).exists()
    assert Task.all_controllers.filter(pk=task.pk).exists()
    assert not Contact.all_controllers.filter(pk=free.pk).exists()


def _hold_placed_by_another_session_before_the_contact_delete(place):  # type: ignore[no-untyped-def]
    """Patch the DELETE of contact rows: just before it runs, another session commits a hold."""
    original = deletion.delete_returning
    placed = []

    def delete_returning(queryset, columns):  # type: ignore[no-untyped-def]
        if queryset.model is Contact and not placed:
            placed.append(True)

            def in_another_session() -> None:
                with unscoped():
                    place()
                connection.close()

            thread = threading.Thread(target=in_another_session)
            thread.start()
            thread.join()
        return original(queryset, columns)

    return mock.patch.object(deletion, "delete_returning", delete_returning), placed


@pytest.mark.postgresql  # concurrent sessions: SQLite locks the whole database
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scope", [HoldScope.SUBJECT, HoldScope.COMPLAINT])
def test_a_hold_committed_just_before_the_delete_wins(isannointi, dpo, scope):
    contact = _due_contact(isannointi, email="m@example.fi", email_normalized="m@example.fi")
    complaint = make_complaint(
        isannointi, status=ComplaintStatus.CLOSED, closed_at=timezone.now() - dt.timedelta(days=10)
    )
    complaint.contacts.add(contact)
    fields = {"emails": ["m@example.fi"]} if scope == HoldScope.SUBJECT else {"complaint": complaint}
    patch, placed = _hold_placed_by_another_session_before_the_contact_delete(
        lambda: _place(isannointi, dpo, scope, **fields)
    )

    with patch:
        run = purge(now=timezone.now())

    assert placed and run.status == "finished"
    assert Contact.all_controllers.filter(pk=contact.pk).exists()
    # Nothing of it went either: its link to the complaint is what the complaint hold reaches.
    assert list(complaint.contacts.values_list("pk", flat=True)) == [contact.pk]


# -- the property: any interleaving of holds and purge windows ----------------------------------
EMAILS = ["a@example.fi", "b@example.fi", "c@example.fi"]
WHEN = ("before_begin", "after_begin", "at_delete")


@dataclass
class Placement:
    when: str
    scope: str
    target: int
    at_delete: int = 1  # the n-th DELETE of contact rows in the run, when "at_delete"


@dataclass
class Round:
    age: int  # minutes before the wall clock: the run's T
    window: int
    placements: list[Placement]
    releases: list[int] = field(default_factory=list)


placements = st.builds(
    Placement,
    st.sampled_from(WHEN),
    st.sampled_from([HoldScope.CONTACTS, HoldScope.TASK, HoldScope.COMPLAINT, HoldScope.SUBJECT]),
    st.integers(0, 7),
    st.integers(1, 4),
)
rounds = st.lists(
    st.builds(
        Round,
        st.integers(0, 120),
        st.integers(1, 4),
        st.lists(placements, max_size=4),
        st.lists(st.integers(0, 7), max_size=2),
    ),
    min_size=1,
    max_size=3,
)


class _Holds:
    """The test's own account of what each active hold keeps: the rows it reached when placed."""

    def __init__(self, controller, dpo, tasks, complaint) -> None:  # type: ignore[no-untyped-def]
        self.controller, self.dpo, self.tasks, self.complaint = controller, dpo, tasks, complaint
        self.active: dict[int, set[int]] = {}
        self.objects: dict[int, tuple[type, int]] = {}

    def place(self, placement: Placement) -> None:
        contacts = Contact.all_controllers.filter(controller=self.controller)
        if placement.scope == HoldScope.CONTACTS:
            target = contacts.order_by("pk")[placement.target : placement.target + 1].first()
            if target is None:
                return
            hold = _place(self.controller, self.dpo, placement.scope, contacts=[target])
            reached = {target.pk}
        elif placement.scope == HoldScope.TASK:
            task = Task.all_controllers.filter(pk=self.tasks[placement.target % len(self.tasks)]).first()
            if task is None:
                return
            hold = _place(self.controller, self.dpo, placement.scope, task=task)
            reached = set(contacts.filter(task=task).values_list("pk", flat=True))
            self.objects[hold.pk] = (Task, task.pk)
        elif placement.scope == HoldScope.COMPLAINT:
            complaint = Complaint.all_controllers.filter(pk=self.complaint).first()
            if complaint is None:
                return
            hold = _place(self.controller, self.dpo, placement.scope, complaint=complaint)
            reached = set(contacts.filter(complaints=complaint).values_list("pk", flat=True))
            self.objects[hold.pk] = (Complaint, complaint.pk)
        else:
            email = EMAILS[placement.target % len(EMAILS)]
            hold = _place(self.controller, self.dpo, placement.scope, emails=[email])
            reached = set(contacts.filter(email_normalized=email).values_list("pk", flat=True))
        self.active[hold.pk] = reached

    def release(self, index: int) -> None:
        if not self.active:
            return
        pk = sorted(self.active)[index % len(self.active)]
        legal_hold_release(hold=LegalHold.all_controllers.get(pk=pk), actor=self.dpo, reason="Ratkaistu")
        del self.active[pk]
        self.objects.pop(pk, None)

    def assert_kept(self) -> None:
        existing = set(Contact.all_controllers.values_list("pk", flat=True))
        for pk, reached in self.active.items():
            assert reached <= existing, f"hold {pk} lost {reached - existing}"
            if pk in self.objects:
                model, object_pk = self.objects[pk]
                assert model.all_controllers.filter(pk=object_pk).exists()


def _data(controller):  # type: ignore[no-untyped-def]
    closed = {"status": TaskStatus.CLOSED, "closed_at": timezone.now() - OLD}
    tasks = [make_task(controller, **closed).pk for _ in range(2)]
    complaint = make_complaint(controller, status=ComplaintStatus.CLOSED, closed_at=timezone.now() - 10 * OLD)
    for index in range(8):
        email = EMAILS[index % len(EMAILS)]
        contact = _due_contact(
            controller, email=email, email_normalized=email, task_id=tasks[index % 3] if index % 3 < 2 else None
        )
        if index % 2:
            complaint.contacts.add(contact)
    return tasks, complaint.pk


@pytest.mark.postgresql
@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(plan=rounds)
def test_no_row_under_a_hold_active_at_its_delete_is_deleted(isannointi, dpo, plan):
    with transaction.atomic():
        tasks, complaint = _data(isannointi)
        holds = _Holds(isannointi, dpo, tasks, complaint)
        original = deletion.delete_returning
        for round_ in plan:
            pending = sorted(
                (p for p in round_.placements if p.when == "at_delete"), key=lambda placement: placement.at_delete
            )
            deletes = {"n": 0}

            def delete_returning(queryset, columns, pending=pending, deletes=deletes):  # type: ignore[no-untyped-def]
                # Holds placed just before the DELETE of a window's contact rows.
                if queryset.model is Contact:
                    deletes["n"] += 1
                    while pending and pending[0].at_delete <= deletes["n"]:
                        holds.place(pending.pop(0))
                return original(queryset, columns)

            for placement in round_.placements:
                if placement.when == "before_begin":
                    holds.place(placement)
            with override_settings(RETENTION_PURGE_WINDOW=round_.window):
                run = purge_run_begin(
                    now=timezone.now() - dt.timedelta(minutes=round_.age),
                    dry_run=False,
                    trigger=PurgeTrigger.COMMAND,
                )
                for placement in round_.placements:
                    if placement.when == "after_begin":
                        holds.place(placement)
                with mock.patch.object(deletion, "delete_returning", delete_returning):
                    state, _run = purge_run_step(run_id=run.pk, time_budget=600)
            assert state == "finished"
            holds.assert_kept()
            for index in round_.releases:
                holds.release(index)
        # No over-retention: once every hold is released, the next run deletes what they kept.
        for _pk in list(holds.active):
            holds.release(0)
        purge(now=timezone.now())
        assert not Contact.all_controllers.filter(controller=isannointi).exists()
        assert not Complaint.all_controllers.filter(pk=complaint).exists()
        transaction.set_rollback(True)
