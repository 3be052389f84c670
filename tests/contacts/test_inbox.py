"""The agent's inbox: the queue of open work in its order, filters saved per user, counts in the
navigation, the polled partial, logging a call from it, and the agent's home."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, SavedInboxFilter, TaskState, TaskStatus
from contacts.selectors import INBOX_COUNT_CAP
from core.models import AuditEvent
from tests.factories import make_task, make_user

pytestmark = pytest.mark.django_db


def _ids(answer):  # type: ignore[no-untyped-def]
    return [task.pk for task in answer.context["page"].rows]


def test_the_queue_is_unassigned_and_mine_with_new_email_and_chat_first(web_as, agent, isannointi, retta_oy):
    other = make_user("toinen", "agent", [isannointi])
    waiting = make_task(isannointi, state=TaskState.WAITING)
    open_mine = make_task(isannointi, state=TaskState.OPEN, assignee=agent)
    new_call = make_task(isannointi, channel="call")
    new_email = make_task(isannointi, channel="email")
    new_chat_urgent = make_task(isannointi, channel="chat", priority=4)
    make_task(isannointi, assignee=other)
    make_task(isannointi, status=TaskStatus.CLOSED, closed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    make_task(retta_oy, channel="email")
    answer = web_as(agent).get("/contacts/inbox/")
    assert answer.status_code == 200
    assert _ids(answer) == [new_chat_urgent.pk, new_email.pk, new_call.pk, open_mine.pk, waiting.pk]
    assert AuditEvent.objects.filter(object_type="contacts.task", action="view").count() == 5


def test_within_a_rank_the_earliest_due_comes_first(web_as, agent, isannointi):
    later = make_task(isannointi, channel="email", first_response_due=dt.datetime(2026, 3, 3, tzinfo=dt.UTC))
    sooner = make_task(isannointi, channel="email", first_response_due=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    assert _ids(web_as(agent).get("/contacts/inbox/")) == [sooner.pk, later.pk]


def test_filters_narrow_the_inbox_and_bad_values_fall_back_to_the_queue(web_as, agent, isannointi):
    mine = make_task(isannointi, assignee=agent, state=TaskState.WAITING)
    nobodys = make_task(isannointi, channel="email")
    client = web_as(agent)
    assert _ids(client.get("/contacts/inbox/", {"show": "mine"})) == [mine.pk]
    assert _ids(client.get("/contacts/inbox/", {"show": "unassigned"})) == [nobodys.pk]
    assert _ids(client.get("/contacts/inbox/", {"state": "waiting"})) == [mine.pk]
    assert _ids(client.get("/contacts/inbox/", {"channel": "email"})) == [nobodys.pk]
    bogus = client.get("/contacts/inbox/", {"show": "x", "priority": "99", "controller": "abc", "page": "x"})
    assert bogus.status_code == 200 and _ids(bogus) == [nobodys.pk, mine.pk]


def test_the_polled_partial_is_just_the_rows(web_as, agent, isannointi):
    task = make_task(isannointi, title="Uusi viesti")
    answer = web_as(agent).get("/contacts/inbox/", HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200 and "Uusi viesti" in html and "<html" not in html
    page = web_as(agent).get("/contacts/inbox/").content.decode()
    assert 'hx-trigger="every 20s"' in page and f"/contacts/tasks/{task.pk}/" in page


def test_the_inbox_is_read_in_a_fixed_number_of_queries(web_as, agent, isannointi):
    client = web_as(agent)
    make_task(isannointi)
    client.get("/contacts/inbox/", HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as few:
        client.get("/contacts/inbox/", HTTP_HX_REQUEST="true")
    for _ in range(20):
        make_task(isannointi, channel="email")
    with CaptureQueriesContext(connection) as many:
        client.get("/contacts/inbox/", HTTP_HX_REQUEST="true")
    assert len(many) == len(few)


def test_the_inbox_needs_login_and_a_customer_service_role(client, web_as, admin_user):
    assert client.get("/contacts/inbox/").status_code == 302
    assert web_as(admin_user).get("/contacts/inbox/").status_code == 403


def test_the_other_controllers_tickets_never_show(web_as, outsider, isannointi):
    make_task(isannointi)
    assert _ids(web_as(outsider).get("/contacts/inbox/", {"show": "all"})) == []


def test_counts_in_the_navigation_stop_at_the_cap(web_as, agent, isannointi):
    make_task(isannointi, assignee=agent)
    for _ in range(INBOX_COUNT_CAP + 1):
        make_task(isannointi)
    html = web_as(agent).get("/contacts/tasks/").content.decode()
    assert 'id="nav-inbox"' in html
    assert f"{INBOX_COUNT_CAP}+" in html and ">1</span>" in html


def test_agents_start_in_the_inbox_and_others_at_home(web_as, agent, dpo):
    answer = web_as(agent).get("/")
    assert answer.status_code == 302 and answer["Location"] == "/contacts/inbox/"
    assert web_as(dpo).get("/").status_code == 200


# -- saved filters --------------------------------------------------------------------------------
def test_an_agent_saves_and_removes_a_filter_of_their_own(web_as, agent, isannointi):
    client = web_as(agent)
    answer = client.post("/contacts/inbox/filters/", {"label": "Sähköpostit", "channel": "email", "show": "all"})
    assert answer.status_code == 302 and answer["Location"] == "/contacts/inbox/?show=all&channel=email"
    saved = SavedInboxFilter.objects.get(user=agent)
    assert (saved.label, saved.query) == ("Sähköpostit", "show=all&channel=email")
    assert "Sähköpostit" in client.get("/contacts/inbox/").content.decode()
    assert client.post("/contacts/inbox/filters/", {"label": "Sähköpostit"}).status_code == 302
    assert SavedInboxFilter.objects.count() == 1
    client.post(f"/contacts/inbox/filters/{saved.pk}/delete/")
    assert not SavedInboxFilter.objects.exists()


def test_a_filter_without_a_name_or_with_bad_values_is_not_saved(web_as, agent):
    client = web_as(agent)
    client.post("/contacts/inbox/filters/", {"label": "  "})
    client.post("/contacts/inbox/filters/", {"label": "x", "state": "bogus"})
    assert not SavedInboxFilter.objects.exists()


def test_saved_filters_are_per_user(client, web_as, agent, outsider):
    saved = SavedInboxFilter.objects.create(user=agent, label="Minun", query="show=mine")
    other = web_as(outsider)
    assert "Minun" not in other.get("/contacts/inbox/").content.decode()
    assert other.post(f"/contacts/inbox/filters/{saved.pk}/delete/").status_code == 404
    assert SavedInboxFilter.objects.filter(pk=saved.pk).exists()
    client.logout()
    assert client.post(f"/contacts/inbox/filters/{saved.pk}/delete/").status_code == 302
    assert SavedInboxFilter.objects.filter(pk=saved.pk).exists()


# -- logging a call from the inbox -----------------------------------------------------------------
def test_a_call_logged_from_the_inbox_comes_back_to_the_inbox(web_as, agent, isannointi):
    client = web_as(agent)
    assert 'name="return_to" value="inbox"' in client.get("/contacts/inbox/").content.decode()
    answer = client.post(
        "/contacts/calls/new/",
        {"controller": isannointi.pk, "phone": "040 123 4567", "direction": "inbound", "return_to": "inbox"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/contacts/inbox/"
    assert Contact.objects.filter(channel="call").count() == 1
    bad = client.post("/contacts/calls/new/", {"controller": isannointi.pk, "phone": "x", "return_to": "inbox"})
    assert bad.status_code == 400 and 'name="return_to" value="inbox"' in bad.content.decode()
