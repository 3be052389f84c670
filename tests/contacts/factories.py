"""Records of the contacts app for the IDOR harness and the contacts tests."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from core.models import Controller
from tests.factories import make_contact, object_factory

# The smallest WAV file there is: a RIFF header and no samples.
WAV = (
    b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
    b"\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
)


def wav_bytes(samples: int = 0) -> bytes:
    return WAV + b"\x01\x02" * samples


@object_factory("contacts.callrecording")
def make_call_recording(controller: Controller, **fields: Any) -> Any:
    from contacts.models import CallRecording

    contact = fields.pop("contact", None) or make_contact(controller, channel="call")
    content = fields.pop("content", wav_bytes(100))
    recording = CallRecording(controller=controller, contact=contact, content_type="audio/wav", size_bytes=len(content))
    recording.file.save("recording.wav", ContentFile(content), save=False)
    recording.save()
    return recording
