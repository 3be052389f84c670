"""Downloads answer the client that asks for the type the schema promises: the access copy with
`Accept: application/zip`, a recording with `Accept: audio/…`; errors stay JSON and say so."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.contacts.factories import make_call_recording
from tests.privacy.factories import make_answered_privacy_request, make_privacy_request

pytestmark = pytest.mark.django_db


def _export(pk: int) -> str:
    return f"/api/v1/privacy-requests/{pk}/export"


@pytest.mark.parametrize("accept", ["application/zip", "application/json", "*/*", "application/zip, */*;q=0.1"])
def test_the_copy_is_downloaded_whatever_the_client_accepts_of_the_schema(api_as, dpo, isannointi, accept):
    request = make_answered_privacy_request(isannointi)
    answer = api_as(dpo).get(_export(request.pk), HTTP_ACCEPT=accept)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content))).namelist()


def test_a_copy_not_yet_built_is_a_409_in_json_to_a_client_asking_for_a_zip(api_as, dpo, isannointi):
    request = make_privacy_request(isannointi, verified=True)
    answer = api_as(dpo).get(_export(request.pk), HTTP_ACCEPT="application/zip")
    assert answer.status_code == 409
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "export_not_ready"


def test_asking_for_a_zip_without_credentials_is_a_401_in_json(api, isannointi):
    request = make_privacy_request(isannointi)
    answer = api.get(_export(request.pk), HTTP_ACCEPT="application/zip")
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/json"


def test_asking_for_a_zip_in_the_wrong_role_is_a_403(api_as, agent, isannointi):
    request = make_answered_privacy_request(isannointi)
    assert api_as(agent).get(_export(request.pk), HTTP_ACCEPT="application/zip").status_code == 403


def test_asking_for_the_other_controllers_copy_is_a_404(api_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    request = make_answered_privacy_request(isannointi)
    other_dpo = make_user("dpo-oy", Role.DPO, [retta_oy])
    assert api_as(other_dpo).get(_export(request.pk), HTTP_ACCEPT="application/zip").status_code == 404


def test_starting_a_copy_still_answers_json(api_as, dpo, isannointi):
    from tests.factories import make_contact
    from tests.privacy.factories import api_verify_and_review

    make_contact(isannointi, email="maija@example.fi")
    request = make_privacy_request(isannointi)
    api_verify_and_review(api_as(dpo), request.pk)
    answer = api_as(dpo).post(_export(request.pk), HTTP_ACCEPT="application/json")
    assert answer.status_code == 202
    assert answer["Content-Type"] == "application/json"


def test_other_endpoints_still_refuse_an_accept_they_cannot_answer(api_as, dpo):
    assert api_as(dpo).get("/api/v1/privacy-requests/", HTTP_ACCEPT="application/zip").status_code == 406


@pytest.mark.parametrize("accept", ["audio/wav", "audio/*", "audio/mpeg", "*/*"])
def test_a_recording_is_played_to_a_client_asking_for_audio(api_as, agent, isannointi, accept):
    recording = make_call_recording(isannointi)
    answer = api_as(agent).get(f"/api/v1/contacts/{recording.contact_id}/recording", HTTP_ACCEPT=accept)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "audio/wav"


def test_a_missing_recording_is_a_404_in_json_to_a_client_asking_for_audio(api_as, agent, isannointi):
    from tests.factories import make_contact

    contact = make_contact(isannointi)
    answer = api_as(agent).get(f"/api/v1/contacts/{contact.pk}/recording", HTTP_ACCEPT="audio/mpeg")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
