"""GET /api/v1/customers/, GET /api/v1/customers/{id}/ and merging two customers."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.models import Customer, CustomerPhone
from contacts.services import contact_record
from core.models import AuditEvent
from tests.factories import make_complaint, make_customer, make_task

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_an_agent_lists_and_reads_customers_with_their_identifiers(api_as, agent, isannointi, retta_oy):
    contact = contact_record(
        controller=isannointi, channel="call", occurred_at=timezone.now(), phone="040 123 4567", name="Maija"
    )
    make_customer(retta_oy)
    client = api_as(agent)
    rows = client.get(URL).json()["results"]
    assert [row["id"] for row in rows] == [contact.customer_id]
    assert rows[0]["phones"] == ["+358401234567"]
    assert client.get(URL, {"phone": "+358401234567"}).json()["results"][0]["id"] == contact.customer_id
    assert client.get(URL, {"phone": "0501112222"}).json()["results"] == []
    detail = client.get(f"{URL}{contact.customer_id}/")
    assert detail.status_code == 200 and detail.json()["name"] == "Maija"
    assert AuditEvent.objects.filter(object_type="contacts.customer", action="view").exists()


def test_merging_moves_contacts_tasks_complaints_and_identifiers(api_as, agent, isannointi):
    kept = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), phone="0401234567")
    dup = contact_record(
        controller=isannointi, channel="email", occurred_at=timezone.now(), email="m@example.fi", phone="0507654321"
    )
    task = make_task(isannointi, customer=dup.customer)
    complaint = make_complaint(isannointi, complainant=dup.customer)
    answer = api_as(agent).post(f"{URL}{kept.customer_id}/merge", {"duplicate": dup.customer_id}, format="json")
    assert answer.status_code == 200, answer.content
    assert sorted(answer.json()["phones"]) == ["+358401234567", "+358507654321"]
    assert answer.json()["emails"] == ["m@example.fi"]
    dup.refresh_from_db()
    task.refresh_from_db()
    complaint.refresh_from_db()
    assert dup.customer_id == task.customer_id == complaint.complainant_id == kept.customer_id
    assert not Customer.all_controllers.filter(pk=dup.customer_id).exclude(pk=kept.customer_id).exists()
    assert AuditEvent.objects.filter(action="merge", object_id=str(kept.customer_id)).exists()


def test_merging_with_itself_is_409_and_across_controllers_400(api_as, agent, isannointi, retta_oy):
    customer = make_customer(isannointi)
    foreign = make_customer(retta_oy)
    client = api_as(agent)
    assert client.post(f"{URL}{customer.pk}/merge", {"duplicate": customer.pk}, format="json").status_code == 409
    assert client.post(f"{URL}{customer.pk}/merge", {"duplicate": foreign.pk}, format="json").status_code == 400
    assert client.post(f"{URL}{customer.pk}/merge", {"duplicate": "x"}, format="json").status_code == 400
    assert Customer.all_controllers.count() == 2


def test_other_controller_404_wrong_role_403_anonymous_401(api, api_as, outsider, colleague, isannointi):
    customer = make_customer(isannointi)
    other = make_customer(isannointi)
    assert api_as(outsider).get(f"{URL}{customer.pk}/").status_code == 404
    assert api_as(outsider).get(URL).json()["results"] == []
    assert (
        api_as(colleague).post(f"{URL}{customer.pk}/merge", {"duplicate": other.pk}, format="json").status_code == 403
    )
    assert APIClient().get(URL).status_code == 401
    assert CustomerPhone.all_controllers.count() == 0
    assert Customer.all_controllers.count() == 2
