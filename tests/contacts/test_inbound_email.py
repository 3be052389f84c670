"""POST /api/v1/inbound/email: every incoming email stored raw, parsed, threaded, once (P2)."""

from __future__ import annotations

from email.message import EmailMessage as OutgoingEmail

import pytest
from django.core.files.storage import default_storage

from contacts.ingestion import email_ingest
from contacts.models import Contact, EmailAttachment, EmailMessage, Mailbox, Task, TaskStatus
from core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbound/email"


def make_email(
    *,
    message_id: str | None = "<first@customer.example>",
    subject: str = "Vuotava hana",
    sender: str = "Maija Meikäläinen <Maija@Example.FI>",
    to: str = "asiakaspalvelu@isannointi.example",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> bytes:
    message = OutgoingEmail()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Wed, 25 Nov 2026 08:00:00 +0200"
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    message.set_content("Keittiön hana vuotaa.\n")
    if html:
        message.add_alternative(html, subtype="html")
    if attachment:
        name, content_type, content = attachment
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def post(client, raw: bytes, query: str = "?controller=retta-isannointi", **extra):  # type: ignore[no-untyped-def]
    return client.post(URL + query, data=raw, content_type="message/rfc822", **extra)


def test_an_email_is_stored_raw_parsed_and_matched_to_its_customer(api_as, integration, isannointi):
    raw = make_email(html="<p>Keittiön hana</p>", attachment=("kuva.png", "image/png", b"\x89PNG fake"))
    response = post(api_as(integration), raw)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True and body["parse_problems"] == []
    contact = Contact.objects.get(pk=body["contact"])
    assert contact.controller == isannointi and contact.channel == "email" and contact.direction == "inbound"
    assert contact.email_normalized == "maija@example.fi" and contact.name == "Maija Meikäläinen"
    assert contact.subject == "Vuotava hana" and "hana vuotaa" in contact.body
    assert contact.customer_id == body["customer"] and contact.task_id == body["task"]
    message = contact.email_message
    assert message.raw.read() == raw and message.size_bytes == len(raw)
    assert message.message_id == "<first@customer.example>" and "isannointi.example" in message.to_header
    assert message.html_body.strip() == "<p>Keittiön hana</p>" and "hana vuotaa" in message.text_body
    attachment = message.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("kuva.png", "image/png")
    assert attachment.file.read() == b"\x89PNG fake" and attachment.size_bytes == 9
    assert Task.objects.get(pk=body["task"]).title == "Vuotava hana"
    assert AuditEvent.objects.filter(action="create", object_id=str(contact.pk), actor=integration).exists()


def test_the_same_message_twice_is_stored_once(api_as, integration):
    client = api_as(integration)
    first = post(client, make_email())
    again = post(client, make_email())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["contact"] == first.json()["contact"] and again.json()["created"] is False
    assert EmailMessage.objects.count() == 1 and Contact.objects.count() == 1


def test_a_different_message_reusing_a_message_id_is_stored_and_marked(api_as, integration):
    client = api_as(integration)
    first = post(client, make_email())
    forward = make_email(subject="Fwd: Vuotava hana")  # a forward keeping the original's Message-ID
    again = post(client, forward)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["created"] is True and again.json()["contact"] != first.json()["contact"]
    original, variant = EmailMessage.objects.order_by("pk")
    assert original.message_id == variant.message_id == "<first@customer.example>"
    assert (original.message_id_reused, variant.message_id_reused) == (False, True)
    assert variant.raw.read() == forward
    event = AuditEvent.objects.get(action="create", object_id=str(variant.contact_id))
    assert event.details["message_id_reused"] is True
    # Posted again, the variant is recognised by its bytes.
    assert post(client, forward).json() == {**again.json(), "created": False}


def test_the_same_message_id_at_the_other_controller_is_its_own_contact(api_as, integration):
    client = api_as(integration)
    assert post(client, make_email()).status_code == 201
    assert post(client, make_email(), query="?controller=retta-oy").status_code == 201
    assert EmailMessage.objects.count() == 2


def test_a_message_without_message_id_is_recognised_by_its_bytes(api_as, integration):
    client = api_as(integration)
    raw = make_email(message_id=None)
    assert post(client, raw).status_code == 201
    assert post(client, raw).status_code == 200
    assert post(client, make_email(message_id=None, subject="Another")).status_code == 201
    assert EmailMessage.objects.count() == 2


def test_a_reply_joins_the_task_of_the_message_it_answers(api_as, integration):
    client = api_as(integration)
    first = post(client, make_email()).json()
    reply = post(
        client,
        make_email(
            message_id="<second@customer.example>", subject="Re: Vuotava hana", in_reply_to="<first@customer.example>"
        ),
    ).json()
    by_references = post(
        client,
        make_email(
            message_id="<third@customer.example>",
            subject="Fwd",
            references="<unknown@elsewhere> <first@customer.example> <second@customer.example>",
        ),
    ).json()
    new_thread = post(client, make_email(message_id="<other@customer.example>", subject="Uusi asia")).json()
    assert reply["task"] == first["task"] == by_references["task"]
    assert new_thread["task"] != first["task"]
    assert Task.objects.count() == 2


def test_a_reply_to_a_closed_task_opens_it_again(api_as, integration):
    from django.utils import timezone

    client = api_as(integration)
    first = post(client, make_email()).json()
    Task.objects.filter(pk=first["task"]).update(status=TaskStatus.CLOSED, state="solved", closed_at=timezone.now())
    post(client, make_email(message_id="<second@customer.example>", in_reply_to="<first@customer.example>"))
    assert Task.objects.get(pk=first["task"]).status == TaskStatus.OPEN


def test_replies_do_not_thread_across_controllers(api_as, integration):
    client = api_as(integration)
    first = post(client, make_email()).json()
    other = post(
        client,
        make_email(message_id="<second@customer.example>", in_reply_to="<first@customer.example>"),
        query="?controller=retta-oy",
    ).json()
    assert other["task"] != first["task"]


def test_the_controller_comes_from_the_mailbox_of_a_recipient(api_as, integration, retta_oy):
    Mailbox.objects.create(address="asiakaspalvelu@rettaoy.example", controller=retta_oy)
    raw = make_email(to="Asiakaspalvelu <Asiakaspalvelu@RettaOy.example>, someone@else.example")
    response = post(api_as(integration), raw, query="")
    assert response.status_code == 201
    assert Contact.objects.get(pk=response.json()["contact"]).controller == retta_oy


def test_without_a_known_mailbox_or_controller_the_answer_is_400(api_as, integration):
    response = post(api_as(integration), make_email(), query="")
    assert response.status_code == 400 and "controller" in response.json()
    unknown = post(api_as(integration), make_email(), query="?controller=nobody")
    assert unknown.status_code == 400 and "controller" in unknown.json()
    assert not Contact.objects.exists()


def test_a_controller_not_granted_to_the_integration_is_refused(api_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    mail_server = make_user("mailserver", Role.INTEGRATION, [isannointi])
    Mailbox.objects.create(address="asiakaspalvelu@rettaoy.example", controller=retta_oy)
    client = api_as(mail_server)
    assert post(client, make_email(), query="?controller=retta-oy").status_code == 400
    assert post(client, make_email(to="asiakaspalvelu@rettaoy.example"), query="").status_code == 400
    assert not Contact.objects.exists()


def test_wrong_content_type_is_415(api_as, integration):
    response = api_as(integration).post(URL + "?controller=retta-isannointi", {"message": "x"}, format="json")
    assert response.status_code == 415
    assert not Contact.objects.exists()


def test_an_empty_message_is_400(api_as, integration):
    response = post(api_as(integration), b"   \r\n")
    assert response.status_code == 400 and "message" in response.json()


def test_a_message_over_the_limit_is_413_and_nothing_is_stored(api_as, integration, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 500
    response = post(api_as(integration), make_email() + b"x" * 600)
    assert response.status_code == 413
    assert not Contact.objects.exists() and not EmailMessage.objects.exists()


def test_without_credentials_401(api):
    assert post(api, make_email()).status_code == 401


@pytest.mark.parametrize("persona", ["agent", "colleague", "dpo", "outsider"])
def test_staff_roles_may_not_post_inbound_email(request, api_as, persona):
    user = request.getfixturevalue(persona)
    assert post(api_as(user), make_email()).status_code == 403


def test_a_failed_ingestion_leaves_no_rows_and_no_files(integration, isannointi, monkeypatch):
    from contacts import ingestion

    def broken_bulk_create(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database went away")

    monkeypatch.setattr(EmailAttachment.all_controllers, "bulk_create", broken_bulk_create)
    raw = make_email(attachment=("a.pdf", "application/pdf", b"%PDF-1.4"))
    written: list[str] = []
    original_save = ingestion.StoredFiles.save

    def recording_save(self, field_file, name, content):  # type: ignore[no-untyped-def]
        original_save(self, field_file, name, content)
        written.append(field_file.name)

    monkeypatch.setattr(ingestion.StoredFiles, "save", recording_save)
    with pytest.raises(RuntimeError):
        email_ingest(raw=raw, controller=isannointi, actor=integration)
    assert len(written) == 2
    assert not any(default_storage.exists(name) for name in written)
    assert not Contact.objects.exists() and not Task.objects.exists()


def test_html_with_script_and_event_handlers_is_stored_as_given(api_as, integration):
    html = '<p onclick="steal()">Hei</p><script>alert(1)</script><a href="javascript:alert(2)">x</a>'
    response = post(api_as(integration), make_email(html=html))
    message = EmailMessage.objects.get(contact_id=response.json()["contact"])
    # Kept exactly as received (evidence, P2); it is made inert where it is rendered.
    assert message.html_body.strip() == html


def test_a_concurrent_copy_of_the_same_message_is_recognised_by_the_unique_message_id(
    integration, isannointi, monkeypatch
):
    from contacts.ingestion import emails

    first = email_ingest(raw=make_email(), controller=isannointi, actor=integration)
    real_lookup = emails._existing_email_contact
    calls = {"n": 0}

    def lookup_as_if_not_yet_committed(**kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(**kwargs)

    monkeypatch.setattr(emails, "_existing_email_contact", lookup_as_if_not_yet_committed)
    again = email_ingest(raw=make_email(), controller=isannointi, actor=integration)
    assert again.created is False and again.contact == first.contact
    assert EmailMessage.objects.count() == 1 and Contact.objects.count() == 1 and Task.objects.count() == 1
