"""POST|GET /api/v1/contacts/{id}/recording: audio only, size-limited, streamed with HTTP
ranges so the player can seek, every play audited (P2, P9)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.api_recording import byte_range
from contacts.models import CallRecording
from core.models import AuditEvent
from tests.contacts.factories import make_call_recording, wav_bytes
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


def url(contact_id: int) -> str:
    return f"/api/v1/contacts/{contact_id}/recording"


def streamed(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_an_agent_uploads_a_recording_checked_as_audio(api_as, agent, isannointi):
    contact = make_contact(isannointi, channel="call")
    audio = wav_bytes(50)
    response = api_as(agent).post(url(contact.pk), {"file": SimpleUploadedFile("x", audio), "duration_seconds": 12})
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "audio/wav" and response.json()["size_bytes"] == len(audio)
    recording = CallRecording.objects.get(contact=contact)
    assert recording.file.read() == audio and recording.duration_seconds == 12
    assert AuditEvent.objects.filter(action="create", object_type="contacts.callrecording", actor=agent).exists()


def test_a_new_upload_replaces_the_old_recording_and_its_file(api_as, agent, isannointi):
    old = make_call_recording(isannointi)
    old_name = old.file.name
    with pytest.MonkeyPatch.context() as patch:
        # on_commit callbacks run at once here, as after a real commit.
        patch.setattr("django.db.transaction.on_commit", lambda callback, **kw: callback())
        response = api_as(agent).post(url(old.contact_id), {"file": SimpleUploadedFile("x", wav_bytes(7))})
    assert response.status_code == 201
    assert CallRecording.objects.filter(contact=old.contact).count() == 1
    assert not default_storage.exists(old_name)


def test_a_file_that_is_not_audio_is_415(api_as, agent, isannointi):
    contact = make_contact(isannointi, channel="call")
    fake = SimpleUploadedFile("song.mp3", b"%PDF-1.4 not audio", "audio/mpeg")
    assert api_as(agent).post(url(contact.pk), {"file": fake}).status_code == 415
    assert not CallRecording.objects.exists()


def test_a_recording_over_the_limit_is_413(api_as, agent, isannointi, settings):
    settings.RECORDING_MAX_BYTES = 60
    contact = make_contact(isannointi, channel="call")
    assert api_as(agent).post(url(contact.pk), {"file": SimpleUploadedFile("a.wav", wav_bytes(50))}).status_code == 413
    assert not CallRecording.objects.exists()


def test_no_file_or_not_a_call_is_400(api_as, agent, isannointi):
    call = make_contact(isannointi, channel="call")
    chat = make_contact(isannointi, channel="chat")
    missing = api_as(agent).post(url(call.pk), {})
    assert missing.status_code == 400 and "file" in missing.json()
    not_call = api_as(agent).post(url(chat.pk), {"file": SimpleUploadedFile("a.wav", wav_bytes(5))})
    assert not_call.status_code == 400 and "file" in not_call.json()


def test_the_whole_recording_streams_with_accept_ranges_and_the_play_is_audited(api_as, agent, isannointi):
    recording = make_call_recording(isannointi)
    response = api_as(agent).get(url(recording.contact_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav" and response["Accept-Ranges"] == "bytes"
    assert streamed(response) == recording.file.open("rb").read()
    assert int(response["Content-Length"]) == recording.size_bytes
    event = AuditEvent.objects.get(action="play")
    assert event.actor == agent and event.object_id == str(recording.pk) and event.purpose == "customer_service"


def test_a_range_request_answers_206_so_the_player_can_seek(api_as, agent, isannointi):
    content = wav_bytes(100)
    recording = make_call_recording(isannointi, content=content)
    client = api_as(agent)
    part = client.get(url(recording.contact_id), HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and streamed(part) == content[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(content)}" and part["Content-Length"] == "10"
    tail = client.get(url(recording.contact_id), HTTP_RANGE="bytes=-5")
    assert tail.status_code == 206 and streamed(tail) == content[-5:]
    open_ended = client.get(url(recording.contact_id), HTTP_RANGE="bytes=200-")
    assert open_ended.status_code == 206 and streamed(open_ended) == content[200:]
    outside = client.get(url(recording.contact_id), HTTP_RANGE=f"bytes={len(content)}-")
    assert outside.status_code == 416 and outside["Content-Range"] == f"bytes */{len(content)}"
    assert AuditEvent.objects.filter(action="play").count() == 3


def test_byte_range_parsing():
    assert byte_range("", 100) is None
    assert byte_range("bytes=0-", 100) == (0, 99)
    assert byte_range("bytes=5-500", 100) == (5, 99)
    assert byte_range("bytes=-500", 100) == (0, 99)
    assert byte_range("bytes=1-2,5-6", 100) is None  # several ranges: the whole file
    assert byte_range("items=1-2", 100) is None
    for unsatisfiable in ("bytes=100-", "bytes=9-3", "bytes=-0"):
        with pytest.raises(ValueError):
            byte_range(unsatisfiable, 100)


def test_agents_play_with_their_browser_session(web_as, agent, isannointi):
    recording = make_call_recording(isannointi)
    response = web_as(agent).get(url(recording.contact_id), HTTP_RANGE="bytes=0-")
    assert response.status_code == 206


@pytest.mark.parametrize(("persona", "purpose"), [("colleague", "complaint_handling"), ("dpo", "data_subject_request")])
def test_complaint_handlers_and_the_dpo_may_play(web_as, request, isannointi, persona, purpose):
    recording = make_call_recording(isannointi)
    user = request.getfixturevalue(persona)
    assert web_as(user).get(url(recording.contact_id)).status_code == 200
    assert AuditEvent.objects.get(action="play").purpose == purpose


def test_only_agents_upload(api_as, colleague, dpo, isannointi):
    contact = make_contact(isannointi, channel="call")
    for user in (colleague, dpo):
        response = api_as(user).post(url(contact.pk), {"file": SimpleUploadedFile("a.wav", wav_bytes(5))})
        assert response.status_code == 403


def test_administrators_and_integrations_may_not_play(api_as, admin_user, integration, isannointi):
    recording = make_call_recording(isannointi)
    assert api_as(admin_user).get(url(recording.contact_id)).status_code == 403
    assert api_as(integration).get(url(recording.contact_id)).status_code == 403


def test_without_credentials_401(api, isannointi):
    recording = make_call_recording(isannointi)
    assert api.get(url(recording.contact_id)).status_code == 401


def test_the_other_controllers_recording_is_404(api_as, outsider, isannointi):
    recording = make_call_recording(isannointi)
    client = api_as(outsider)
    assert client.get(url(recording.contact_id)).status_code == 404
    upload = client.post(url(recording.contact_id), {"file": SimpleUploadedFile("a.wav", wav_bytes(5))})
    assert upload.status_code == 404
    assert not AuditEvent.objects.filter(action="play").exists()


def test_a_contact_without_recording_is_404(api_as, agent, isannointi):
    contact = make_contact(isannointi, channel="call")
    assert api_as(agent).get(url(contact.pk)).status_code == 404
    assert api_as(agent).get(url(999999)).status_code == 404
