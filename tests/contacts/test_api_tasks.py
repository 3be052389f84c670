"""GET|POST /api/v1/tasks/, GET|PATCH /api/v1/tasks/{id}/, close and reopen (409 on a wrong state)."""

import pytest
from rest_framework.test import APIClient

from contacts.models import Task, TaskStatus
from core.models import AuditEvent
from tests.factories import make_customer, make_task, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"


def test_an_agent_creates_assigns_closes_and_reopens_a_task(api_as, agent, isannointi):
    customer = make_customer(isannointi)
    client = api_as(agent)
    answer = client.post(URL, {"title": "Vuotava hana", "customer": customer.pk, "assignee": "agent"}, format="json")
    assert answer.status_code == 201, answer.content
    task_id = answer.json()["id"]
    assert answer.json()["status"] == "open" and answer.json()["controller"] == "retta-isannointi"
    closed = client.post(f"{URL}{task_id}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert client.post(f"{URL}{task_id}/close").status_code == 409
    reopened = client.post(f"{URL}{task_id}/reopen/")
    assert reopened.status_code == 200 and reopened.json()["closed_at"] is None
    assert client.post(f"{URL}{task_id}/reopen").status_code == 409
    assert AuditEvent.objects.filter(object_type="contacts.task", action="transition").count() == 2


def test_list_filters_my_open_tasks(api_as, agent, isannointi):
    mine = make_task(isannointi, assignee=agent)
    make_task(isannointi)
    make_task(isannointi, assignee=agent, status=TaskStatus.CLOSED, closed_at="2026-01-01T00:00Z")
    answer = api_as(agent).get(URL, {"assignee": "agent", "status": "open"})
    assert [row["id"] for row in answer.json()["results"]] == [mine.pk]


def test_patch_assigns_only_an_agent_of_the_controller(api_as, agent, isannointi, retta_oy):
    task = make_task(isannointi)
    make_user("toinen", "agent", [retta_oy])
    client = api_as(agent)
    assert client.patch(f"{URL}{task.pk}/", {"assignee": "toinen"}, format="json").status_code == 400
    assert client.patch(f"{URL}{task.pk}/", {"assignee": "nobody"}, format="json").status_code == 400
    answer = client.patch(f"{URL}{task.pk}/", {"assignee": "agent", "title": "Uusi"}, format="json")
    assert answer.status_code == 200
    task.refresh_from_db()
    assert task.assignee == agent and task.title == "Uusi"
    assert client.patch(f"{URL}{task.pk}/", {"status": "closed"}, format="json").json()["status"] == "open"


def test_bad_input_is_400(api_as, agent, retta_oy):
    client = api_as(agent)
    assert client.post(URL, {}, format="json").status_code == 400
    foreign = make_customer(retta_oy)
    assert client.post(URL, {"title": "x", "customer": foreign.pk}, format="json").status_code == 400
    assert not Task.all_controllers.exists()


def test_other_controller_404_wrong_role_403_anonymous_401(api, api_as, outsider, colleague, isannointi):
    task = make_task(isannointi)
    assert api_as(outsider).get(f"{URL}{task.pk}/").status_code == 404
    assert api_as(outsider).post(f"{URL}{task.pk}/close").status_code == 404
    assert api_as(colleague).get(f"{URL}{task.pk}/").status_code == 200
    assert api_as(colleague).post(f"{URL}{task.pk}/close").status_code == 403
    assert APIClient().get(URL).status_code == 401
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# -- tickets: state, priority, SLA fields, merge and notes ---------------------------------------
def test_tickets_carry_state_priority_channel_and_due_times(api_as, agent, isannointi):
    import datetime as dt

    import time_machine

    from contacts.models import SlaPolicy

    SlaPolicy.objects.create(controller=isannointi, channel="chat", first_response_minutes=5, resolution_minutes=60)
    client = api_as(agent)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        answer = client.post(URL, {"title": "Chat", "channel": "chat", "priority": "high"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["state"], body["status"], body["priority"], body["channel"]) == ("new", "open", "high", "chat")
    assert body["first_response_due"] == "2026-03-02T11:05:00+02:00" and body["merged_into"] is None
    solved = client.patch(f"{URL}{body['id']}/", {"state": "solved", "priority": "urgent"}, format="json")
    assert (solved.json()["state"], solved.json()["status"], solved.json()["priority"]) == (
        "solved",
        "closed",
        "urgent",
    )
    assert client.get(URL, {"state": "solved"}).json()["results"][0]["id"] == body["id"]


def test_ticket_fields_refuse_bad_values(api_as, agent, isannointi):
    task = make_task(isannointi, channel="email")
    client = api_as(agent)
    assert client.patch(f"{URL}{task.pk}/", {"state": "bogus"}, format="json").status_code == 400
    assert client.patch(f"{URL}{task.pk}/", {"priority": 3}, format="json").status_code == 400
    assert client.patch(f"{URL}{task.pk}/", {"channel": "call"}, format="json").status_code == 400
    task.refresh_from_db()
    assert (task.state, task.priority, task.channel) == ("new", 2, "email")


def test_merge_action_moves_the_duplicate_into_the_target(api_as, agent, isannointi):
    from tests.factories import make_contact

    target, source = make_task(isannointi), make_task(isannointi)
    contact = make_contact(isannointi, task=source)
    client = api_as(agent)
    answer = client.post(f"{URL}{source.pk}/merge", {"target": target.pk}, format="json")
    assert answer.status_code == 200 and answer.json()["id"] == target.pk
    assert client.get(f"{URL}{source.pk}/").json()["merged_into"] == target.pk
    contact.refresh_from_db()
    assert contact.task_id == target.pk
    assert client.post(f"{URL}{source.pk}/merge", {"target": target.pk}, format="json").status_code == 409
    assert client.post(f"{URL}{target.pk}/merge", {"target": target.pk}, format="json").status_code == 409
    assert client.post(f"{URL}{target.pk}/merge", {}, format="json").status_code == 400


def test_merge_and_notes_of_another_controller_are_404(api_as, api, agent, outsider, colleague, isannointi, retta_oy):
    target, source = make_task(isannointi), make_task(isannointi)
    foreign = make_task(retta_oy)
    client = api_as(agent)
    assert client.post(f"{URL}{source.pk}/merge", {"target": foreign.pk}, format="json").status_code == 400
    other = api_as(outsider)
    assert other.post(f"{URL}{source.pk}/merge", {"target": target.pk}, format="json").status_code == 404
    assert other.get(f"{URL}{source.pk}/notes").status_code == 404
    assert other.post(f"{URL}{source.pk}/notes", {"body": "x"}, format="json").status_code == 404
    assert api_as(colleague).post(f"{URL}{source.pk}/notes", {"body": "x"}, format="json").status_code == 403
    assert APIClient().get(f"{URL}{source.pk}/notes").status_code == 401
    assert Task.objects.get(pk=source.pk).merged_into_id is None


def test_notes_action_adds_and_lists_internal_notes(api_as, agent, isannointi):
    task = make_task(isannointi)
    client = api_as(agent)
    added = client.post(f"{URL}{task.pk}/notes", {"body": " Soitettu "}, format="json")
    assert added.status_code == 201 and added.json()["body"] == "Soitettu" and added.json()["author"] == "agent"
    assert client.post(f"{URL}{task.pk}/notes", {"body": "  "}, format="json").status_code == 400
    assert client.post(f"{URL}{task.pk}/notes", {}, format="json").status_code == 400
    listed = client.get(f"{URL}{task.pk}/notes")
    assert [row["body"] for row in listed.json()] == ["Soitettu"]
    assert AuditEvent.objects.filter(object_type="contacts.tasknote", action="view").count() == 1
