"""GET|POST /api/v1/contacts/, GET|PATCH /api/v1/contacts/{id}/ and the relink action."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from contacts.models import Contact, Customer
from contacts.services import contact_record
from core.models import AuditEvent
from tests.factories import make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/"


def test_an_agent_lists_contacts_of_their_controller_with_the_designed_fields(api_as, agent, isannointi, retta_oy):
    mine = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), phone="040 123 4567")
    make_contact(retta_oy)
    answer = api_as(agent).get(URL)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) >= {"results", "next"}
    assert [row["id"] for row in body["results"]] == [mine.pk]
    row = body["results"][0]
    assert set(row) == {
        "id", "controller", "channel", "direction", "occurred_at", "name", "email", "phone",
        "subject", "body", "task", "customer", "has_recording", "restricted",
        # Extensions of the designed fields: art. 21, and the identity-code guard.
        "processing_objected", "personal_identity_code_masked",
    }  # fmt: skip
    assert row["phone"] == "+358401234567"
    assert row["controller"] == "retta-isannointi"
    assert row["customer"] == mine.customer_id
    assert dt.datetime.fromisoformat(row["occurred_at"]).utcoffset() is not None
    assert row["has_recording"] is False
    assert AuditEvent.objects.filter(object_type="contacts.contact", object_id=str(mine.pk), action="view").exists()


def test_filters_by_email_phone_channel_task_and_dates(api_as, agent, isannointi):
    task = make_task(isannointi)
    now = timezone.now()
    by_mail = contact_record(controller=isannointi, channel="email", occurred_at=now, email="Liisa@Example.fi")
    by_phone = contact_record(
        controller=isannointi,
        channel="call",
        occurred_at=now - dt.timedelta(days=3),
        phone="+46 70 123 45 67",
        task=task,
    )
    client = api_as(agent)

    def ids(**params):  # type: ignore[no-untyped-def]
        answer = client.get(URL, params)
        assert answer.status_code == 200, answer.content
        return {row["id"] for row in answer.json()["results"]}

    assert ids(email=" LIISA@example.FI") == {by_mail.pk}
    assert ids(phone="070-123 45 67") == set()  # a Finnish reading of a Swedish number is another number
    assert ids(phone="0046701234567") == {by_phone.pk}
    assert ids(channel="call") == {by_phone.pk}
    assert ids(task=task.pk) == {by_phone.pk}
    assert ids(occurred_after=(now - dt.timedelta(days=1)).isoformat()) == {by_mail.pk}
    assert ids(occurred_before=(now - dt.timedelta(days=1)).isoformat()) == {by_phone.pk}
    assert ids(controller="retta-isannointi") == {by_mail.pk, by_phone.pk}
    assert ids(email="not an address") == set()


def test_search_q_matches_name_email_phone_and_subject(api_as, agent, isannointi, retta_oy):
    named = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), name="Åsa Lindqvist")
    subject = contact_record(
        controller=isannointi, channel="email", occurred_at=timezone.now(), subject="Vuotava hana", email="x@y.fi"
    )
    phone = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), phone="0401234567")
    make_contact(retta_oy, name="Åsa Lindqvist")
    client = api_as(agent)

    def ids(term):  # type: ignore[no-untyped-def]
        answer = client.get(URL, {"q": term})
        assert answer.status_code == 200
        return {row["id"] for row in answer.json()["results"]}

    assert ids("lindq") == {named.pk}
    assert ids("HANA") == {subject.pk}
    assert ids("x@y.f") == {subject.pk}
    assert ids("+358 40 123 4567") == {phone.pk}
    assert AuditEvent.objects.filter(action="search", object_id=str(named.pk)).exists()


def test_a_search_term_too_short_is_a_400(api_as, agent):
    assert api_as(agent).get(URL, {"q": "ab"}).status_code == 400
    assert api_as(agent).get(URL, {"occurred_after": "yesterday"}).status_code == 400
    assert api_as(agent).get(URL, {"channel": "fax"}).status_code == 400


def test_pagination_gives_a_next_cursor(api_as, agent, isannointi):
    for _ in range(3):
        make_contact(isannointi)
    answer = api_as(agent).get(URL, {"page_size": 2}).json()
    assert len(answer["results"]) == 2 and answer["next"]
    rest = api_as(agent).get(answer["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None


def test_an_agent_creates_a_contact_through_contact_record(api_as, agent, isannointi):
    answer = api_as(agent).post(
        URL,
        {"controller": "retta-isannointi", "channel": "call", "phone": "040 765 4321", "name": "Matti Virtanen"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    contact = Contact.all_controllers.get(pk=answer.json()["id"])
    assert contact.phone_e164 == "+358407654321" and contact.agent == agent
    assert contact.customer.phones.get().phone == "+358407654321"
    assert AuditEvent.objects.filter(action="create", object_id=str(contact.pk)).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"channel": "fax"},
        {"channel": "call", "phone": "not a number"},
        {"channel": "email", "email": "no-at-sign"},
        {"channel": "call", "controller": "retta-oy"},
        {"channel": "call", "occurred_at": "tomorrow"},
        {},
    ],
)
def test_bad_input_is_a_400_and_stores_nothing(api_as, agent, payload):
    answer = api_as(agent).post(URL, payload, format="json")
    assert answer.status_code == 400, answer.content
    assert not Contact.all_controllers.exists()


def test_a_task_of_the_other_controller_is_refused_on_create(api_as, agent, retta_oy):
    task = make_task(retta_oy)
    answer = api_as(agent).post(URL, {"channel": "call", "task": task.pk}, format="json")
    assert answer.status_code == 400
    assert not Contact.all_controllers.exists()


def test_an_agent_patches_a_contact_and_identifiers_are_normalised_again(api_as, agent, isannointi):
    contact = make_contact(isannointi)
    task = make_task(isannointi)
    answer = api_as(agent).patch(
        f"{URL}{contact.pk}/", {"subject": "Uusi", "phone": "050 111 2222", "task": task.pk}, format="json"
    )
    assert answer.status_code == 200, answer.content
    contact.refresh_from_db()
    assert (contact.subject, contact.phone_e164, contact.task_id) == ("Uusi", "+358501112222", task.pk)
    assert AuditEvent.objects.filter(action="change", object_id=str(contact.pk)).exists()


def test_changing_channel_or_controller_is_a_400(api_as, agent, isannointi):
    contact = make_contact(isannointi)
    client = api_as(agent)
    assert client.patch(f"{URL}{contact.pk}/", {"channel": "chat"}, format="json").status_code == 400
    assert client.patch(f"{URL}{contact.pk}/", {"controller": "retta-oy"}, format="json").status_code == 400


def test_a_restricted_contact_is_there_only_for_the_dpo_and_read_only(api_as, agent, dpo, isannointi):
    contact = make_contact(isannointi, restricted=True)
    assert api_as(agent).get(f"{URL}{contact.pk}/").status_code == 404
    assert contact.pk not in [row["id"] for row in api_as(agent).get(URL).json()["results"]]
    assert api_as(agent).get(URL, {"q": "Maija"}).json()["results"] == []
    row = api_as(dpo).get(f"{URL}{contact.pk}/").json()
    assert row["name"] == "Maija Meikäläinen" and row["restricted"] is True
    answer = api_as(agent).patch(f"{URL}{contact.pk}/", {"subject": "x"}, format="json")
    assert answer.status_code == 404
    contact.refresh_from_db()
    assert contact.subject == "Vuotava hana"


def test_the_other_controllers_contact_is_404_and_absent_from_search(api_as, outsider, isannointi):
    contact = make_contact(isannointi)
    client = api_as(outsider)
    assert client.get(f"{URL}{contact.pk}/").status_code == 404
    assert client.patch(f"{URL}{contact.pk}/", {"subject": "x"}, format="json").status_code == 404
    assert client.get(URL, {"q": "Maija"}).json()["results"] == []
    assert client.get(URL, {"email": "maija@example.fi"}).json()["results"] == []


def test_without_credentials_401_and_read_roles_cannot_write(api, api_as, colleague, dpo, isannointi):
    contact = make_contact(isannointi)
    assert APIClient().get(URL).status_code == 401
    assert api_as(colleague).get(f"{URL}{contact.pk}/").status_code == 200
    assert api_as(colleague).post(URL, {"channel": "call"}, format="json").status_code == 403
    assert api_as(dpo).get(URL).status_code == 200
    assert api_as(dpo).patch(f"{URL}{contact.pk}/", {"subject": "x"}, format="json").status_code == 403


def test_an_agent_relinks_a_contact_to_another_customer(api_as, agent, isannointi, retta_oy):
    contact = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), phone="0401234567")
    other = make_customer(isannointi, name="Oikea Asiakas")
    client = api_as(agent)
    answer = client.post(f"{URL}{contact.pk}/relink", {"customer": other.pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["customer"] == other.pk
    foreign = make_customer(retta_oy)
    assert client.post(f"{URL}{contact.pk}/relink", {"customer": foreign.pk}, format="json").status_code == 400
    assert client.post(f"{URL}{contact.pk}/relink", {}, format="json").status_code == 400
    assert Customer.all_controllers.filter(pk=contact.customer_id).exists()
