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
