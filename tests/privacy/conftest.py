"""Fixtures of the privacy tests: a subject with records at both controllers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contacts.models import CallRecording, ChatMessage, EmailAttachment, EmailMessage
from contacts.services import contact_record
from core.personal_data import Recipient, registry

WAV = (
    b"RIFF\x24\x00\x00\x00WAVEfmt "
    + b"\x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00"
    + b"data\x00\x00\x00\x00"
)


@pytest.fixture
def subject_records(isannointi, retta_oy):
    """Maija's call (with a recording), email (with an attachment) and chat at Isännöinti, a
    stranger's contact, and Maija's contact at Retta Oy that must never be seen."""
    now = timezone.now()
    call = contact_record(
        controller=isannointi,
        channel="call",
        occurred_at=now - dt.timedelta(days=3),
        name="Maija Meikäläinen",
        phone="040 123 4567",
        subject="Vuotava hana",
    )
    CallRecording.all_controllers.create(
        controller=isannointi,
        contact=call,
        file=ContentFile(WAV, name="call.wav"),
        content_type="audio/wav",
        size_bytes=len(WAV),
    )
    email = contact_record(
        controller=isannointi,
        channel="email",
        occurred_at=now - dt.timedelta(days=2),
        name="Maija Meikäläinen",
        email="Maija@Example.fi",
        subject="Laskusta",
    )
    message = EmailMessage.all_controllers.create(
        controller=isannointi,
        contact=email,
        message_id="<m1@example.fi>",
        from_header="maija@example.fi",
        raw=ContentFile(b"From: maija@example.fi\r\nSubject: Laskusta\r\n\r\nHei", name="m1.eml"),
        text_body="Hei",
    )
    EmailAttachment.all_controllers.create(
        controller=isannointi,
        email=message,
        filename="lasku.pdf",
        content_type="application/pdf",
        file=ContentFile(b"%PDF-1.4 lasku", name="lasku.pdf"),
        size_bytes=14,
    )
    chat = contact_record(
        controller=isannointi,
        channel="chat",
        occurred_at=now - dt.timedelta(days=1),
        name="Maija M",
        email="maija@example.fi",
        chat_session_id="s1",
    )
    ChatMessage.all_controllers.create(
        controller=isannointi, contact=chat, position=1, at=now, author="visitor", text="Hei, hana vuotaa"
    )
    ChatMessage.all_controllers.create(
        controller=isannointi, contact=chat, position=2, at=now, author="agent", text="Tulemme huomenna"
    )
    namesake = contact_record(
        controller=isannointi, channel="call", occurred_at=now, name="Maija Meikäläinen", phone="050 999 8888"
    )
    stranger = contact_record(
        controller=isannointi, channel="call", occurred_at=now, name="Matti Virtanen", phone="050 111 2222"
    )
    other_controller = contact_record(
        controller=retta_oy, channel="email", occurred_at=now, name="Maija Meikäläinen", email="maija@example.fi"
    )
    return {
        "call": call,
        "email": email,
        "chat": chat,
        "namesake": namesake,
        "stranger": stranger,
        "other_controller": other_controller,
        "message": message,
    }


@pytest.fixture
def recipients_provider():
    """The disclosure log's answer, as the complaints app gives it: the insurer got the call."""
    disclosed: dict[tuple[str, int], list[str]] = {}

    def provider(declaration, pks):
        for pk in pks:
            for name in disclosed.get((declaration.key(), pk), []):
                yield Recipient(
                    name=name,
                    recipient_type="insurer",
                    record_type=declaration.key(),
                    record_id=pk,
                    disclosed_at=timezone.now(),
                    legal_basis="legal claims",
                )

    registry.register_recipients_provider(provider)
    yield disclosed
    registry.unregister_recipients_provider(provider)


@pytest.fixture
def dpo_api(api_as, dpo):
    return api_as(dpo)


@pytest.fixture
def eager_tasks(monkeypatch):
    """Celery tasks run in-process at once, as a worker would run them after the commit (the
    test's transaction never commits)."""
    from django.db import transaction

    from retta_cs.celery import app

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    monkeypatch.setitem(app.conf, "task_always_eager", True)
