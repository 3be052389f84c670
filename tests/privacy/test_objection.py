"""Objection (art. 21, P12) made real: held on the customer with who and when, inherited by new
records of the same subject, exposed by the API, stated in the art. 30 record and the access copy."""

import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.utils import timezone, translation

from complaints.services import complaint_create
from contacts.models import Contact, Customer
from contacts.services import contact_record
from privacy.discovery import matches_review, request_discover
from privacy.exports import export_write_zip
from privacy.record_of_processing import processing_record
from tests.privacy.factories import make_privacy_request
from tests.privacy.test_other_kinds import URL, _verified

pytestmark = pytest.mark.django_db
OBJECTED_AT = dt.datetime(2026, 3, 15, 8, 5, tzinfo=dt.UTC)


def _object(dpo_api):
    pk = _verified(dpo_api, "objection")
    with time_machine.travel(OBJECTED_AT, tick=False):
        answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200, answer.content
    return pk


def test_objection_is_held_on_the_customer_with_who_recorded_it_and_when(dpo_api, dpo, isannointi, subject_records):
    _object(dpo_api)
    customer = Customer.all_controllers.get(pk=subject_records["email"].customer_id)
    assert customer.processing_objected
    assert customer.processing_objected_at == OBJECTED_AT
    assert customer.processing_objected_by == dpo
    # The same person at the other controller, and a stranger, did not object.
    assert not Customer.all_controllers.get(pk=subject_records["other_controller"].customer_id).processing_objected
    assert not Customer.all_controllers.get(pk=subject_records["stranger"].customer_id).processing_objected


def test_new_contact_from_an_objected_customers_address_inherits_the_objection(
    dpo_api, isannointi, retta_oy, subject_records
):
    _object(dpo_api)
    later = contact_record(
        controller=isannointi, channel="email", occurred_at=timezone.now(), email="MAIJA@example.fi", subject="Uusi"
    )
    by_phone = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), phone="+358401234567")
    assert later.processing_objected and by_phone.processing_objected
    # Another person, and the same address at the other controller (another controller's customer), do not.
    assert not contact_record(
        controller=isannointi, channel="call", occurred_at=timezone.now(), phone="050 111 2222"
    ).processing_objected
    assert not contact_record(
        controller=retta_oy, channel="email", occurred_at=timezone.now(), email="maija@example.fi"
    ).processing_objected


def test_new_chat_and_complaint_of_an_objected_customer_inherit_the_objection(
    api_as, integration, dpo_api, dpo, isannointi, subject_records
):
    _object(dpo_api)
    chat = {
        "session_id": "s-new",
        "controller": "retta-isannointi",
        "started_at": "2026-03-20T10:00:00+02:00",
        "visitor": {"name": "Maija", "email": "maija@example.fi"},
        "messages": [{"at": "2026-03-20T10:00:00+02:00", "author": "visitor", "text": "Hei taas"}],
    }
    answer = api_as(integration).post("/api/v1/inbound/chat", chat, format="json")
    assert answer.status_code == 201, answer.content
    assert Contact.all_controllers.get(chat_session_id="s-new").processing_objected
    customer = Customer.all_controllers.get(pk=subject_records["email"].customer_id)
    complaint = complaint_create(controller=isannointi, actor=dpo, subject="Valitus", complainant=customer)
    assert complaint.processing_objected


def test_the_api_shows_the_objection_on_contacts_and_customers_read_only(
    api_as, agent, dpo_api, isannointi, subject_records
):
    _object(dpo_api)
    client = api_as(agent)
    contact = client.get(f"/api/v1/contacts/{subject_records['email'].pk}/").json()
    assert contact["processing_objected"] is True
    stranger = client.get(f"/api/v1/contacts/{subject_records['stranger'].pk}/").json()
    assert stranger["processing_objected"] is False
    customer = client.get(f"/api/v1/customers/{subject_records['email'].customer_id}/").json()
    assert customer["processing_objected"] is True
    assert dt.datetime.fromisoformat(customer["processing_objected_at"]) == OBJECTED_AT
    # Read-only: an agent cannot lift it by writing the field.
    answer = client.patch(
        f"/api/v1/contacts/{subject_records['email'].pk}/", {"processing_objected": False}, format="json"
    )
    assert answer.status_code == 200
    assert Contact.all_controllers.get(pk=subject_records["email"].pk).processing_objected


def test_the_record_of_processing_states_how_objections_are_handled(isannointi):
    with translation.override("en"):
        record = processing_record(controller=isannointi, today=dt.date(2026, 3, 15))
    handling = record["objection"]["handling"]
    assert "legitimate interest" in handling
    assert "quality sample" in handling and "statistics of complaints" in handling
    assert "Assuring the quality of customer service" in record["objection"]["purposes"]


def test_the_record_of_processing_page_shows_the_objection_section(web_as, dpo, isannointi):
    client = web_as(dpo)
    client.cookies["django_language"] = "en"
    page = client.get("/privacy/record-of-processing/retta-isannointi/")
    assert page.status_code == 200
    assert "Objection to processing based on legitimate interest" in page.content.decode()
    assert "quality sample" in page.content.decode()


def test_the_access_copy_says_the_person_objected_and_when(dpo_api, dpo, isannointi, subject_records):
    _object(dpo_api)
    request = make_privacy_request(isannointi, verified=True, email="maija@example.fi", language="en")
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    target = io.BytesIO()
    export_write_zip(request=request, export=None, target=target)
    summary = zipfile.ZipFile(target).read("summary.txt").decode()
    assert "== Your objection" in summary
    # 08:05 UTC is 10:05 in Helsinki.
    assert "the objection was recorded on 15/03/2026 10:05" in summary


def test_the_access_copy_of_someone_who_did_not_object_says_nothing_of_it(dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, verified=True, email="maija@example.fi", language="en")
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    target = io.BytesIO()
    export_write_zip(request=request, export=None, target=target)
    assert "Your objection" not in zipfile.ZipFile(target).read("summary.txt").decode()


def test_a_second_objection_keeps_when_the_first_was_recorded(dpo_api, isannointi, subject_records):
    _object(dpo_api)
    pk = _verified(dpo_api, "objection")
    with time_machine.travel(OBJECTED_AT + dt.timedelta(days=30), tick=False):
        assert dpo_api.post(f"{URL}{pk}/execute/", {}, format="json").status_code == 200
    customer = Customer.all_controllers.get(pk=subject_records["email"].customer_id)
    assert customer.processing_objected_at == OBJECTED_AT
