"""Portability (art. 20) holds only what the subject provided: their messages, their chat lines,
the data they gave; never an agent's reply, notes or a complaint's resolution."""

import io
import json
import zipfile

import jsonschema
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent
from contacts.models import EmailMessage
from contacts.services import contact_record
from privacy.discovery import matches_review, request_discover
from privacy.exports import SCHEMA_PATH, export_write_zip
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db
SCHEMA = json.loads(SCHEMA_PATH.read_text())


@pytest.fixture
def agents_reply(isannointi, subject_records):
    """The agent's answer to Maija's email, saved as customer service saves replies."""
    original = subject_records["email"]
    reply = contact_record(
        controller=isannointi,
        channel="email",
        direction="outbound",
        occurred_at=timezone.now(),
        name=original.name,
        email="maija@example.fi",
        subject="Re: Laskusta",
        body="Agentin vastaus: lasku on oikein",
        customer=original.customer,
    )
    EmailMessage.all_controllers.create(
        controller=isannointi,
        contact=reply,
        message_id="<reply@retta.fi>",
        from_header="asiakaspalvelu@retta.fi",
        to_header="maija@example.fi",
        raw=ContentFile(b"Subject: Re: Laskusta\r\n\r\nAgentin vastaus", name="reply.eml"),
        text_body="Agentin vastaus: lasku on oikein",
        send_status="sent",
        sent_at=timezone.now(),
    )
    return reply


@pytest.fixture
def complaint(isannointi, subject_records, dpo):
    complaint = Complaint.all_controllers.create(
        controller=isannointi,
        subject="Laskutus",
        description="Minulta laskutettiin kahdesti",
        resolution="Hyvitetty käsittelijän päätöksellä",
        complainant=subject_records["email"].customer,
        channel="email",
    )
    ComplaintEvent.all_controllers.create(
        controller=isannointi, complaint=complaint, kind="note", text="Sisäinen muistiinpano", author=dpo
    )
    return complaint


def _portable_copy(isannointi, dpo, **fields):
    request = make_privacy_request(isannointi, kind="portability", verified=True, phone="040 123 4567", **fields)
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    target = io.BytesIO()
    export_write_zip(request=request, export=None, target=target)
    archive = zipfile.ZipFile(target)
    document = json.loads(archive.read("data.json"))
    jsonschema.validate(document, SCHEMA)
    return archive, document


def _records(document, key):
    return {r["id"]: r for r in document["records"] if r["type"] == key}


def test_an_inbound_email_is_portable_an_agents_reply_is_not(isannointi, dpo, subject_records, agents_reply):
    archive, document = _portable_copy(isannointi, dpo)
    contacts = _records(document, "contacts.contact")
    assert subject_records["email"].pk in contacts and agents_reply.pk not in contacts
    assert contacts[subject_records["email"].pk]["data"]["subject"] == "Laskusta"
    emails = _records(document, "contacts.emailmessage")
    assert [e["data"]["text_body"] for e in emails.values()] == ["Hei"]
    assert not any(name.endswith("reply.eml") for name in archive.namelist())
    assert "Agentin vastaus" not in archive.read("data.json").decode()
    assert all(r["source"] == "subject" for r in document["records"])


def test_chat_lines_are_portable_by_author(isannointi, dpo, subject_records):
    archive, document = _portable_copy(isannointi, dpo)
    lines = [r["data"] for r in _records(document, "contacts.chatmessage").values()]
    assert [line["text"] for line in lines] == ["Hei, hana vuotaa"]
    transcripts = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("transcripts/"))
    assert "Tulemme huomenna" not in transcripts and "Tulemme huomenna" not in archive.read("data.json").decode()


def test_the_notes_an_agent_wrote_about_a_call_are_not_portable(isannointi, dpo, subject_records):
    from contacts.models import Contact

    call = subject_records["call"]
    Contact.all_controllers.filter(pk=call.pk).update(body="Agentin muistiinpano: asiakas vihainen")
    archive, document = _portable_copy(isannointi, dpo)
    data = _records(document, "contacts.contact")[call.pk]["data"]
    assert data["phone"] == "040 123 4567" and data["name"] == "Maija Meikäläinen"
    assert "body" not in data and "subject" not in data
    assert "Agentin muistiinpano" not in archive.read("data.json").decode()
    assert "contacts.callrecording" not in {r["type"] for r in document["records"]}


def test_a_complaint_as_described_is_portable_its_notes_and_resolution_are_not(
    isannointi, dpo, subject_records, complaint
):
    archive, document = _portable_copy(isannointi, dpo)
    data = _records(document, "complaints.complaint")[complaint.pk]["data"]
    assert data["description"] == "Minulta laskutettiin kahdesti"
    assert "resolution" not in data
    raw = archive.read("data.json").decode()
    assert "Hyvitetty" not in raw and "Sisäinen muistiinpano" not in raw
    assert "complaints.complaintevent" not in {r["type"] for r in document["records"]}


def test_the_access_copy_still_holds_everything_and_says_who_wrote_it(
    isannointi, dpo, subject_records, agents_reply, complaint
):
    request = make_privacy_request(isannointi, verified=True, phone="040 123 4567")
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    target = io.BytesIO()
    export_write_zip(request=request, export=None, target=target)
    document = json.loads(zipfile.ZipFile(target).read("data.json"))
    jsonschema.validate(document, SCHEMA)
    contacts = _records(document, "contacts.contact")
    assert contacts[agents_reply.pk]["source"] == "staff"
    assert contacts[subject_records["email"].pk]["source"] == "subject"
    assert contacts[subject_records["call"].pk]["staff_fields"] == ["body", "subject"]
    complaints = _records(document, "complaints.complaint")
    assert complaints[complaint.pk]["data"]["resolution"] == "Hyvitetty käsittelijän päätöksellä"
    assert complaints[complaint.pk]["staff_fields"] == ["resolution"]
    chat = {r["data"]["text"]: r["source"] for r in _records(document, "contacts.chatmessage").values()}
    assert chat == {"Hei, hana vuotaa": "subject", "Tulemme huomenna": "staff"}
