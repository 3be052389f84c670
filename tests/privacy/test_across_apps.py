"""The policy's promises where the apps meet: legal holds and open requests keep records from the
purge and from erasure, and the disclosure log names the recipients art. 19 notices go to."""

import datetime as dt

import pytest
from django.utils import timezone

from complaints.services import disclosure_record, legal_hold_place
from contacts.models import Contact
from contacts.services import contact_record
from core.personal_data import registry
from privacy.models import PrivacyRequest
from retention.purge import purge
from tests.privacy.factories import api_verify_and_review

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"


def _verified(dpo_api, kind, **subject):
    body = {"controller": "retta-isannointi", "kind": kind, **subject}
    pk = dpo_api.post(URL, body, format="json").json()["id"]
    api_verify_and_review(dpo_api, pk)
    return pk


def test_erasure_keeps_a_legally_held_contact_and_reports_the_hold(dpo_api, dpo, isannointi, subject_records):
    held = subject_records["email"]
    legal_hold_place(
        controller=isannointi,
        actor=dpo,
        matter="Vesivahinko 2026",
        reason="Possible claim",
        scope="contacts",
        contacts=[held],
    )
    pk = _verified(dpo_api, "erasure", email="maija@example.fi", phone="040 123 4567")
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200, answer.content
    report = answer.json()["execution_report"]
    assert report["kept"]["contacts.contact"] == {str(held.pk): ["legal_hold"]}
    assert Contact.all_controllers.filter(pk=held.pk).exists()
    assert not Contact.all_controllers.filter(pk=subject_records["call"].pk).exists()
    assert Contact.all_controllers.filter(pk=subject_records["other_controller"].pk).exists()


def test_the_disclosure_log_names_the_recipients_of_a_record(dpo, agent, isannointi, subject_records):
    contact = subject_records["call"]
    disclosure_record(
        controller=isannointi,
        actor=agent,
        recipient_type="insurer",
        recipient_name="Vakuutusyhtiö Turva",
        legal_basis="Legal claims",
        description="The call about the leak",
        contacts=[contact],
    )
    declaration = registry.get("contacts.contact")
    recipients = registry.recipients_for(declaration, [contact.pk, subject_records["email"].pk])
    assert [(r.name, r.record_id) for r in recipients] == [("Vakuutusyhtiö Turva", contact.pk)]


def test_rectification_notifies_the_recipient_in_the_disclosure_log(dpo_api, agent, isannointi, subject_records):
    contact = subject_records["call"]
    disclosure_record(
        controller=isannointi,
        actor=agent,
        recipient_type="legal_counsel",
        recipient_name="Asianajotoimisto Laki",
        legal_basis="Legal claims",
        description="Call notes",
        contacts=[contact],
    )
    pk = _verified(dpo_api, "rectification", email="maija@example.fi", phone="040 123 4567")
    change = {"record_type": "contacts.contact", "record_id": contact.pk, "field": "name", "value": "Maija Virtanen"}
    answer = dpo_api.post(f"{URL}{pk}/execute/", {"changes": [change], "reason": "Name changed"}, format="json")
    assert answer.status_code == 200, answer.content
    notices = PrivacyRequest.objects.get(pk=pk).notifications.all()
    assert [n.recipient_name for n in notices] == ["Asianajotoimisto Laki"]


def test_purge_keeps_held_and_requested_records_and_deletes_the_rest(dpo_api, dpo, isannointi):
    old = timezone.now() - dt.timedelta(days=200)

    def call(phone):
        return contact_record(controller=isannointi, channel="call", occurred_at=old, phone=phone, name="Asiakas")

    held, requested, free = call("040 111 1111"), call("040 222 2222"), call("040 333 3333")
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="Riita", reason="Pending claim", scope="subject", phones=["0401111111"]
    )
    _verified(dpo_api, "access", phone="040 222 2222")
    purge(now=timezone.now())
    remaining = set(Contact.all_controllers.values_list("pk", flat=True))
    assert held.pk in remaining and requested.pk in remaining
    assert free.pk not in remaining
