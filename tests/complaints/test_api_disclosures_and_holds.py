"""/api/v1/disclosures/ and /api/v1/legal-holds/: the disclosure log and the DPO's holds."""

from __future__ import annotations

import pytest

from complaints.holds import is_held
from complaints.models import Disclosure, LegalHold
from contacts.services import contact_record
from core.models import AuditEvent
from tests.complaints.factories import make_complaint, make_contact, make_hold, make_task
from tests.factories import make_disclosure

pytestmark = pytest.mark.django_db
DISCLOSURES = "/api/v1/disclosures/"
HOLDS = "/api/v1/legal-holds/"


def _disclosure(**fields):  # type: ignore[no-untyped-def]
    return {
        "recipient_type": "insurer",
        "recipient_name": "Vakuutusyhtiö Oy",
        "legal_basis": "Vahingonkorvausvaatimuksen käsittely",
        "description": "Puhelun muistiinpanot",
        **fields,
    }


# -- disclosures -------------------------------------------------------------------------------


def test_agent_records_a_disclosure_which_is_an_audit_event(api_as, agent, isannointi):
    complaint = make_complaint(isannointi)
    contact = make_contact(isannointi)
    answer = api_as(agent).post(DISCLOSURES, _disclosure(complaint=complaint.pk, contacts=[contact.pk]), format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["disclosed_by"] == "agent" and body["complaint"] == complaint.pk and body["contacts"] == [contact.pk]
    event = AuditEvent.objects.get(action="disclose")
    assert event.object_id == str(body["id"]) and event.details["recipient_type"] == "insurer"


@pytest.mark.parametrize("recipient_type", ["group_company", "insurer", "legal_counsel", "authority", "processor"])
def test_every_recipient_type_can_be_logged(api_as, colleague, recipient_type):
    answer = api_as(colleague).post(DISCLOSURES, _disclosure(recipient_type=recipient_type), format="json")
    assert answer.status_code == 201


def test_disclosure_bad_input_is_400(api_as, agent, retta_oy):
    client = api_as(agent)
    assert client.post(DISCLOSURES, _disclosure(recipient_type="newspaper"), format="json").status_code == 400
    assert client.post(DISCLOSURES, _disclosure(recipient_name=""), format="json").status_code == 400
    foreign = make_complaint(retta_oy)
    assert client.post(DISCLOSURES, _disclosure(complaint=foreign.pk), format="json").status_code == 400
    future = client.post(DISCLOSURES, _disclosure(disclosed_at="2999-01-01T00:00:00+02:00"), format="json")
    assert future.status_code == 400
    assert not Disclosure.all_controllers.exists()


def test_disclosure_log_is_read_by_handlers_not_agents(api_as, agent, colleague, isannointi, retta_oy):
    mine = make_disclosure(isannointi)
    make_disclosure(retta_oy)
    assert api_as(agent).get(DISCLOSURES).status_code == 403
    results = api_as(colleague).get(DISCLOSURES).json()["results"]
    assert [r["id"] for r in results] == [mine.pk]
    filtered = api_as(colleague).get(DISCLOSURES, {"recipient_type": "authority"}).json()["results"]
    assert filtered == []


def test_disclosures_unauthenticated_is_401(api):
    assert api.get(DISCLOSURES).status_code == 401


# -- legal holds -------------------------------------------------------------------------------


def _hold(**fields):  # type: ignore[no-untyped-def]
    return {"controller": "retta-isannointi", "matter": "Vahingonkorvaus", "reason": "Kanne vireillä", **fields}


def test_dpo_places_a_hold_of_each_scope_kind(api_as, dpo, isannointi):
    client = api_as(dpo)
    complaint = make_complaint(isannointi)
    task = make_task(isannointi)
    contact = make_contact(isannointi)
    for body in (
        _hold(scope="complaint", complaint=complaint.pk),
        _hold(scope="task", task=task.pk),
        _hold(scope="contacts", contacts=[contact.pk]),
        _hold(scope="subject", emails=["Maija@Example.fi"], phones=["040 123 4567"]),
    ):
        answer = client.post(HOLDS, body, format="json")
        assert answer.status_code == 201, answer.json()
        assert answer.json()["active"] is True and answer.json()["placed_by"] == "dpo"
    subject = LegalHold.all_controllers.get(scope="subject")
    assert subject.subject_emails == ["maija@example.fi"] and subject.subject_phones == ["+358401234567"]
    assert is_held(complaint) and is_held(task) and is_held(contact)
    assert AuditEvent.objects.filter(action="place_hold").count() == 4
    assert len(client.get(HOLDS).json()["results"]) == 4


def test_subject_hold_placed_by_api_covers_a_contact_created_later(api_as, dpo, isannointi):
    api_as(dpo).post(HOLDS, _hold(scope="subject", emails=["maija@example.fi"]), format="json")
    from django.utils import timezone

    later = contact_record(controller=isannointi, channel="email", occurred_at=timezone.now(), email="MAIJA@example.fi")
    assert is_held(later)


def test_hold_bad_input_is_400_and_nothing_is_written(api_as, dpo, isannointi, retta_oy):
    client = api_as(dpo)
    complaint = make_complaint(isannointi)
    foreign_complaint = make_complaint(retta_oy)
    cases = [
        _hold(scope="complaint", complaint=complaint.pk, reason=""),
        _hold(scope="complaint", complaint=complaint.pk, matter="  "),
        _hold(scope="complaint"),
        _hold(scope="everything"),
        _hold(scope="subject"),
        _hold(scope="subject", emails=["not an email"]),
        _hold(scope="subject", phones=["12"]),
        _hold(scope="contacts", contacts=[]),
        # the scope object belongs to the other controller than the hold
        _hold(scope="complaint", complaint=foreign_complaint.pk),
        _hold(scope="complaint", complaint=999999),
    ]
    for body in cases:
        answer = client.post(HOLDS, body, format="json")
        assert answer.status_code == 400, (body, answer.status_code)
    assert not LegalHold.all_controllers.exists()


def test_a_scope_object_outside_the_users_controllers_is_400(api_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    complaint = make_complaint(isannointi)
    answer = api_as(dpo_oy).post(
        HOLDS, _hold(controller="retta-oy", scope="complaint", complaint=complaint.pk), format="json"
    )
    assert answer.status_code == 400 and "complaint" in answer.json()


def test_only_the_dpo_places_reads_and_releases_holds(api_as, agent, colleague, admin_user, isannointi):
    hold = make_hold(isannointi)
    for user in (agent, colleague, admin_user):
        client = api_as(user)
        assert client.get(HOLDS).status_code == 403
        assert client.post(HOLDS, _hold(scope="subject", emails=["a@example.fi"]), format="json").status_code == 403
        assert client.post(f"{HOLDS}{hold.pk}/release", {"reason": "x"}, format="json").status_code == 403
    assert LegalHold.all_controllers.count() == 1


def test_holds_unauthenticated_is_401(api):
    assert api.get(HOLDS).status_code == 401


def test_release_a_hold_once(api_as, dpo, isannointi):
    contact = make_contact(isannointi)
    hold = make_hold(isannointi, scope="contacts", contacts=[contact], subject_emails=[])
    client = api_as(dpo)
    url = f"{HOLDS}{hold.pk}/release"
    assert client.post(url, {"reason": ""}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    assert is_held(contact)
    answer = client.post(url, {"reason": "Asia sovittu"}, format="json")
    assert answer.status_code == 200 and answer.json()["active"] is False and answer.json()["released_by"] == "dpo"
    assert not is_held(contact)
    again = client.post(url, {"reason": "Uudelleen"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_released"
    assert AuditEvent.objects.filter(action="release_hold").count() == 1
    active = client.get(HOLDS, {"active": "true"}).json()["results"]
    assert active == []


def test_other_controllers_hold_is_404_to_release(api_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    hold = make_hold(isannointi)
    assert api_as(dpo_oy).post(f"{HOLDS}{hold.pk}/release", {"reason": "x"}, format="json").status_code == 404
    assert api_as(dpo_oy).get(HOLDS).json()["results"] == []
