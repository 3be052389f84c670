"""`/api/v1/privacy-requests/`: the DPO opens, checks and rejects requests; nobody else may."""

import pytest

from core.models import AuditEvent
from privacy.models import IdentityMethod, PrivacyRequest
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"


def test_dpo_opens_a_request(dpo_api, isannointi):
    answer = dpo_api.post(
        URL,
        {
            "controller": "retta-isannointi",
            "kind": "access",
            "name": "Maija",
            "email": " Maija@Example.FI ",
            "phone": "040 123 4567",
            "received_at": "2026-03-15T10:00:00+02:00",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["kind"] == "access" and body["status"] == "received"
    assert body["email"] == "maija@example.fi" and body["phone"] == "+358401234567"
    assert body["received_at"].startswith("2026-03-15") and body["due_at"] == "2026-04-15"
    assert body["identity_checked"] is False
    assert AuditEvent.objects.filter(object_type="privacy.privacyrequest", action="create").count() == 1


def test_a_request_needs_an_email_or_phone_and_valid_values(dpo_api, isannointi):
    assert (
        dpo_api.post(URL, {"controller": "retta-isannointi", "kind": "access", "name": "M"}, format="json").status_code
        == 400
    )
    bad = dpo_api.post(
        URL, {"controller": "retta-isannointi", "kind": "access", "email": "not-an-email"}, format="json"
    )
    assert bad.status_code == 400 and "email" in bad.json()
    assert (
        dpo_api.post(
            URL, {"controller": "retta-isannointi", "kind": "nope", "email": "a@b.fi"}, format="json"
        ).status_code
        == 400
    )
    assert not PrivacyRequest.objects.exists()


def test_a_request_opened_from_an_incoming_email(dpo_api, isannointi, subject_records):
    email = subject_records["email"]
    answer = dpo_api.post(
        URL, {"controller": "retta-isannointi", "kind": "erasure", "from_contact": email.pk}, format="json"
    )
    assert answer.status_code == 201, answer.content
    request = PrivacyRequest.objects.get()
    assert request.email == "maija@example.fi" and request.name == "Maija Meikäläinen"
    assert request.received_at == email.occurred_at
    assert (request.source_record_type, request.source_record_id) == ("contacts.contact", email.pk)


def test_a_request_cannot_be_opened_from_the_other_controllers_email(
    dpo_api, api_as, isannointi, retta_oy, subject_records
):
    other = subject_records["other_controller"]
    answer = dpo_api.post(
        URL, {"controller": "retta-isannointi", "kind": "access", "from_contact": other.pk}, format="json"
    )
    assert answer.status_code == 400


def test_a_request_for_a_controller_not_granted_is_refused(api_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    answer = api_as(dpo_oy).post(
        URL, {"controller": "retta-isannointi", "kind": "access", "email": "a@b.fi"}, format="json"
    )
    assert answer.status_code == 400


def test_list_and_detail(dpo_api, isannointi):
    request = make_privacy_request(isannointi)
    listing = dpo_api.get(URL)
    assert listing.status_code == 200 and [r["id"] for r in listing.json()["results"]] == [request.pk]
    detail = dpo_api.get(f"{URL}{request.pk}/")
    assert detail.status_code == 200 and detail.json()["name"] == "Maija Meikäläinen"


def test_unauthenticated_is_401(api, isannointi):
    request = make_privacy_request(isannointi)
    assert api.get(URL).status_code == 401
    assert api.post(f"{URL}{request.pk}/verify-identity/", {"method": "email_on_file"}).status_code == 401


@pytest.mark.parametrize("persona", ["agent", "colleague", "admin_user", "integration"])
def test_other_roles_are_403(api_as, isannointi, persona, request):
    user = request.getfixturevalue(persona)
    privacy_request = make_privacy_request(isannointi)
    client = api_as(user)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{privacy_request.pk}/").status_code == 403
    assert client.post(f"{URL}{privacy_request.pk}/execute/", {}, format="json").status_code == 403


def test_the_other_controllers_request_is_404(api_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    request = make_privacy_request(isannointi, verified=True)
    client = api_as(make_user("dpo-oy", Role.DPO, [retta_oy]))
    for suffix in ["", "matches/", "export/"]:
        assert client.get(f"{URL}{request.pk}/{suffix}").status_code == 404
    for suffix in ["verify-identity/", "execute/", "export/", "extend/", "reject/", "matches/"]:
        assert client.post(f"{URL}{request.pk}/{suffix}", {}, format="json").status_code == 404
    assert client.get(URL).json()["results"] == []


def test_identity_check_is_recorded_with_method_who_and_when(dpo_api, dpo, isannointi):
    request = make_privacy_request(isannointi)
    answer = dpo_api.post(
        f"{URL}{request.pk}/verify-identity/", {"method": "callback_on_file", "note": "soitettu"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    request.refresh_from_db()
    assert request.status == "verified" and request.identity_method == "callback_on_file"
    assert request.identity_verified_by == dpo and request.identity_verified_at is not None
    again = dpo_api.post(f"{URL}{request.pk}/verify-identity/", {"method": "callback_on_file"}, format="json")
    assert again.status_code == 409


def test_identity_check_bad_input(dpo_api, isannointi):
    request = make_privacy_request(isannointi)
    url = f"{URL}{request.pk}/verify-identity/"
    assert dpo_api.post(url, {"method": "personal_identity_code"}, format="json").status_code == 400
    other = dpo_api.post(url, {"method": "other"}, format="json")
    assert other.status_code == 400 and "note" in other.json()
    request.refresh_from_db()
    assert request.status == "received" and request.identity_verified_at is None


def test_identity_methods_never_ask_for_a_personal_identity_code():
    labels = " ".join(str(label).lower() for label in IdentityMethod.labels)
    assert "identity code" not in labels and "henkilötunnus" not in labels
    assert set(IdentityMethod.values) == {
        "email_on_file",
        "callback_on_file",
        "strong_electronic",
        "document_seen",
        "other",
    }


@pytest.mark.parametrize("kind", ["access", "portability", "erasure", "rectification", "restriction", "objection"])
def test_nothing_is_executed_or_exported_before_the_identity_check(dpo_api, isannointi, subject_records, kind):
    request = make_privacy_request(isannointi, kind=kind)
    for method, suffix in [("post", "execute/"), ("post", "export/"), ("get", "export/")]:
        answer = getattr(dpo_api, method)(f"{URL}{request.pk}/{suffix}", {}, format="json")
        assert answer.status_code == 409, (method, suffix, answer.content)
        assert answer.json()["code"] == "identity_not_checked"
    request.refresh_from_db()
    assert request.status == "received" and not request.exports.exists() and request.execution_report == {}


def test_reject_with_reason_gives_a_letter_naming_the_ombudsman(dpo_api, isannointi):
    request = make_privacy_request(isannointi)
    url = f"{URL}{request.pk}/reject/"
    assert dpo_api.post(url, {"reason": "excessive"}, format="json").status_code == 400
    assert dpo_api.post(url, {"reason": "whatever", "justification": "x"}, format="json").status_code == 400
    answer = dpo_api.post(
        url, {"reason": "manifestly_unfounded", "justification": "Sama pyyntö viidettä kertaa"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["request"]["status"] == "rejected"
    letter = answer.json()["letter"]
    assert "tietosuojavaltuutettu" in letter and "tietosuoja.fi" in letter
    assert "Sama pyyntö viidettä kertaa" in letter
    assert dpo_api.post(url, {"reason": "excessive", "justification": "x"}, format="json").status_code == 409
    assert (
        dpo_api.post(f"{URL}{request.pk}/verify-identity/", {"method": "email_on_file"}, format="json").status_code
        == 409
    )


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_rejection_letter_in_the_subjects_language(isannointi, dpo, language):
    from privacy.services import request_reject

    request = make_privacy_request(isannointi, language=language)
    _request, letter = request_reject(request=request, actor=dpo, reason="excessive", justification="x")
    assert letter.language == language
    assert "tietosuoja.fi" in letter.body


def test_list_filters_by_controller_kind_and_status(dpo_api, isannointi, retta_oy):
    access = make_privacy_request(isannointi)
    erasure = make_privacy_request(retta_oy, kind="erasure")
    ids = lambda **query: [r["id"] for r in dpo_api.get(URL, query).json()["results"]]  # noqa: E731
    assert ids(kind="erasure") == [erasure.pk]
    assert ids(controller="retta-isannointi") == [access.pk]
    assert ids(status="completed") == []
