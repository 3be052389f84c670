"""The ticket pages: a new ticket from scratch and from a contact, notes, state and priority,
merging; each with bad input, no login, the wrong role and the other controller."""

from __future__ import annotations

import pytest

from contacts.models import Contact, Task, TaskEvent, TaskNote, TaskPriority, TaskState, TaskStatus
from core.models import AuditEvent
from tests.factories import make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db


# -- a new ticket ---------------------------------------------------------------------------------
def test_an_agent_creates_a_ticket_from_scratch(web_as, agent, isannointi):
    customer = make_customer(isannointi)
    client = web_as(agent)
    assert client.get("/contacts/tasks/new/").status_code == 200
    answer = client.post(
        "/contacts/tasks/new/",
        {
            "controller": isannointi.pk,
            "title": "Avaimet hukassa",
            "channel": "call",
            "priority": TaskPriority.HIGH,
            "customer": customer.pk,
        },
    )
    task = Task.objects.get(title="Avaimet hukassa")
    assert answer.status_code == 302 and answer["Location"] == f"/contacts/tasks/{task.pk}/"
    assert (task.customer, task.priority, task.assignee, task.state) == (customer, 3, agent, TaskState.NEW)
    assert AuditEvent.objects.filter(action="create", object_type="contacts.task", object_id=str(task.pk)).exists()


def test_a_new_ticket_with_bad_input_is_refused_and_nothing_is_written(web_as, agent, isannointi, retta_oy):
    client = web_as(agent)
    elsewhere = make_customer(retta_oy)
    for data in (
        {"controller": isannointi.pk, "title": "", "priority": 2},
        {"controller": isannointi.pk, "title": "x", "priority": 9},
        {"controller": retta_oy.pk, "title": "x", "priority": 2},
        {"controller": isannointi.pk, "title": "x", "priority": 2, "customer": elsewhere.pk},
        {"controller": isannointi.pk, "title": "x", "priority": 2, "customer": "99999999999999999999"},
    ):
        assert client.post("/contacts/tasks/new/", data).status_code == 400, data
    assert not Task.objects.exists()


def test_a_new_ticket_needs_login_and_the_agent_role(client, web_as, colleague, isannointi):
    assert client.get("/contacts/tasks/new/").status_code == 302
    assert (
        web_as(colleague).post("/contacts/tasks/new/", {"controller": isannointi.pk, "title": "x"}).status_code == 403
    )
    assert not Task.objects.exists()


def test_a_ticket_from_a_contact_links_it_and_once_only(web_as, agent, outsider, colleague, isannointi):
    contact = make_contact(isannointi, channel="email", subject="Vesivahinko")
    assert web_as(outsider).post(f"/contacts/{contact.pk}/ticket/").status_code == 404
    assert web_as(colleague).post(f"/contacts/{contact.pk}/ticket/").status_code == 403
    client = web_as(agent)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/ticket/" in page
    answer = client.post(f"/contacts/{contact.pk}/ticket/")
    task = Contact.objects.get(pk=contact.pk).task
    assert answer["Location"] == f"/contacts/tasks/{task.pk}/"
    assert (task.title, task.channel) == ("Vesivahinko", "email")
    client.post(f"/contacts/{contact.pk}/ticket/")
    assert Task.objects.count() == 1


def test_the_contact_list_shows_the_ticket_of_each_contact(web_as, agent, isannointi):
    task = make_task(isannointi)
    make_contact(isannointi, task=task)
    html = web_as(agent).get("/contacts/").content.decode()
    assert f'href="/contacts/tasks/{task.pk}/"' in html


# -- the ticket page ------------------------------------------------------------------------------
def test_the_ticket_page_shows_the_timeline_of_contacts_notes_and_changes(web_as, agent, isannointi):
    task = make_task(isannointi)
    make_contact(isannointi, task=task, subject="Hana vuotaa")
    TaskNote.all_controllers.create(controller=isannointi, task=task, author=agent, body="Huolto tilattu")
    client = web_as(agent)
    client.post(f"/contacts/tasks/{task.pk}/triage/", {"state": "waiting", "priority": 4})
    html = client.get(f"/contacts/tasks/{task.pk}/").content.decode()
    assert "Hana vuotaa" in html and "Huolto tilattu" in html and 'class="timeline-state"' in html


def test_an_agent_adds_an_internal_note(web_as, agent, isannointi):
    task = make_task(isannointi)
    client = web_as(agent)
    answer = client.post(f"/contacts/tasks/{task.pk}/notes/", {"body": "  Soitin takaisin  "})
    assert answer.status_code == 302
    note = TaskNote.objects.get(task=task)
    assert (note.body, note.author) == ("Soitin takaisin", agent)


