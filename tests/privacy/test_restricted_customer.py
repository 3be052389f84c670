"""A restricted subject's customer record (art. 18): their name, addresses and numbers are kept,
shown only to the DPO, and changed by no one; the records that still point at it (a ticket, a new
contact, a complaint) show it to everyone else as "restricted" only, never its name or id."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from complaints.models import Complaint
from contacts.models import Contact, Customer, CustomerEmail, CustomerPhone
from contacts.services import contact_record
from core.errors import Conflict
from tests.factories import make_complaint, make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db

NAME = "Sanni Salainen"


@pytest.fixture
def world(isannointi: Any) -> dict[str, Any]:
    """A restricted customer with an address and a number, and unrestricted records pointing at
    it: a ticket, a contact on that ticket, a complaint. And an unrestricted customer."""
    customer = make_customer(isannointi, name=NAME, restricted=True)
    CustomerEmail.all_controllers.create(controller=isannointi, customer=customer, email="salainen@example.fi")
    CustomerPhone.all_controllers.create(controller=isannointi, customer=customer, phone="+358407777777")
    task = make_task(isannointi, title="Uusi asia", customer=customer)
    contact = make_contact(isannointi, channel="email", name="", email="", phone="", task=task, customer=customer)
    complaint = make_complaint(isannointi, subject="Uusi valitus", complainant=customer)
    other = make_customer(isannointi, name="Asiakas Kakkonen")
    return {"customer": customer, "task": task, "contact": contact, "complaint": complaint, "other": other}


def _shows(answer: Any, world: dict[str, Any]) -> list[str]:
    """What of the restricted customer a page or an answer tells."""
    text = answer.content.decode()
    customer = world["customer"]
    told = [token for token in (NAME, "salainen@example.fi", "+358407777777", "407777777") if token in text]
    if f"/contacts/customers/{customer.pk}/" in text:
        told.append("link")
    return told


def _customer_number(answer: Any, customer: Any) -> str:
    """Whether the page gives the customer's number ("customer 12", in the page's language)."""
    from django.utils.translation import gettext, override

    with override(answer.wsgi_request.LANGUAGE_CODE):
        label = gettext("customer %(number)s") % {"number": customer.pk}
    return "shown" if label in answer.content.decode() else "absent"


def test_agents_and_handlers_are_told_nothing_of_a_restricted_customer(world, agent, colleague, web_as, api_as):
    customer, task, contact, complaint = world["customer"], world["task"], world["contact"], world["complaint"]
    pages = web_as(agent)
    for url in (
        "/contacts/customers/",
        "/contacts/customers/?q=Salainen",
        "/contacts/customers/lookup/?phone=040 777 7777&email=salainen@example.fi",
        "/contacts/inbox/",
        "/contacts/tasks/",
        f"/contacts/tasks/{task.pk}/",
        f"/contacts/{contact.pk}/",
    ):
        answer = pages.get(url)
        assert answer.status_code == 200, url
        assert _shows(answer, world) == [], url
    assert pages.get(f"/contacts/customers/{customer.pk}/").status_code == 404
    assert pages.get(f"/contacts/customers/{customer.pk}/edit/").status_code == 404
    assert 'class="badge restricted"' in pages.get(f"/contacts/tasks/{task.pk}/").content.decode()

    handler_pages = web_as(colleague)
    for answer in (
        handler_pages.get(f"/complaints/{complaint.pk}/"),
        handler_pages.get(f"/complaints/from-contact/{contact.pk}/"),
        handler_pages.post(
            "/complaints/new/complainant/",
            {"controller": customer.controller_id, "complainant_email": "salainen@example.fi"},
        ),
    ):
        assert answer.status_code == 200
        assert _shows(answer, world) == []
    assert _customer_number(handler_pages.get(f"/complaints/{complaint.pk}/"), customer) == "absent"

    client = api_as(agent)
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 404
    assert customer.pk not in [row["id"] for row in client.get("/api/v1/customers/").json()["results"]]
    assert client.get(f"/api/v1/contacts/{contact.pk}/").json()["customer"] is None
    assert client.get(f"/api/v1/tasks/{task.pk}/").json()["customer"] is None
    assert client.get("/api/v1/tasks/", {"customer": customer.pk}).json()["results"] == []
    assert client.get("/api/v1/contacts/", {"customer": customer.pk}).json()["results"] == []
    complaints = api_as(colleague)
    assert complaints.get(f"/api/v1/complaints/{complaint.pk}/").json()["complainant"] is None
    assert complaints.get("/api/v1/complaints/", {"complainant": customer.pk}).json()["results"] == []


def test_a_restricted_customer_cannot_be_chosen_by_those_who_may_not_see_it(world, agent, web_as, api_as):
    customer, contact, task = world["customer"], world["contact"], world["task"]
    other_contact = make_contact(customer.controller, channel="call", customer=world["other"])
    client = api_as(agent)
    relinked = client.post(f"/api/v1/contacts/{other_contact.pk}/relink/", {"customer": customer.pk}, format="json")
    assert relinked.status_code == 400, relinked.content
    created = client.post(
        "/api/v1/tasks/", {"controller": "retta-isannointi", "title": "Uusi", "customer": customer.pk}, format="json"
    )
    assert created.status_code == 400, created.content
    page = web_as(agent).post(f"/contacts/{other_contact.pk}/relink/", {"customer": customer.pk}, follow=True)
    assert page.status_code == 200
    assert Contact.objects.get(pk=other_contact.pk).customer_id == world["other"].pk
    assert Contact.objects.get(pk=contact.pk).customer_id == customer.pk
    assert task.customer_id == customer.pk


def test_the_dpo_sees_a_restricted_customer_in_full(world, dpo, web_as, api_as):
    customer = world["customer"]
    pages = web_as(dpo)
    detail = pages.get(f"/contacts/customers/{customer.pk}/")
    assert detail.status_code == 200 and NAME in detail.content.decode()
    assert NAME in pages.get(f"/contacts/tasks/{world['task'].pk}/").content.decode()
    assert _customer_number(pages.get(f"/complaints/{world['complaint'].pk}/"), customer) == "shown"
    client = api_as(dpo)
    shown = client.get(f"/api/v1/customers/{customer.pk}/").json()
    assert shown["name"] == NAME and shown["restricted"] is True
    assert "restricted-notice" in detail.content.decode()
    assert 'id="customer-edit"' not in detail.content.decode()
    assert client.get(f"/api/v1/contacts/{world['contact'].pk}/").json()["customer"] == customer.pk


def test_no_one_changes_a_restricted_customer_or_links_a_record_to_it(world):
    """The write rule, at the services every page and endpoint calls (the DPO, who alone sees
    the customer, holds no customer-service write role to reach them through the UI)."""
    from complaints.services import complaint_update
    from contacts.services import contact_relink, customer_merge, customer_update
    from contacts.tickets import task_update

    customer, other = world["customer"], world["other"]
    moved = make_contact(customer.controller, channel="call", customer=other)
    ticket = make_task(customer.controller, title="Toinen", customer=other)
    complaint = make_complaint(customer.controller, subject="Toinen", complainant=other)
    for change in (
        lambda: customer_update(customer=customer, name="Muutettu", emails=[], phones=[]),
        lambda: customer_merge(target=customer, duplicate=other),
        lambda: customer_merge(target=other, duplicate=customer),
        lambda: contact_relink(contact=moved, customer=customer),
        lambda: task_update(task=ticket, changes={"customer": customer}),
        lambda: complaint_update(complaint=complaint, complainant=customer, actor=None),
    ):
        with pytest.raises(Conflict) as refused:
            change()
        assert refused.value.code == "restricted"
    customer.refresh_from_db()
    assert customer.name == NAME
    assert list(customer.emails.values_list("email", flat=True)) == ["salainen@example.fi"]
    assert Customer.objects.filter(pk=other.pk).exists()
    assert Contact.objects.get(pk=moved.pk).customer_id == other.pk
    assert ticket.__class__.objects.get(pk=ticket.pk).customer_id == other.pk
    assert Complaint.objects.get(pk=complaint.pk).complainant_id == other.pk


def test_a_new_contact_of_a_restricted_customer_is_linked_and_the_record_left_as_it_was(world, isannointi):
    customer = world["customer"]
    contact = contact_record(
        controller=isannointi,
        channel="email",
        occurred_at=timezone.now(),
        name="Toinen Nimi",
        email="Salainen@Example.fi",
        phone="040 111 2222",
    )
    assert contact.customer_id == customer.pk and not contact.restricted
    customer.refresh_from_db()
    assert customer.name == NAME
    assert list(customer.phones.values_list("phone", flat=True)) == ["+358407777777"]


@pytest.mark.parametrize("role", ["handler", "dpo"])
def test_a_restricted_complainant_is_not_answered(world, colleague, dpo, web_as, role):
    complaint = world["complaint"]
    answer = web_as(colleague if role == "handler" else dpo).post(f"/complaints/{complaint.pk}/reply/", {"body": "Hei"})
    assert answer.status_code == 400
    assert not Contact.all_controllers.filter(direction="outbound").exists()
    assert not Complaint.objects.get(pk=complaint.pk).contacts.exists()
