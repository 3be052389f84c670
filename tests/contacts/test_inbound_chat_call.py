"""POST /api/v1/inbound/chat and /api/v1/inbound/call: chats once per session, calls with or
without a recording (P2)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts.models import CallRecording, ChatMessage, Contact
from tests.contacts.factories import wav_bytes

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/inbound/chat"
CALL = "/api/v1/inbound/call"


def chat_payload(**overrides):  # type: ignore[no-untyped-def]
    payload = {
        "session_id": "web-4711",
        "controller": "retta-isannointi",
        "started_at": "2026-11-25T10:00:00+02:00",
        "visitor": {"name": "Maija Meikäläinen", "email": "Maija@Example.fi", "phone": "040 123 4567"},
        "messages": [
            {"at": "2026-11-25T10:00:05+02:00", "author": "visitor", "text": "Hei, hana vuotaa"},
            {"at": "2026-11-25T10:00:30+02:00", "author": "agent", "text": "Lähetämme huoltomiehen"},
        ],
    }
    payload.update(overrides)
    return payload


def test_a_chat_is_stored_with_its_transcript_and_customer(api_as, integration, isannointi):
    response = api_as(integration).post(CHAT, chat_payload(), format="json")
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["contact"])
    assert contact.channel == "chat" and contact.controller == isannointi
    assert contact.email_normalized == "maija@example.fi" and contact.phone_e164 == "+358401234567"
    assert contact.customer is not None and contact.subject == "Hei, hana vuotaa"
    assert [(m.position, m.author, m.text) for m in contact.chat_messages.all()] == [
        (0, "visitor", "Hei, hana vuotaa"),
        (1, "agent", "Lähetämme huoltomiehen"),
    ]


def test_the_same_session_again_updates_and_never_duplicates(api_as, integration):
    client = api_as(integration)
    first = client.post(CHAT, chat_payload(), format="json").json()
    more = chat_payload(
        visitor={"name": "Maija M.", "email": "", "phone": "+358 40 123 4567"},
        messages=[
            {"at": "2026-11-25T10:00:30+02:00", "author": "agent", "text": "Lähetämme huoltomiehen"},
            {"at": "2026-11-25T10:01:00+02:00", "author": "visitor", "text": "Kiitos"},
        ],
    )
    again = client.post(CHAT, more, format="json")
    assert again.status_code == 200 and again.json()["contact"] == first["contact"]
    contact = Contact.objects.get()
    assert contact.name == "Maija M." and contact.email_normalized == "maija@example.fi"
    assert [m.text for m in contact.chat_messages.all()] == ["Hei, hana vuotaa", "Lähetämme huoltomiehen", "Kiitos"]
    assert client.post(CHAT, more, format="json").status_code == 200
    assert ChatMessage.objects.count() == 3


def test_the_same_session_id_at_the_other_controller_is_another_chat(api_as, integration):
    client = api_as(integration)
    client.post(CHAT, chat_payload(), format="json")
    assert client.post(CHAT, chat_payload(controller="retta-oy"), format="json").status_code == 201
    assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"session_id": ""}, "session_id"),
        ({"controller": "nobody"}, "controller"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"visitor": {"email": "not an email"}}, "visitor"),
        ({"visitor": {"phone": "abc"}}, "visitor"),
        ({"messages": [{"at": "2026-11-25T10:00:00Z", "author": "robot", "text": "x"}]}, "messages"),
        ({"messages": "hello"}, "messages"),
    ],
)
def test_bad_chat_input_is_a_400_field_error(api_as, integration, change, field):
    response = api_as(integration).post(CHAT, chat_payload(**change), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Contact.objects.exists()


def call_payload(**overrides):  # type: ignore[no-untyped-def]
    payload = {
        "controller": "retta-isannointi",
        "started_at": "2026-11-25T09:30:00+02:00",
        "direction": "inbound",
        "phone": "00358 40 1234567",
        "name": "Maija Meikäläinen",
        "duration_seconds": 95,
    }
    payload.update(overrides)
    return payload


def test_a_call_is_stored_as_json(api_as, integration):
    response = api_as(integration).post(CALL, call_payload(), format="json")
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["contact"])
    assert contact.channel == "call" and contact.phone_e164 == "+358401234567" and contact.customer is not None
    assert not CallRecording.objects.exists()


def test_a_call_with_its_recording_as_multipart(api_as, integration):
    audio = wav_bytes(200)
    response = api_as(integration).post(
        CALL, {**call_payload(), "recording": SimpleUploadedFile("x.bin", audio, "application/octet-stream")}
    )
    assert response.status_code == 201, response.content
    recording = CallRecording.objects.get(contact_id=response.json()["contact"])
    assert recording.content_type == "audio/wav" and recording.duration_seconds == 95
    assert recording.size_bytes == len(audio) and recording.file.read() == audio
    assert ".wav" in recording.file.name and "Maija" not in recording.file.name


def test_a_call_recording_that_is_not_audio_is_415_and_nothing_is_stored(api_as, integration):
    fake = SimpleUploadedFile("call.wav", b"<html><script>x</script></html>", "audio/wav")
    response = api_as(integration).post(CALL, {**call_payload(), "recording": fake})
    assert response.status_code == 415
    assert not Contact.objects.exists()


def test_a_call_recording_over_the_limit_is_413(api_as, integration, settings):
    settings.RECORDING_MAX_BYTES = 100
    response = api_as(integration).post(
        CALL, {**call_payload(), "recording": SimpleUploadedFile("a.wav", wav_bytes(100))}
    )
    assert response.status_code == 413
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "not a number"}, "phone"),
        ({"direction": "sideways"}, "direction"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"controller": "retta"}, "controller"),
    ],
)
def test_bad_call_input_is_a_400_field_error(api_as, integration, change, field):
    response = api_as(integration).post(CALL, call_payload(**change), format="json")
    assert response.status_code == 400 and field in response.json()


def test_inbound_chat_and_call_need_credentials_and_the_integration_role(api, api_as, agent, outsider):
    assert api.post(CHAT, chat_payload(), format="json").status_code == 401
    assert api.post(CALL, call_payload(), format="json").status_code == 401
    for user in (agent, outsider):
        assert api_as(user).post(CHAT, chat_payload(), format="json").status_code == 403
        assert api_as(user).post(CALL, call_payload(), format="json").status_code == 403


def test_the_schema_describes_the_inbound_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    email = schema["paths"]["/api/v1/inbound/email"]["post"]
    assert "message/rfc822" in email["requestBody"]["content"]
    assert {"200", "201", "413", "415"} <= set(email["responses"])
    assert "multipart/form-data" in schema["paths"]["/api/v1/inbound/call"]["post"]["requestBody"]["content"]
    assert "/api/v1/inbound/chat" in schema["paths"]