def test_an_empty_note_is_refused(web_as, agent, isannointi):
    task = make_task(isannointi)
    client = web_as(agent)
    assert client.post(f"/contacts/tasks/{task.pk}/notes/", {"body": "   "}).status_code == 400
    assert client.post(f"/contacts/tasks/{task.pk}/notes/", {"body": "x" * 20_001}).status_code == 400
    assert not TaskNote.objects.exists()


def test_notes_need_login_role_and_controller(client, web_as, colleague, outsider, isannointi):
    task = make_task(isannointi)
    assert client.post(f"/contacts/tasks/{task.pk}/notes/", {"body": "x"}).status_code == 302
    assert web_as(colleague).post(f"/contacts/tasks/{task.pk}/notes/", {"body": "x"}).status_code == 403
    assert web_as(outsider).post(f"/contacts/tasks/{task.pk}/notes/", {"body": "x"}).status_code == 404
    assert not TaskNote.objects.exists()


def test_an_agent_sets_state_and_priority_and_solved_closes(web_as, agent, isannointi):
    task = make_task(isannointi)
    client = web_as(agent)
    client.post(f"/contacts/tasks/{task.pk}/triage/", {"state": "waiting", "priority": 1})
    task.refresh_from_db()
    assert (task.state, task.priority, task.status) == ("waiting", 1, "open")
    client.post(f"/contacts/tasks/{task.pk}/triage/", {"state": "solved", "priority": 1})
    task.refresh_from_db()
    assert (task.state, task.status) == ("solved", TaskStatus.CLOSED)
    assert TaskEvent.objects.filter(task=task, kind="state").count() == 2


def test_triage_with_bad_input_changes_nothing(web_as, agent, colleague, outsider, isannointi):
    task = make_task(isannointi)
    client = web_as(agent)
    assert client.post(f"/contacts/tasks/{task.pk}/triage/", {"state": "bogus", "priority": 2}).status_code == 400
    assert client.post(f"/contacts/tasks/{task.pk}/triage/", {"state": "open", "priority": "x"}).status_code == 400
    assert (
        web_as(colleague).post(f"/contacts/tasks/{task.pk}/triage/", {"state": "open", "priority": 2}).status_code
        == 403
    )
    assert (
        web_as(outsider).post(f"/contacts/tasks/{task.pk}/triage/", {"state": "open", "priority": 2}).status_code == 404
    )
    task.refresh_from_db()
    assert (task.state, task.priority) == ("new", 2)


def test_an_agent_merges_a_duplicate_ticket(web_as, agent, isannointi):
    target, source = make_task(isannointi, title="a"), make_task(isannointi, title="b")
    contact = make_contact(isannointi, task=source)
    answer = web_as(agent).post(f"/contacts/tasks/{source.pk}/merge/", {"target": target.pk})
    assert answer.status_code == 302 and answer["Location"] == f"/contacts/tasks/{target.pk}/"
    assert Contact.objects.get(pk=contact.pk).task_id == target.pk
    assert Task.objects.get(pk=source.pk).merged_into_id == target.pk


def test_merging_into_itself_a_closed_or_unknown_ticket_is_refused(web_as, agent, isannointi, retta_oy):
    source = make_task(isannointi)
    closed = make_task(isannointi, status=TaskStatus.CLOSED, closed_at="2026-01-01T00:00Z")
    client = web_as(agent)
    assert client.post(f"/contacts/tasks/{source.pk}/merge/", {"target": source.pk}).status_code == 409
    assert client.post(f"/contacts/tasks/{source.pk}/merge/", {"target": closed.pk}).status_code == 409
    assert client.post(f"/contacts/tasks/{source.pk}/merge/", {"target": make_task(retta_oy).pk}).status_code == 400
    assert client.post(f"/contacts/tasks/{source.pk}/merge/", {"target": "x"}).status_code == 400
    assert Task.objects.get(pk=source.pk).merged_into_id is None


def test_merging_needs_login_role_and_controller(client, web_as, colleague, outsider, isannointi):
    target, source = make_task(isannointi), make_task(isannointi)
    assert client.post(f"/contacts/tasks/{source.pk}/merge/", {"target": target.pk}).status_code == 302
    assert web_as(colleague).post(f"/contacts/tasks/{source.pk}/merge/", {"target": target.pk}).status_code == 403
    assert web_as(outsider).post(f"/contacts/tasks/{source.pk}/merge/", {"target": target.pk}).status_code == 404
    assert Task.objects.get(pk=source.pk).merged_into_id is None
