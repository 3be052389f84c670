"""Agents at work in a real browser: logging a call, and reading a hostile email safely."""

import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contacts.models import EmailMessage
from contacts.services import contact_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

HOSTILE_HTML = """<html><head><script>window.pwned = "script"</script></head>
<body onload="window.pwned = 'onload'; alert('onload')"><p onclick="alert('click')">Hei, vuoto!</p>
<a id="bad-link" href="javascript:window.pwned='link';alert('link')">Avaa</a>
<img id="pixel" src="https://tracker.example.com/open.gif" onerror="window.pwned='img';alert('img')">
<svg><script>window.pwned = "svg"</script></svg></body></html>"""


def test_an_agent_logs_a_call_by_phone_number_and_finds_it_in_the_customers_timeline(
    login, agent, isannointi, live_server
):
    known = contact_record(
        controller=isannointi, channel="call", occurred_at=timezone.now(), phone="+358401234567", name="Maija Virtanen"
    )
    page = login("agent")
    page.click("nav.mainnav a[href='/contacts/calls/new/']")
    page.wait_for_url(f"{live_server.url}/contacts/calls/new/")
    page.type("#id_phone", "040 123 4567", delay=20)
    page.wait_for_selector("#customer-match >> text=Maija Virtanen")
    page.fill("#id_subject", "Avain hukassa")
    page.press("#id_subject", "Enter")
    page.wait_for_url(re.compile(rf".*/contacts/customers/{known.customer_id}/$"))
    assert "Avain hukassa" in page.inner_text("ol.timeline")


def test_an_agent_opens_an_email_with_hostile_html_and_nothing_runs(login, agent, isannointi, live_server):
    contact = contact_record(
        controller=isannointi, channel="email", occurred_at=timezone.now(), email="eero@example.fi", subject="Vuoto"
    )
    EmailMessage.all_controllers.create(
        controller=isannointi, contact=contact, html_body=HOSTILE_HTML, raw=ContentFile(b"x", name="m.eml")
    )
    page = login("agent")
    dialogs: list[str] = []
    outside: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: outside.append(request.url) if "tracker.example" in request.url else None)
    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    page.wait_for_load_state("networkidle")
    assert "Hei, vuoto!" in page.inner_text(".email-body")
    page.click(".email-body >> text=Hei, vuoto!")
    if page.locator(".email-body a:has-text('Avaa')").count():
        page.click(".email-body a:has-text('Avaa')")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert outside == []
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator(".email-body script, .email-body [onclick], .email-body [onerror]").count() == 0
