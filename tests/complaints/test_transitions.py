"""Complaint statuses move only along the allowed transitions, each stamped and recorded."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from complaints.models import ComplaintEvent, ComplaintEventKind, ComplaintStatus
from complaints.services import (
    ALLOWED_TRANSITIONS,
    complaint_assign,
    complaint_create,
    complaint_from_contact,
    complaint_note_add,
    complaint_transition,
    complaint_update,
)
from contacts.services import contact_record
from core.errors import Conflict
from core.models import AuditEvent
from tests.complaints.factories import make_complaint, make_contact, make_task

pytestmark = pytest.mark.django_db

S = ComplaintStatus
ALLOWED = [
    (S.RECEIVED, S.IN_HANDLING),
    (S.RECEIVED, S.WITHDRAWN),
    (S.IN_HANDLING, S.RESOLVED),
    (S.IN_HANDLING, S.WITHDRAWN),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.IN_HANDLING),
    (S.RESOLVED, S.WITHDRAWN),
]
FORBIDDEN = [(a, b) for a, b in itertools.product(S.values, S.values) if (a, b) not in ALLOWED]


def _complaint_in(controller, status):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    finished = status in (S.CLOSED, S.WITHDRAWN)
    return make_complaint(
        controller,
        status=status,
        resolution="Hyvitys 50 €",
        closed_at=timezone.now() if finished else None,
    )


def test_the_table_of_allowed_moves_is_the_documented_one():
    assert {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets} == set(ALLOWED)


@pytest.mark.parametrize(("current", "to"), ALLOWED, ids=lambda s: str(s))
def test_allowed_transition_moves_stamps_and_records(isannointi, colleague, current, to):
    complaint = _complaint_in(isannointi, current)
    complaint_transition(complaint=complaint, to=to, actor=colleague, note="Soitettu asiakkaalle")
    complaint.refresh_from_db()
    assert complaint.status == to
    if to == S.IN_HANDLING:
        assert complaint.handling_started_at is not None and complaint.resolved_at is None
    if to == S.RESOLVED:
        assert complaint.resolved_at is not None
    assert (complaint.closed_at is not None) == (to in (S.CLOSED, S.WITHDRAWN))
    event = ComplaintEvent.all_controllers.get(complaint=complaint, kind=ComplaintEventKind.TRANSITION)
    assert (event.from_status, event.to_status, event.text, event.author) == (
        current,
        to,
        "Soitettu asiakkaalle",
        colleague,
    )
    audit = AuditEvent.objects.get(action="transition", object_id=str(complaint.pk))
    assert audit.details == {"from": current, "to": to} and audit.actor == colleague


@pytest.mark.parametrize(("current", "to"), FORBIDDEN, ids=lambda s: str(s))
def test_forbidden_transition_is_a_conflict_and_changes_nothing(isannointi, colleague, current, to):
    complaint = _complaint_in(isannointi, current)
    with pytest.raises(Conflict) as error:
        complaint_transition(complaint=complaint, to=to, actor=colleague)
    assert error.value.code == "illegal_transition"
    complaint.refresh_from_db()
    assert complaint.status == current
    assert not ComplaintEvent.all_controllers.filter(complaint=complaint).exists()
    assert not AuditEvent.objects.filter(action="transition").exists()


def test_unknown_status_is_a_validation_error(isannointi, colleague):
    complaint = _complaint_in(isannointi, S.RECEIVED)
    with pytest.raises(ValidationError):
        complaint_transition(complaint=complaint, to="archived", actor=colleague)


def test_resolving_needs_a_written_resolution(isannointi, colleague):
    complaint = make_complaint(isannointi, status=S.IN_HANDLING)
    with pytest.raises(Conflict) as error:
        complaint_transition(complaint=complaint, to=S.RESOLVED, actor=colleague)
    assert error.value.code == "resolution_missing"


def test_a_stale_copy_cannot_move_a_complaint_twice(isannointi, colleague):
    complaint = make_complaint(isannointi)
    stale = type(complaint).all_controllers.get(pk=complaint.pk)
    complaint_transition(complaint=complaint, to=S.IN_HANDLING, actor=colleague)
    with pytest.raises(Conflict) as error:
        complaint_transition(complaint=stale, to=S.WITHDRAWN, actor=colleague)
    assert error.value.code == "stale"


def test_reopening_keeps_the_first_handling_time_and_clears_resolved(isannointi, colleague):
    complaint = make_complaint(isannointi, resolution="Korjattu")
    complaint_transition(complaint=complaint, to=S.IN_HANDLING, actor=colleague)
    started = complaint.handling_started_at
    complaint_transition(complaint=complaint, to=S.RESOLVED, actor=colleague)
    complaint_transition(complaint=complaint, to=S.IN_HANDLING, actor=colleague, note="Asiakas ei tyytynyt")
    complaint.refresh_from_db()
    assert complaint.handling_started_at == started and complaint.resolved_at is None


def test_an_agent_turns_a_contact_into_a_complaint_in_one_step(isannointi, agent):
    task = make_task(isannointi)
    contact = contact_record(
        controller=isannointi,
        channel="email",
        occurred_at=make_contact(isannointi).occurred_at,
        name="Maija",
        email="maija@example.fi",
        task=task,
    )
    complaint = complaint_from_contact(contact=contact, actor=agent, subject="Laskutusvirhe", description="Tupla")
    assert list(complaint.contacts.all()) == [contact]
    assert list(complaint.tasks.all()) == [task]
    assert complaint.complainant == contact.customer
    assert (complaint.channel, complaint.status, complaint.created_by) == ("email", S.RECEIVED, agent)
    assert complaint.received_at == contact.occurred_at
    assert AuditEvent.objects.filter(action="create", object_id=str(complaint.pk)).exists()


def test_linked_records_must_be_of_the_complaints_controller(isannointi, retta_oy, agent):
    foreign = make_contact(retta_oy)
    with pytest.raises(ValidationError):
        complaint_create(controller=isannointi, actor=agent, subject="X", contacts=[foreign])


def test_assignment_and_notes_go_on_the_timeline(isannointi, colleague, agent):
    complaint = make_complaint(isannointi)
    complaint_assign(complaint=complaint, handler=colleague, actor=colleague)
    complaint_note_add(complaint=complaint, text="Pyydetty lisätietoja", actor=colleague)
    kinds = list(ComplaintEvent.all_controllers.filter(complaint=complaint).values_list("kind", flat=True))
    assert kinds == [ComplaintEventKind.ASSIGNMENT, ComplaintEventKind.NOTE]
    with pytest.raises(ValidationError):
        complaint_assign(complaint=complaint, handler=agent, actor=colleague)  # an agent handles no complaints
    with pytest.raises(ValidationError):
        complaint_note_add(complaint=complaint, text="  ", actor=colleague)


def test_a_finished_complaint_cannot_be_edited(isannointi, colleague):
    complaint = _complaint_in(isannointi, S.CLOSED)
    with pytest.raises(Conflict):
        complaint_update(complaint=complaint, actor=colleague, resolution="Muutettu")
