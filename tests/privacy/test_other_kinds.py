"""Rectification (art. 16), restriction (art. 18), objection (art. 21) and art. 19 notices."""

import pytest

from contacts.models import Contact, Customer
from core.models import AuditEvent
from privacy.execution import notification_update, request_restriction_lift
from privacy.letters import letter_generate
from privacy.models import PrivacyRequest, RecipientNotification
from tests.privacy.factories import api_verify_and_review

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"


def _verified(dpo_api, kind, **subject):
    body = {
        "controller": "retta-isannointi",
        "kind": kind,
        "email": "maija@example.fi",
        "phone": "040 123 4567",
        **subject,
    }
    pk = dpo_api.post(URL, body, format="json").json()["id"]
    dpo_api.post(f"{URL}{pk}/verify-identity/", {"method": "strong_electronic"}, format="json")
    api_verify_and_review(dpo_api, pk)
    return pk


def test_rectification_changes_matched_records_with_a_reason(dpo_api, isannointi, subject_records, recipients_provider):
    recipients_provider[("contacts.contact", subject_records["call"].pk)] = ["Vakuutusyhtiö Turva"]
    pk = _verified(dpo_api, "rectification")
    call = subject_records["call"]
    change = {"record_type": "contacts.contact", "record_id": call.pk, "field": "name", "value": "Maija Virtanen"}
    assert dpo_api.post(f"{URL}{pk}/execute/", {"changes": [change]}, format="json").status_code == 400
    stranger = {**change, "record_id": subject_records["stranger"].pk}
    assert dpo_api.post(f"{URL}{pk}/execute/", {"changes": [stranger], "reason": "x"}, format="json").status_code == 400
    bad_field = {**change, "field": "channel"}
    assert (
        dpo_api.post(f"{URL}{pk}/execute/", {"changes": [bad_field], "reason": "x"}, format="json").status_code == 400
    )
    call.refresh_from_db()
    assert call.name == "Maija Meikäläinen"
    email_change = {"record_type": "contacts.contact", "record_id": call.pk, "field": "email", "value": "Maija@Uusi.fi"}
    answer = dpo_api.post(
        f"{URL}{pk}/execute/", {"changes": [change, email_change], "reason": "Nimi muuttunut"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    call.refresh_from_db()
    assert call.name == "Maija Virtanen" and call.email_normalized == "maija@uusi.fi"
    request = PrivacyRequest.objects.get(pk=pk)
    assert request.status == "completed" and request.rectification_reason == "Nimi muuttunut"
    assert AuditEvent.objects.filter(action="rectify", object_id=str(call.pk)).count() == 2
    assert request.notifications.get().recipient_name == "Vakuutusyhtiö Turva"
    assert "Nimi muuttunut" in request.letters.get(kind="rectification").body


def test_restriction_flags_records_and_lifting_needs_the_notice_letter(dpo_api, dpo, isannointi, subject_records):
    pk = _verified(dpo_api, "restriction")
    assert dpo_api.post(f"{URL}{pk}/execute/", {}, format="json").status_code == 400
    answer = dpo_api.post(f"{URL}{pk}/execute/", {"basis": "accuracy_contested"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["restriction_active"] is True and answer.json()["restriction_basis"] == "accuracy_contested"
    flagged = set(Contact.all_controllers.filter(restricted=True).values_list("pk", flat=True))
    assert flagged == {subject_records[k].pk for k in ["call", "email", "chat"]}
    # The subject's customer records too: their name, addresses and numbers (art. 18).
    customers = {subject_records[k].customer_id for k in ["call", "email", "chat"]} - {None}
    assert customers and set(Customer.all_controllers.filter(restricted=True).values_list("pk", flat=True)) == customers
    request = PrivacyRequest.objects.get(pk=pk)
    from core.errors import Conflict

    with pytest.raises(Conflict):
        request_restriction_lift(request=request, actor=dpo)
    assert Contact.all_controllers.filter(restricted=True).count() == 3
    letter_generate(request=request, kind="restriction_lift", actor=dpo)
    request_restriction_lift(request=request, actor=dpo)
    assert not Contact.all_controllers.filter(restricted=True).exists()
    assert not Customer.all_controllers.filter(restricted=True).exists()
    assert AuditEvent.objects.filter(action="lift_restriction", object_id=str(pk)).exists()


def test_objection_switches_off_legitimate_interest_uses(dpo_api, isannointi, subject_records):
    pk = _verified(dpo_api, "objection")
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200
    objected = set(Contact.all_controllers.filter(processing_objected=True).values_list("pk", flat=True))
    assert objected == {subject_records[k].pk for k in ["call", "email", "chat"]}
    assert subject_records["other_controller"].pk not in objected


def test_objection_with_compelling_grounds_is_recorded_and_stated(dpo_api, isannointi, subject_records):
    pk = _verified(dpo_api, "objection")
    answer = dpo_api.post(f"{URL}{pk}/execute/", {"compelling_grounds": "Vireillä oleva oikeudenkäynti"}, format="json")
    assert answer.status_code == 200
    assert not Contact.all_controllers.filter(processing_objected=True).exists()
    assert "Vireillä oleva oikeudenkäynti" in PrivacyRequest.objects.get(pk=pk).letters.get(kind="objection").body


def test_a_closed_request_cannot_be_executed_again(dpo_api, isannointi, subject_records):
    pk = _verified(dpo_api, "objection")
    dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "request_closed"


def test_notification_items_are_tracked_with_reasons(dpo, isannointi):
    from tests.privacy.factories import make_privacy_request

    request = make_privacy_request(isannointi)
    item = RecipientNotification.all_controllers.create(
        request=request, controller=isannointi, recipient_name="Turva", record_type="contacts.contact", record_ids=[1]
    )
    from privacy.services import InvalidRequest

    with pytest.raises(InvalidRequest):
        notification_update(notification=item, actor=dpo, status="impossible")
    notification_update(notification=item, actor=dpo, status="disproportionate", reason="Yhtiö lopettanut")
    item.refresh_from_db()
    assert item.status == "disproportionate" and item.updated_by == dpo
    notification_update(notification=item, actor=dpo, status="sent")
