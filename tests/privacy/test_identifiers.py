"""Identity is verified per identifier: a requester shown to own one address or number gets only
what was found through the identifiers shown to be theirs (issue: a verified email plus someone
else's phone must not hand out that person's recordings)."""

import io
import json
import zipfile

import pytest

from contacts.models import CallRecording, Contact
from contacts.services import contact_record
from core.models import AuditEvent
from privacy.models import PrivacyRequest, RequestIdentifier
from tests.privacy.conftest import WAV

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"
# The stranger's number in the subject_records fixture: Matti Virtanen's call.
STRANGERS_PHONE = "050 111 2222"


def _open(dpo_api, kind="access", **subject):
    body = {"controller": "retta-isannointi", "kind": kind, "name": "Maija Meikäläinen", **subject}
    answer = dpo_api.post(URL, body, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def _verify(dpo_api, pk, **body):
    return dpo_api.post(f"{URL}{pk}/verify-identity/", body, format="json")


def _search_and_review(dpo_api, pk):
    matches = dpo_api.get(f"{URL}{pk}/matches/").json()
    assert dpo_api.post(f"{URL}{pk}/matches/", {}, format="json").status_code == 200
    return {(m["record_type"], m["record_id"]): m for m in matches}


def _copy(dpo_api, pk):
    answer = dpo_api.get(f"{URL}{pk}/export/")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    return archive, json.loads(archive.read("data.json"))


def test_a_phone_added_by_a_requester_verified_by_email_hands_out_none_of_its_records(
    dpo_api, isannointi, subject_records, eager_tasks
):
    from django.core.files.base import ContentFile

    stranger = subject_records["stranger"]
    CallRecording.all_controllers.create(
        controller=isannointi, contact=stranger, file=ContentFile(WAV, name="matti.wav"), content_type="audio/wav"
    )
    pk = _open(dpo_api, email="maija@example.fi", phone=STRANGERS_PHONE)
    assert _verify(dpo_api, pk, method="email_on_file").status_code == 200
    matches = _search_and_review(dpo_api, pk)
    assert dpo_api.post(f"{URL}{pk}/execute/", {}, format="json").status_code == 202
    archive, document = _copy(dpo_api, pk)
    contacts = {r["id"] for r in document["records"] if r["type"] == "contacts.contact"}
    assert stranger.pk not in contacts and subject_records["email"].pk in contacts
    assert not any(r["type"] == "contacts.callrecording" for r in document["records"])
    assert not any(name.endswith("matti.wav") for name in archive.namelist())
    assert "Matti" not in archive.read("data.json").decode()
    # The DPO saw what the unverified phone finds, and that it was not acted on.
    found = matches[("contacts.contact", stranger.pk)]
    assert found["via"] == [{"id": found["via"][0]["id"], "kind": "phone", "value": "+358501112222", "verified": False}]
    assert found["acted_on"] is False
    assert matches[("contacts.contact", subject_records["email"].pk)]["acted_on"] is True


def test_erasure_leaves_the_records_found_through_an_unverified_phone(dpo_api, isannointi, subject_records):
    stranger = subject_records["stranger"]
    pk = _open(dpo_api, kind="erasure", email="maija@example.fi", phone=STRANGERS_PHONE)
    _verify(dpo_api, pk, method="email_on_file")
    _search_and_review(dpo_api, pk)
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200, answer.content
    assert Contact.all_controllers.filter(pk=stranger.pk).exists()
    assert not Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()


def test_a_call_back_verifies_the_phone_and_its_records_join_the_answer(dpo_api, isannointi, subject_records):
    pk = _open(dpo_api, kind="objection", email="maija@example.fi", phone="040 123 4567")
    _verify(dpo_api, pk, method="email_on_file")
    matches = _search_and_review(dpo_api, pk)
    assert matches[("contacts.contact", subject_records["call"].pk)]["acted_on"] is False
    assert _verify(dpo_api, pk, method="callback_on_file").status_code == 200
    # The verification changes what is acted on: the review is asked for again.
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "discovery_required"
    matches = _search_and_review(dpo_api, pk)
    assert matches[("contacts.contact", subject_records["call"].pk)]["acted_on"] is True
    assert dpo_api.post(f"{URL}{pk}/execute/", {}, format="json").status_code == 200
    assert Contact.all_controllers.get(pk=subject_records["call"].pk).processing_objected


def test_each_identifier_records_its_own_verification_method_who_and_when(dpo_api, dpo, isannointi):
    pk = _open(dpo_api, email="maija@example.fi", phone="040 123 4567", emails=["maija@koti.fi"])
    # A passport proves the person, not an address or a number.
    assert _verify(dpo_api, pk, method="document_seen").status_code == 200
    identifiers = {i["value"]: i for i in dpo_api.get(f"{URL}{pk}/").json()["identifiers"]}
    assert not any(i["verified"] for i in identifiers.values())
    assert _verify(dpo_api, pk, method="email_on_file", identifiers=["Maija@Koti.fi"]).status_code == 200
    detail = dpo_api.get(f"{URL}{pk}/").json()
    assert detail["identity_method"] == "document_seen"
    identifiers = {i["value"]: i for i in detail["identifiers"]}
    assert identifiers["maija@koti.fi"]["verified"] and identifiers["maija@koti.fi"]["verification_method"] == (
        "email_on_file"
    )
    assert not identifiers["maija@example.fi"]["verified"] and not identifiers["+358401234567"]["verified"]
    row = RequestIdentifier.objects.get(value="maija@koti.fi")
    assert row.verified_by == dpo and row.verified_at is not None
    event = AuditEvent.objects.filter(action="verify_identity").order_by("-id").first()
    assert event.details == {"method": "email_on_file", "identifiers": [row.pk]}


def test_a_check_proves_only_the_identifiers_it_can(dpo_api, isannointi):
    pk = _open(dpo_api, email="maija@example.fi", phone="040 123 4567")
    for body in [
        {"method": "email_on_file", "identifiers": ["040 123 4567"]},
        {"method": "callback_on_file", "identifiers": ["maija@example.fi"]},
        {"method": "strong_electronic", "identifiers": ["maija@example.fi"]},
        {"method": "email_on_file", "identifiers": ["someone@else.fi"]},
        {"method": "email_on_file", "identifiers": "maija@example.fi"},
    ]:
        answer = _verify(dpo_api, pk, **body)
        assert answer.status_code == 400 and "identifiers" in answer.json(), body
    request = PrivacyRequest.objects.get(pk=pk)
    assert not request.identity_verified and not request.identifiers.filter(verified_at__isnull=False).exists()
    assert _verify(dpo_api, pk, method="callback_on_file").status_code == 200
    assert _verify(dpo_api, pk, method="callback_on_file").status_code == 409
    assert _verify(dpo_api, pk, method="strong_electronic").status_code == 409


def test_records_only_through_a_phone_another_customer_shares_may_belong_to_someone_else(
    dpo_api, isannointi, subject_records
):
    """A family phone: Maija's and her husband's calls come from the same number."""
    maija = subject_records["email"].customer
    family_phone = "040 765 4321"
    maijas_call = contact_record(
        controller=isannointi, channel="call", occurred_at=subject_records["email"].occurred_at, phone=family_phone
    )
    Contact.all_controllers.filter(pk=maijas_call.pk).update(customer=maija)
    husbands_call = contact_record(
        controller=isannointi,
        channel="call",
        occurred_at=subject_records["email"].occurred_at,
        name="Pekka Meikäläinen",
        email="pekka@example.fi",
    )
    Contact.all_controllers.filter(pk=husbands_call.pk).update(phone="040 765 4321", phone_e164="+358407654321")
    pk = _open(dpo_api, email="maija@example.fi", phone=family_phone)
    _verify(dpo_api, pk, method="email_on_file")
    _verify(dpo_api, pk, method="callback_on_file")
    matches = dpo_api.get(f"{URL}{pk}/matches/").json()
    by_record = {(m["record_type"], m["record_id"]): m for m in matches}
    for call in (maijas_call, husbands_call):
        match = by_record[("contacts.contact", call.pk)]
        assert match["may_belong_to_someone_else"] is True and match["included"] is False
        assert match["acted_on"] is False
    email = by_record[("contacts.contact", subject_records["email"].pk)]
    assert email["may_belong_to_someone_else"] is False and email["acted_on"] is True
    # The DPO listens and ticks Maija's own call; the husband's stays out.
    dpo_api.post(
        f"{URL}{pk}/matches/", {"include": [by_record[("contacts.contact", maijas_call.pk)]["id"]]}, format="json"
    )
    matches = {(m["record_type"], m["record_id"]): m for m in dpo_api.get(f"{URL}{pk}/matches/").json()}
    assert matches[("contacts.contact", maijas_call.pk)]["acted_on"] is True
    assert matches[("contacts.contact", husbands_call.pk)]["acted_on"] is False


def test_the_dpo_adds_an_identifier_later_and_the_records_are_searched_again(dpo_api, isannointi, subject_records):
    pk = _open(dpo_api, kind="objection", email="maija@example.fi")
    _verify(dpo_api, pk, method="email_on_file")
    _search_and_review(dpo_api, pk)
    answer = dpo_api.post(f"{URL}{pk}/identifiers/", {"value": "040 123 4567"}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["value"] == "+358401234567" and answer.json()["verified"] is False
    refused = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "discovery_required"
    assert (
        AuditEvent.objects.filter(action="change", object_type="privacy.privacyrequest", object_id=str(pk))
        .filter(details__identifier_added__isnull=False)
        .exists()
    )


def test_adding_an_identifier_bad_input(dpo_api, isannointi):
    pk = _open(dpo_api, email="maija@example.fi")
    for body in [{}, {"value": ""}, {"value": "not a number"}, {"value": "Maija@Example.fi"}]:
        answer = dpo_api.post(f"{URL}{pk}/identifiers/", body, format="json")
        assert answer.status_code == 400, body
    assert RequestIdentifier.objects.filter(request_id=pk).count() == 1


def test_adding_an_identifier_needs_the_dpo_of_that_controller(api, api_as, agent, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user
    from tests.privacy.factories import make_privacy_request

    request = make_privacy_request(isannointi)
    url = f"{URL}{request.pk}/identifiers/"
    assert api.post(url, {"value": "040 123 4567"}, format="json").status_code == 401
    assert api_as(agent).post(url, {"value": "040 123 4567"}, format="json").status_code == 403
    other = api_as(make_user("dpo-oy", Role.DPO, [retta_oy]))
    assert other.post(url, {"value": "040 123 4567"}, format="json").status_code == 404
    assert request.identifiers.count() == 1


def test_a_closed_request_takes_no_further_identifier(dpo_api, isannointi):
    from privacy.services import request_reject
    from tests.privacy.factories import make_privacy_request

    request = make_privacy_request(isannointi)
    request_reject(request=request, actor=request.created_by, reason="excessive", justification="x")
    answer = dpo_api.post(f"{URL}{request.pk}/identifiers/", {"value": "040 123 4567"}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "request_closed"
