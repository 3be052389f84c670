"""The DPO lists and filters the audit trail in the UI and the API; nobody else may."""

import pytest

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(agent, isannointi, retta_oy):
    audit_log(
        actor=agent,
        action=AuditAction.VIEW,
        purpose=AuditPurpose.CUSTOMER_SERVICE,
        object_type="contacts.contact",
        object_id=1,
        controller=isannointi,
    )
    audit_log(
        actor=agent,
        action=AuditAction.EXPORT,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        object_type="privacy.privacyrequest",
        object_id=2,
        controller=retta_oy,
    )


def test_dpo_lists_audit_events(api_as, dpo, events):
    response = api_as(dpo).get("/api/v1/audit-events/")
    assert response.status_code == 200
    body = response.json()
    assert {e["action"] for e in body["results"]} == {"view", "export"}
    assert "next" in body


def test_dpo_filters_audit_events(api_as, dpo, events):
    response = api_as(dpo).get("/api/v1/audit-events/", {"action": "export", "controller": "retta-oy"})
    assert [e["object_type"] for e in response.json()["results"]] == ["privacy.privacyrequest"]


def test_audit_api_bad_filter_is_400(api_as, dpo, events):
    response = api_as(dpo).get("/api/v1/audit-events/", {"action": "peek"})
    assert response.status_code == 400
    assert "action" in response.json()


def test_audit_api_unauthenticated_is_401(api, events):
    assert api.get("/api/v1/audit-events/").status_code == 401


@pytest.mark.parametrize("persona", ["agent", "colleague", "admin_user", "integration"])
def test_audit_api_other_roles_are_403(api_as, request, persona, events):
    assert api_as(request.getfixturevalue(persona)).get("/api/v1/audit-events/").status_code == 403


def test_dpo_of_one_controller_sees_only_its_events(api_as, isannointi, retta_oy, events):
    from core.roles import Role
    from tests.factories import make_user

    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    results = api_as(dpo_oy).get("/api/v1/audit-events/").json()["results"]
    assert {e["controller"] for e in results} == {"retta-oy"}


def test_audit_page_for_dpo(web_as, dpo, events):
    response = web_as(dpo).get("/audit/", {"action": "view"})
    assert response.status_code == 200
    assert {event.object_type for event in response.context["page"].object_list} == {"contacts.contact"}
    # Shown by its name, never by its model label.
    assert "<td>Yhteydenotto" in response.content.decode() and "<td>contacts.contact" not in response.content.decode()


def test_audit_page_empty_state(web_as, dpo):
    response = web_as(dpo).get("/audit/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_audit_page_bad_filter_is_shown_not_500(web_as, dpo, events):
    response = web_as(dpo).get("/audit/", {"after": "not-a-date"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_audit_page_agent_is_403(web_as, agent):
    assert web_as(agent).get("/audit/").status_code == 403


def test_audit_page_anonymous_is_sent_to_login(client):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("value", "status"),
    [
        # Python accepts this offset, PostgreSQL does not: it must be turned into UTC first.
        ("1183-06-24T01:13:19.81-20:15", 200),
        ("2026-01-31T23:30:00+23:59", 200),
        ("0001-01-01T00:00:00+01:00", 400),
        ("not-a-date", 400),
    ],
)
def test_date_filters_with_any_offset_answer_200_or_400_never_500(value, status, api_as, dpo):
    response = api_as(dpo).get("/api/v1/audit-events/", {"before": value})
    assert response.status_code == status
    if status == 400:
        assert "before" in response.json()
