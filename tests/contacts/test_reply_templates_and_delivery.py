"""Replies, item by item: response templates per controller and language with placeholders
(unknown ones refused at save), offered in the reply form; attachments through the upload
checks; the delivery state polled until sent or failed, with a retry; back to the ticket."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.ingestion import email_ingest
from contacts.macros import macro_render, placeholders_check
from contacts.models import Contact, EmailAttachment, EmailMessage, ResponseTemplate, SendStatus
from contacts.replies import reply_create
from core.models import AuditEvent
from tests.contacts.test_inbound_email import make_email
from tests.contacts.test_replies import _locmem_email_and_eager_celery  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def incoming(isannointi, integration):  # type: ignore[no-untyped-def]
    return email_ingest(raw=make_email(), controller=isannointi, actor=integration).contact


@pytest.fixture
def template(isannointi):  # type: ignore[no-untyped-def]
    return ResponseTemplate.objects.create(
        controller=isannointi,
        language="fi",
        name="Vuotoilmoitus",
        body="Hei {customer_name}, asia {ticket_id} ({subject}) on työn alla. {agent_name}, {controller_name}",
    )


# -- templates ---------------------------------------------------------------------------------


def test_unknown_placeholders_and_stray_braces_are_refused_at_save(isannointi):
    placeholders_check("Hei {customer_name}")
    for text in ("Hei {asiakas}", "Hei {customer_name.__class__}", "Hei {", "{{customer_name}}"):
        with pytest.raises(ValidationError):
            ResponseTemplate(controller=isannointi, language="fi", name="x", body=text).full_clean()


def test_rendering_substitutes_only_known_names_with_the_values_given():
    assert macro_render("Hei {customer_name}!", {"customer_name": "Maija"}) == "Hei Maija!"
    assert macro_render("{agent_name}", {}) == ""


def test_the_reply_form_offers_the_controllers_templates_filled_in(web_as, agent, incoming, template, retta_oy):
    ResponseTemplate.objects.create(controller=retta_oy, language="fi", name="Toisen yhtiön", body="Hei")
    ResponseTemplate.objects.create(controller=incoming.controller, language="sv", name="Pois", body="x", active=False)
    html = web_as(agent).get(reverse("contacts:contact_reply", args=[incoming.pk])).content.decode()
    assert 'role="combobox"' in html and 'role="listbox"' in html
    assert "Hei Maija Meikäläinen, asia" in html and f"asia {incoming.task_id} (Vuotava hana)" in html
    assert "Retta Isännöinti Oy" in html and "Toisen yhtiön" not in html and "Pois" not in html


def test_administrators_manage_templates_in_the_admin_and_unknown_placeholders_are_a_400(
    web_as, admin_user, isannointi
):
    admin_user.is_staff = True
    admin_user.save()
    client = web_as(admin_user)
    url = reverse("admin:contacts_responsetemplate_add")
    data = {"controller": isannointi.pk, "language": "fi", "name": "Kiitos", "body": "Hei {asiakas}", "active": "on"}
    assert client.post(url, data).status_code == 400
    assert not ResponseTemplate.objects.exists()
    assert client.post(url, {**data, "body": "Hei {customer_name}"}).status_code == 302
    assert ResponseTemplate.objects.get().body == "Hei {customer_name}"


# -- attachments -------------------------------------------------------------------------------


def test_a_reply_carries_its_checked_attachments(web_as, agent, incoming, django_capture_on_commit_callbacks):
    url = reverse("contacts:contact_reply", args=[incoming.pk])
    upload = SimpleUploadedFile("lasku.pdf", PDF, content_type="application/octet-stream")
    with django_capture_on_commit_callbacks(execute=True):
        answer = web_as(agent).post(url, {"body": "Lasku liitteenä.", "attachments": [upload]})
    assert answer.status_code == 302
    reply = Contact.objects.get(direction="outbound")
    attachment = EmailAttachment.objects.get(email__contact=reply)
    assert attachment.filename == "lasku.pdf" and attachment.content_type == "application/pdf"
    assert mail.outbox[0].attachments[0][0] == "lasku.pdf"


def test_an_attachment_of_a_refused_type_or_size_is_a_400_and_nothing_is_saved(web_as, agent, incoming, settings):
    url = reverse("contacts:contact_reply", args=[incoming.pk])
    client = web_as(agent)
    exe = SimpleUploadedFile("lasku.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", content_type="application/pdf")
    answer = client.post(url, {"body": "x", "attachments": [exe]}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400 and "cannot be attached" in answer.content.decode()
    settings.REPLY_ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("iso.pdf", PDF, content_type="application/pdf")
    answer = client.post(url, {"body": "x", "attachments": [big]}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400 and "too large" in answer.content.decode()
    assert not Contact.objects.filter(direction="outbound").exists() and not EmailAttachment.objects.exists()


# -- delivery state, retry, back to the ticket ---------------------------------------------------


def _failing(monkeypatch):  # type: ignore[no-untyped-def]
    from django.core.mail.backends.locmem import EmailBackend

    def down(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)


def test_the_status_partial_polls_while_queued_and_stops_when_sent(web_as, agent, incoming):
    reply = reply_create(contact=incoming, agent=agent, body="Vastaus")  # not committed: still queued
    url = reverse("contacts:reply_status", args=[reply.pk])
    queued = web_as(agent).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="pending"' in queued and 'hx-trigger="every 2s"' in queued
    EmailMessage.objects.filter(contact=reply).update(send_status=SendStatus.SENT, sent_at=incoming.occurred_at)
    sent = web_as(agent).get(url).content.decode()
    assert 'data-status="sent"' in sent and "hx-trigger" not in sent


def test_a_failed_reply_shows_retry_and_is_sent_again(
    web_as, agent, incoming, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.REPLY_SEND_MAX_ATTEMPTS = 1
    _failing(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    client = web_as(agent)
    failed = client.get(reverse("contacts:reply_status", args=[reply.pk])).content.decode()
    retry = reverse("contacts:reply_retry", args=[reply.pk])
    assert 'data-status="failed"' in failed and retry in failed
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(retry, HTTP_HX_REQUEST="true")
    assert 'data-status="sent"' in answer.content.decode() or 'data-status="pending"' in answer.content.decode()
    assert EmailMessage.objects.get(contact=reply).send_status == SendStatus.SENT and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="send", actor=agent, object_id=str(reply.pk)).exists()
    # Sent now: a second retry is refused and changes nothing.
    assert client.post(retry).status_code == 302 and len(mail.outbox) == 1


def test_status_and_retry_need_the_role_and_the_controller(client, web_as, colleague, outsider, agent, incoming):
    reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    status, retry = reverse("contacts:reply_status", args=[reply.pk]), reverse("contacts:reply_retry", args=[reply.pk])
    assert client.get(status).status_code == 302
    assert web_as(colleague).get(status).status_code == 200  # complaint handlers read customer service
    assert web_as(colleague).post(retry).status_code == 403
    assert web_as(outsider).get(status).status_code == 404
    assert web_as(outsider).post(retry).status_code == 404
    # An inbound email has no delivery state: 404, not a 500.
    assert web_as(agent).get(reverse("contacts:reply_status", args=[incoming.pk])).status_code == 404
