"""Legal holds keep exactly what is in their scope: the keep reason `legal_hold` and holds_for()."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.holds import holds_for, is_held
from complaints.models import Complaint, ComplaintEvent, Disclosure, HoldScope, LegalHold
from complaints.services import complaint_create, legal_hold_place, legal_hold_release
from contacts.models import Contact, Customer, Task
from contacts.services import contact_record
from core.personal_data import registry
from tests.complaints.factories import make_complaint, make_contact, make_hold, make_task
from tests.factories import make_disclosure

pytestmark = pytest.mark.django_db


def _kept(model, now=None):  # type: ignore[no-untyped-def]
    """The rows the keep reason `legal_hold` keeps, as a set of pks."""
    declaration = registry.for_model(model)
    condition = registry.keep_reason_q(declaration, "legal_hold", now or timezone.now())
    assert condition is not None
    return set(model.all_controllers.filter(condition).values_list("pk", flat=True))


def _record(controller, **fields):  # type: ignore[no-untyped-def]
    defaults = {"channel": "call", "occurred_at": timezone.now() - dt.timedelta(days=1)}
    return contact_record(controller=controller, **{**defaults, **fields})


def test_keep_reason_legal_hold_is_registered_and_none_where_a_hold_cannot_reach():
    declaration = registry.get("complaints.legalhold")
    assert registry.keep_reason_q(declaration, "legal_hold", timezone.now()) is None
    for key in ("contacts.contact", "contacts.task", "contacts.customer", "complaints.complaint"):
        assert registry.keep_reason_q(registry.get(key), "legal_hold", timezone.now()) is not None


def test_nothing_is_held_without_holds(isannointi):
    make_contact(isannointi)
    assert _kept(Contact) == set()
    assert _kept(Customer) == set()


def test_complaint_hold_keeps_the_complaint_its_linked_contacts_tasks_complainant_and_disclosures(isannointi, dpo):
    customer = Customer.all_controllers.create(controller=isannointi, name="Maija")
    task = make_task(isannointi, customer=customer)
    linked = make_contact(isannointi, task=task, customer=customer)
    unrelated = make_contact(isannointi)
    complaint = complaint_create(
        controller=isannointi, actor=dpo, subject="Laskutusvirhe", complainant=customer, contacts=[linked], tasks=[task]
    )
    other_complaint = make_complaint(isannointi)
    disclosure = make_disclosure(isannointi, complaint=complaint)
    make_disclosure(isannointi, complaint=other_complaint)
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="Riita", reason="Kanne", scope=HoldScope.COMPLAINT, complaint=complaint
    )
    assert _kept(Complaint) == {complaint.pk}
    assert _kept(Contact) == {linked.pk}
    assert _kept(Task) == {task.pk}
    assert _kept(Customer) == {customer.pk}
    assert _kept(Disclosure) == {disclosure.pk}
    assert unrelated.pk not in _kept(Contact)


def test_task_hold_keeps_the_task_and_its_contacts(isannointi, dpo):
    task = make_task(isannointi)
    on_task = make_contact(isannointi, task=task)
    make_contact(isannointi)
    legal_hold_place(controller=isannointi, actor=dpo, matter="M", reason="R", scope=HoldScope.TASK, task=task)
    assert _kept(Task) == {task.pk}
    assert _kept(Contact) == {on_task.pk}
    assert _kept(Complaint) == set()


def test_contacts_hold_keeps_exactly_the_chosen_contacts(isannointi, dpo):
    chosen = [make_contact(isannointi), make_contact(isannointi)]
    make_contact(isannointi)
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="M", reason="R", scope=HoldScope.CONTACTS, contacts=chosen
    )
    assert _kept(Contact) == {c.pk for c in chosen}
    assert _kept(Task) == set()


def test_subject_hold_covers_the_subjects_records_created_after_the_hold(isannointi, retta_oy, dpo):
    before = _record(isannointi, name="Maija", email="Maija@Example.fi")
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="M", reason="R", scope=HoldScope.SUBJECT, emails=[" MAIJA@example.fi"]
    )
    after = _record(isannointi, name="Maija", email="maija@example.fi", phone="040 123 4567")
    complaint = complaint_create(controller=isannointi, actor=dpo, subject="Valitus", complainant=after.customer)
    someone_else = _record(isannointi, email="matti@example.fi")
    same_email_other_controller = _record(retta_oy, email="maija@example.fi")
    assert _kept(Contact) == {before.pk, after.pk}
    assert _kept(Customer) == {before.customer_id}
    assert _kept(Complaint) == {complaint.pk}
    assert someone_else.pk not in _kept(Contact)
    assert same_email_other_controller.pk not in _kept(Contact)
    assert is_held(after) and not is_held(same_email_other_controller)


def test_subject_hold_by_phone_matches_any_written_form(isannointi, dpo):
    contact = _record(isannointi, phone="+358 40 123 4567")
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="M", reason="R", scope=HoldScope.SUBJECT, phones=["040 1234567"]
    )
    assert _kept(Contact) == {contact.pk}


def test_released_hold_keeps_nothing(isannointi, dpo):
    contact = make_contact(isannointi)
    hold = legal_hold_place(
        controller=isannointi, actor=dpo, matter="M", reason="R", scope=HoldScope.CONTACTS, contacts=[contact]
    )
    assert _kept(Contact) == {contact.pk}
    legal_hold_release(hold=hold, actor=dpo, reason="Asia sovittu")
    assert _kept(Contact) == set()
    assert not is_held(contact)
    # The purge asking as of a moment before the release still sees the hold.
    assert _kept(Contact, now=hold.released_at - dt.timedelta(microseconds=1)) == {contact.pk}


def test_holds_for_names_each_hold_of_each_record(isannointi, dpo):
    task = make_task(isannointi)
    contact = make_contact(isannointi, task=task, email_normalized="maija@example.fi")
    free = make_contact(isannointi, email_normalized="matti@example.fi", phone_e164="+358409999999")
    complaint = make_complaint(isannointi)
    complaint.contacts.add(contact)
    by_task = make_hold(isannointi, scope=HoldScope.TASK, task=task, subject_emails=[])
    by_subject = make_hold(isannointi, scope=HoldScope.SUBJECT, subject_emails=["maija@example.fi"])
    by_complaint = make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=complaint, subject_emails=[])
    by_contacts = make_hold(isannointi, scope=HoldScope.CONTACTS, contacts=[contact], subject_emails=[])
    held = holds_for([contact, free, complaint, task])
    assert set(held[contact]) == {by_task, by_subject, by_complaint, by_contacts}
    assert free not in held
    assert held[complaint] == [by_complaint]
    assert held[task] == [by_task]


def test_holds_for_ignores_holds_of_the_other_controller(isannointi, retta_oy):
    contact = make_contact(isannointi)
    make_hold(retta_oy, scope=HoldScope.SUBJECT, subject_emails=[contact.email_normalized])
    assert holds_for([contact]) == {}


def test_holds_for_of_complaint_events_and_holds_themselves_is_empty(isannointi):
    complaint = make_complaint(isannointi)
    event = ComplaintEvent.all_controllers.create(controller=isannointi, complaint=complaint, kind="note")
    hold = make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=complaint, subject_emails=[])
    assert holds_for([event, hold]) == {}
    assert holds_for([]) == {}


@pytest.mark.postgresql
def test_is_held_for_ten_thousand_contacts_takes_two_queries(isannointi):
    now = timezone.now()
    task = make_task(isannointi)
    Contact.all_controllers.bulk_create(
        Contact(
            controller=isannointi,
            channel="email",
            occurred_at=now,
            email_normalized=f"asiakas{i}@example.fi",
            phone_e164=f"+3584000{i:05d}",
            task=task if i % 100 == 0 else None,
        )
        for i in range(10_000)
    )
    contacts = list(Contact.all_controllers.filter(controller=isannointi))
    complaint = make_complaint(isannointi)
    complaint.contacts.add(*contacts[1:20])
    make_hold(isannointi, scope=HoldScope.TASK, task=task, subject_emails=[])
    make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=complaint, subject_emails=[])
    make_hold(isannointi, scope=HoldScope.CONTACTS, contacts=contacts[5000:5010], subject_emails=[])
    make_hold(
        isannointi, scope=HoldScope.SUBJECT, subject_emails=["asiakas7777@example.fi"], subject_phones=["+358400008888"]
    )
    with CaptureQueriesContext(connection) as queries:
        held = holds_for(contacts)
    assert len(queries) <= 2
    expected = (
        {c.pk for c in contacts if c.task_id}
        | {c.pk for c in contacts[1:20]}
        | {c.pk for c in contacts[5000:5010]}
        | {c.pk for c in contacts if c.email_normalized == "asiakas7777@example.fi" or c.phone_e164 == "+358400008888"}
    )
    assert {obj.pk for obj in held} == expected
    assert _kept(Contact) == expected


def test_hold_rows_are_counted_only_once_per_record(isannointi):
    customer = Customer.all_controllers.create(controller=isannointi, name="Maija")
    customer.emails.create(controller=isannointi, email="maija@example.fi")
    customer.phones.create(controller=isannointi, phone="+358401234567")
    hold = make_hold(isannointi, subject_emails=["maija@example.fi"], subject_phones=["+358401234567"])
    assert holds_for([customer]) == {customer: [hold]}
    assert LegalHold.all_controllers.count() == 1
