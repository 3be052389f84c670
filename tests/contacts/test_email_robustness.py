"""Real-world messages (tests/fixtures/emails, see SOURCE.md there): whatever their MIME, each is
stored at least raw, never a server error, never lost, and recognised when it comes again (P2)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from contacts.models import Contact, EmailMessage

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "emails"
MESSAGES = sorted(FIXTURES.glob("*.eml"))
# Messages whose MIME is broken enough that the parser reports defects.
KNOWN_BROKEN = {"false-multipart.eml", "mailformed-headers.eml", "missing-final-boundary.eml", "enclosed-broken.eml"}


def test_the_fixtures_are_there():
    assert len(MESSAGES) >= 45 and (FIXTURES / "SOURCE.md").exists()


@pytest.mark.parametrize("path", MESSAGES, ids=lambda path: path.name)
def test_every_real_world_message_is_stored_through_the_api_and_recognised_again(api_as, integration, path):
    raw = path.read_bytes()
    client = api_as(integration)
    response = client.post("/api/v1/inbound/email?controller=retta-isannointi", data=raw, content_type="message/rfc822")
    assert response.status_code == 201, response.content
    message = EmailMessage.objects.get(contact_id=response.json()["contact"])
    assert message.raw.read() == raw
    if path.name in KNOWN_BROKEN:
        assert message.parse_problems and response.json()["parse_problems"]
    again = client.post("/api/v1/inbound/email?controller=retta-isannointi", data=raw, content_type="message/rfc822")
    assert again.status_code == 200 and again.json()["contact"] == response.json()["contact"]


def test_every_real_world_message_is_stored_by_ingest_email(isannointi):
    out = StringIO()
    names = [str(path) for path in MESSAGES]
    call_command("ingest_email", *names, "--controller", "retta-isannointi", stdout=out, stderr=StringIO())
    # Some fixtures share a Message-ID (the same message in different damage, a forward keeping
    # the original's id): each is a message of its own, with its own bytes, and is stored.
    assert EmailMessage.objects.count() == len(MESSAGES) == Contact.objects.count()
    summary = out.getvalue().strip().splitlines()[-1]
    assert summary.startswith(f"stored {len(MESSAGES)}, duplicates 0,")
    for message in EmailMessage.objects.all():
        assert message.raw.size == message.size_bytes > 0
    again = StringIO()
    call_command("ingest_email", *names, "--controller", "retta-isannointi", stdout=again, stderr=StringIO())
    assert again.getvalue().strip().splitlines()[-1].startswith(f"stored 0, duplicates {len(MESSAGES)},")


SYNTHETIC = {
    "unknown-charset": b"From: a@example.fi\r\nSubject: x\r\n"
    b"Content-Type: text/plain; charset=x-no-such\r\n\r\nHei\xe4\r\n",
    "raw-8bit-headers": b"From: \xc4ij\xe4 <\xe4@example.fi>\r\nSubject: \xff\xfe\r\n\r\nbody\r\n",
    "no-headers": b"just some text without any header\r\n",
    "binary-garbage": bytes(range(256)) * 4,
    "bad-base64": b"From: a@example.fi\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
    "bad-date-and-ids": b"From: a@example.fi\r\nDate: someday\r\n"
    b"Message-ID: no-brackets\r\nIn-Reply-To: <<>>\r\n\r\nx\r\n",
    "deep-nesting": b"From: a@example.fi\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    + b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(400)),
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_damaged_messages_are_stored_raw_never_a_500(api_as, integration, name):
    raw = SYNTHETIC[name]
    response = api_as(integration).post(
        "/api/v1/inbound/email?controller=retta-isannointi", data=raw, content_type="message/rfc822"
    )
    assert response.status_code == 201, response.content
    message = EmailMessage.objects.get(contact_id=response.json()["contact"])
    assert message.raw.read() == raw


def test_distinct_messages_sharing_a_message_id_are_all_kept_and_marked(api_as, integration):
    client = api_as(integration)
    by_id: dict[str, list[bytes]] = {}
    for path in MESSAGES:
        raw = path.read_bytes()
        answer = client.post(
            "/api/v1/inbound/email?controller=retta-isannointi", data=raw, content_type="message/rfc822"
        )
        assert answer.status_code == 201, (path.name, answer.content)
        message = EmailMessage.objects.get(contact_id=answer.json()["contact"])
        if message.message_id:
            by_id.setdefault(message.message_id, []).append(raw)
    shared = {message_id: raws for message_id, raws in by_id.items() if len(raws) > 1}
    assert sum(len(raws) for raws in shared.values()) >= 10  # the corpus has such messages
    for message_id, raws in shared.items():
        stored = list(EmailMessage.objects.filter(message_id=message_id).order_by("pk"))
        assert [m.raw.read() for m in stored] == raws
        assert [m.message_id_reused for m in stored] == [False] + [True] * (len(raws) - 1)
