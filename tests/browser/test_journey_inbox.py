"""An agent works the inbox in a real browser: a new email to solved, and a call logged by
keyboard alone."""

import re

import pytest

from contacts.ingestion.emails import email_ingest
from contacts.models import Contact, Direction, Task, TaskState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RAW = (
    b"From: Maija Virtanen <maija@example.fi>\r\nTo: asiakaspalvelu@retta.fi\r\nSubject: Hana vuotaa\r\n"
    b"Message-ID: <hana-1@example.fi>\r\n\r\nKeittion hana vuotaa.\r\n"
)


def test_an_agent_works_a_new_email_from_the_inbox_to_solved(login, agent, integration, isannointi, live_server):
    task = email_ingest(raw=RAW, controller=isannointi, actor=integration).contact.task
    page = login("agent")
    assert page.url == f"{live_server.url}/contacts/inbox/"
    assert "Hana vuotaa" in page.inner_text("#inbox-rows")
    # j picks the first ticket, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/contacts/tasks/{task.pk}/")
    # n: an internal note, saved with Ctrl+Enter.
    page.keyboard.press("n")
    page.keyboard.type("Huoltoyhtiö tilattu")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#timeline >> text=Huoltoyhtiö tilattu")
    # r: the reply page (a plain reply; reply templates plug in on that page), Ctrl+Enter sends.
    page.keyboard.press("r")
    page.wait_for_url(re.compile(r".*/contacts/\d+/reply$"))
    page.fill("textarea[name=body]", "Huoltomies tulee huomenna.")
    page.press("textarea[name=body]", "Control+Enter")
    page.wait_for_selector(".messages .success")
    assert Contact.objects.filter(task=task, direction=Direction.OUTBOUND).count() == 1
    page.goto(f"{live_server.url}/contacts/tasks/{task.pk}/")
    # c: close, that is solve, the ticket.
    page.keyboard.press("c")
    page.wait_for_selector(".badge.state-solved")
    task.refresh_from_db()
    assert task.state == TaskState.SOLVED and task.first_responded_at is not None
    page.goto(f"{live_server.url}/contacts/inbox/")
    assert "Hana vuotaa" not in page.inner_text("#inbox-rows")


def test_an_agent_logs_a_call_from_the_inbox_by_keyboard_alone_in_one_page_load(login, agent, live_server):
    page = login("agent")
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    page.keyboard.press("?")
    assert page.locator("dialog#shortcuts").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    assert page.evaluate("document.activeElement.name") == "phone"
    page.keyboard.type("040 765 4321")
    page.keyboard.press("Tab")
    page.keyboard.type("Pekka Puupää")
    for _ in range(3):  # email, direction
        page.keyboard.press("Tab")
    page.keyboard.type("Avaimet hukassa")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages .success")
    assert page.url == f"{live_server.url}/contacts/inbox/"
    assert len(loads) == 1
    call = Contact.objects.get(channel="call")
    assert (call.name, call.subject, call.phone_e164) == ("Pekka Puupää", "Avaimet hukassa", "+358407654321")
    assert not Task.objects.exists()
