"""No execution without discovery: the subject's records are searched and the DPO has reviewed
what was found before any copy, erasure or change; an access request never completes with an
empty copy while records match."""

import pytest

from contacts.models import Contact
from privacy.discovery import matches_review, request_discover
from privacy.models import PrivacyRequest
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"


def _unchanged(request):
    request.refresh_from_db()
    return request.is_open and not request.letters.exists() and not request.exports.exists()


@pytest.mark.parametrize("kind", ["access", "portability", "erasure", "restriction", "objection"])
def test_execute_before_the_records_are_searched_is_409_discovery_required(dpo_api, isannointi, subject_records, kind):
    request = make_privacy_request(isannointi, kind=kind, verified=True)
    answer = dpo_api.post(f"{URL}{request.pk}/execute/", {"basis": "accuracy_contested"}, format="json")
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "discovery_required"
    assert _unchanged(request)
    assert Contact.all_controllers.filter(pk=subject_records["email"].pk, processing_objected=False).exists()


@pytest.mark.parametrize("kind", ["access", "erasure"])
def test_execute_before_the_dpo_reviewed_the_matches_is_409(dpo_api, dpo, isannointi, subject_records, kind):
    request = make_privacy_request(isannointi, kind=kind, verified=True)
    request_discover(request=request, actor=dpo)
    answer = dpo_api.post(f"{URL}{request.pk}/execute/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "discovery_required"
    assert _unchanged(request)
    assert Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()


def test_a_new_search_after_the_review_needs_a_new_review(dpo_api, dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, kind="erasure", verified=True)
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    request_discover(request=PrivacyRequest.objects.get(pk=request.pk), actor=dpo)
    answer = dpo_api.post(f"{URL}{request.pk}/execute/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "discovery_required"
    dpo_api.post(f"{URL}{request.pk}/matches/", {}, format="json")
    assert dpo_api.post(f"{URL}{request.pk}/execute/", {}, format="json").status_code == 200


def test_a_copy_cannot_be_built_before_the_records_are_searched(dpo_api, isannointi, subject_records, eager_tasks):
    request = make_privacy_request(isannointi, verified=True)
    answer = dpo_api.post(f"{URL}{request.pk}/export/")
    assert answer.status_code == 409 and answer.json()["code"] == "discovery_required"
    assert _unchanged(request)


def test_an_access_request_never_completes_with_an_empty_copy_while_records_match(
    dpo_api, isannointi, subject_records, eager_tasks
):
    """Everything found came through a phone number not yet verified: not "no data held"."""
    request = make_privacy_request(isannointi, email="", phone="040 123 4567")
    dpo_api.post(f"{URL}{request.pk}/verify-identity/", {"method": "strong_electronic"}, format="json")
    dpo_api.get(f"{URL}{request.pk}/matches/")
    dpo_api.post(f"{URL}{request.pk}/matches/", {}, format="json")
    answer = dpo_api.post(f"{URL}{request.pk}/execute/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "unverified_identifiers"
    export = dpo_api.post(f"{URL}{request.pk}/export/")
    assert export.status_code == 409 and export.json()["code"] == "nothing_to_export"
    assert _unchanged(request)
    # Verified by a call-back (and reviewed again), the copy holds the call.
    dpo_api.post(f"{URL}{request.pk}/verify-identity/", {"method": "callback_on_file"}, format="json")
    dpo_api.post(f"{URL}{request.pk}/matches/", {}, format="json")
    assert dpo_api.post(f"{URL}{request.pk}/execute/", {}, format="json").status_code == 202
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.execution_report["records"]["contacts.contact"] >= 1
    assert not request.letters.filter(kind="no_data").exists()


def test_nothing_found_at_all_still_gets_the_no_data_letter(dpo_api, dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, email="nobody@example.fi", name="", verified=True)
    request_discover(request=request, actor=dpo)
    answer = dpo_api.post(f"{URL}{request.pk}/execute/", {}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "completed"
    assert PrivacyRequest.objects.get(pk=request.pk).letters.filter(kind="no_data").exists()


def test_the_page_says_why_execution_waits(web_as, dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, kind="erasure", verified=True)
    client = web_as(dpo)
    answer = client.post(f"/privacy/{request.pk}/execute/", {"confirm": "1"}, follow=True)
    assert answer.status_code == 200
    assert 'class="message error"' in answer.content.decode()
    assert Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()
