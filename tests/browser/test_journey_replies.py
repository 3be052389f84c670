"""An agent answers a customer's email: a response template chosen with the keyboard, a file
attached, sent, back on the ticket; a failed send shows its state and is retried. The customer
is then found in the customer list, edited, and a duplicate merged after its confirmation."""

from __future__ import annotations

import pytest

from contacts.ingestion import email_ingest
from contacts.models import Contact, Customer, EmailMessage, ResponseTemplate
from contacts.services import customer_match_or_create
from tests.contacts.test_inbound_email import make_email

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_agent_answers_with_a_template_and_an_attachment_and_returns_to_the_ticket(
    login, agent, integration, isannointi, live_server, eager_locmem, tmp_path
):
    from django.core import mail

    incoming = email_ingest(raw=make_email(), controller=isannointi, actor=integration).contact
    ResponseTemplate.objects.create(
        controller=isannointi,
        language="fi",
        name="Huolto tulossa",
        body="Hei {customer_name}, huolto tulee. {agent_name}",
    )
    ResponseTemplate.objects.create(controller=isannointi, language="sv", name="Service", body="Hej {customer_name}")
    pdf = tmp_path / "ohje.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page = login("agent")
    page.goto(f"{live_server.url}/contacts/{incoming.pk}/reply")
    page.focus("#macro-input")
    page.keyboard.press("ArrowDown")
    assert page.get_attribute("#macro-input", "aria-expanded") == "true"
    page.keyboard.type("huolto")
    page.keyboard.press("Enter")
    assert page.input_value("#id_body").startswith("Hei Maija Meikäläinen, huolto tulee.")
    page.set_input_files("#id_attachments", str(pdf))
    page.click("#reply-form button[type=submit]")
    incoming.refresh_from_db()
    page.wait_for_url(f"{live_server.url}/contacts/tasks/{incoming.task_id}/")
    reply = Contact.all_controllers.get(direction="outbound")
    assert EmailMessage.all_controllers.get(contact=reply).send_status == "sent"
    assert mail.outbox[0].attachments[0][0] == "ohje.pdf"
    # The answer's page shows its real delivery state.
    page.goto(f"{live_server.url}/contacts/{reply.pk}/")
    page.wait_for_selector(".send-status[data-status=sent]")


def test_agent_finds_edits_and_merges_a_customer(login, agent, isannointi, live_server):
    maija = customer_match_or_create(controller=isannointi, name="Maija Meikäläinen", email="maija@example.fi")
    dup = customer_match_or_create(controller=isannointi, name="M. Meikäläinen", phone="040 765 4321")
    page = login("agent")
    page.click("nav.mainnav a[href='/contacts/customers/']")
    page.fill("#id_q", "maija@example.fi")
    page.click("#customer-search button[type=submit]")
    page.click(f"tr[data-id='{maija.pk}'] a")
    page.click("#customer-edit")
    page.fill("#id_phones", "050 111 2233")
    page.click("#customer-form button[type=submit]")
    page.wait_for_selector("text=+358501112233")
    page.fill("#merge-q", "040 765 4321")
    page.click(f"#merge-candidates a[href$='?duplicate={dup.pk}']")
    page.wait_for_selector("#merge-form")
    page.check("#id_confirm")
    page.click("#merge-form button[type=submit]")
    page.wait_for_selector("text=+358407654321")
    assert not Customer.all_controllers.filter(pk=dup.pk).exists()
