"""Property: after a purge at T, exactly the records the rules call due are gone, all others intact.

Random data sets for both controllers: contacts at random ages, in open or closed tasks, linked
to complaints in any state, restricted, under a (test-only) hold; customers with and without
records; complaints and feedback closed at random ages. The expected outcome is computed here
independently, straight from the policy table, and compared with what the purge left.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.models import Complaint, ComplaintKind, ComplaintStatus
from contacts.models import Contact, Customer, Task, TaskStatus
from core.models import Controller
from core.personal_data import KeepReason, registry
from retention.purge import purge

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

T = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)
FINISHED = {ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN}
HOLD_SUBJECT = "HOLD"

ages = st.integers(min_value=0, max_value=1300)


@dataclass
class ContactSpec:
    age: int
    restricted: bool
    held: bool
    task: int | None
    customer: int | None
    complaints: list[int]


@dataclass
class TaskSpec:
    closed_age: int | None  # None: open
    customer: int | None


@dataclass
class ComplaintSpec:
    kind: str
    status: str
    closed_age: int
    complainant: int | None
    held: bool


def _controller_data() -> st.SearchStrategy:
    return st.tuples(
        st.integers(min_value=0, max_value=4),  # customers
        st.lists(st.builds(TaskSpec, st.none() | ages, st.none() | st.integers(0, 3)), max_size=4),
        st.lists(
            st.builds(
                ComplaintSpec,
                st.sampled_from([ComplaintKind.COMPLAINT, ComplaintKind.FEEDBACK]),
                st.sampled_from(list(ComplaintStatus)),
                ages,
                st.none() | st.integers(0, 3),
                st.booleans(),
            ),
            max_size=3,
        ),
        st.lists(
            st.builds(
                ContactSpec,
                ages,
                st.booleans(),
                st.booleans(),
                st.none() | st.integers(0, 3),
                st.none() | st.integers(0, 3),
                st.lists(st.integers(0, 2), max_size=2, unique=True),
            ),
            max_size=10,
        ),
    )


def _ago(days: int) -> dt.datetime:
    return T - dt.timedelta(days=days, minutes=1)


def _held_q(declaration, now):  # type: ignore[no-untyped-def]
    """A test-only keep reason standing for legal holds: subject HOLD keeps a contact or complaint."""
    if declaration.key() in {"contacts.contact", "complaints.complaint"}:
        return Q(subject=HOLD_SUBJECT)
    return None


@pytest.fixture
def test_hold(monkeypatch):  # type: ignore[no-untyped-def]
    reason = KeepReason(code="test_hold", label="held for a test", q=_held_q)
    monkeypatch.setattr(registry, "_keep_reasons", [*registry._keep_reasons, reason])


def _build(controller: Controller, data) -> tuple[set, set, set, set]:  # type: ignore[no-untyped-def]
    """Create one controller's rows; return the ids the policy says must survive."""
    n_customers, task_specs, complaint_specs, contact_specs = data
    customers = [Customer.all_controllers.create(controller=controller, name=f"c{i}") for i in range(n_customers)]

    def customer(index: int | None) -> Customer | None:
        return customers[index % len(customers)] if customers and index is not None else None

    tasks = [
        Task.all_controllers.create(
            controller=controller,
            title="t",
            status=TaskStatus.OPEN if spec.closed_age is None else TaskStatus.CLOSED,
            state="new" if spec.closed_age is None else "solved",
            closed_at=None if spec.closed_age is None else _ago(spec.closed_age),
            customer=customer(spec.customer),
        )
        for spec in task_specs
    ]
    complaints = [
        Complaint.all_controllers.create(
            controller=controller,
            kind=spec.kind,
            status=spec.status,
            closed_at=_ago(spec.closed_age) if spec.status in FINISHED else None,
            complainant=customer(spec.complainant),
            subject=HOLD_SUBJECT if spec.held else "s",
        )
        for spec in complaint_specs
    ]
    contacts = []
    for spec in contact_specs:
        contact = Contact.all_controllers.create(
            controller=controller,
            channel="call",
            occurred_at=_ago(spec.age),
            restricted=spec.restricted,
            subject=HOLD_SUBJECT if spec.held else "s",
            task=tasks[spec.task % len(tasks)] if tasks and spec.task is not None else None,
            customer=customer(spec.customer),
        )
        linked = [complaints[i % len(complaints)] for i in spec.complaints] if complaints else []
        for complaint in linked:
            complaint.contacts.add(contact)
        contacts.append((contact, spec, linked))

    # The policy, written out independently of the engine.
    surviving_complaints = {
        c.pk
        for c, spec in zip(complaints, complaint_specs, strict=True)
        if not (
            spec.status in FINISHED
            and spec.closed_age >= (30 if spec.kind == ComplaintKind.FEEDBACK else 3 * 365)
            and not spec.held
        )
    }
    surviving_contacts = {
        contact.pk
        for contact, spec, linked in contacts
        if spec.age < 180
        or spec.restricted
        or spec.held
        or (contact.task is not None and contact.task.status == TaskStatus.OPEN)
        or any(c.status not in FINISHED for c in linked)
    }
    surviving_tasks = {
        task.pk
        for task in tasks
        if task.status == TaskStatus.OPEN
        or any(contact.pk in surviving_contacts and contact.task_id == task.pk for contact, _s, _l in contacts)
    }
    surviving_customers = {
        cust.pk
        for cust in customers
        if any(contact.pk in surviving_contacts and contact.customer_id == cust.pk for contact, _s, _l in contacts)
        or any(task.pk in surviving_tasks and task.customer_id == cust.pk for task in tasks)
        or any(c.pk in surviving_complaints and c.complainant_id == cust.pk for c in complaints)
    }
    return surviving_contacts, surviving_tasks, surviving_complaints, surviving_customers


def _snapshot(model, ids):  # type: ignore[no-untyped-def]
    return {row["id"]: row for row in model.all_controllers.filter(pk__in=ids).values()}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=_controller_data(), second=_controller_data())
def test_after_a_purge_exactly_the_due_records_are_gone(isannointi, retta_oy, test_hold, first, second):
    with transaction.atomic():
        expected = [set(), set(), set(), set()]
        for controller, data in ((isannointi, first), (retta_oy, second)):
            for bucket, ids in zip(expected, _build(controller, data), strict=True):
                bucket |= ids
        models = (Contact, Task, Complaint, Customer)
        before = [_snapshot(model, ids) for model, ids in zip(models, expected, strict=True)]

        run = purge(now=T)

        assert run.status == "finished"
        for model, ids, snapshot in zip(models, expected, before, strict=True):
            assert set(model.all_controllers.values_list("pk", flat=True)) == ids, model.__name__
            # Every survivor is intact, field for field.
            assert _snapshot(model, ids) == snapshot, model.__name__
        transaction.set_rollback(True)
