"""Who works where cannot be found out through the API (P9): assigning a task or a complaint to
staff of the other controller, to someone of another role, or to a name nobody has, is one and
the same answer. Integration accounts work through their tokens and never log into the UI."""

from __future__ import annotations

import pytest

from complaints.models import Complaint, ComplaintEvent
from core.models import AuditEvent
from core.roles import Role
from tests.factories import make_complaint, make_task, make_user

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"
COMPLAINTS = "/api/v1/complaints/"


@pytest.fixture
def other_handler(retta_oy):
    return make_user("other-handler", Role.COMPLAINTS, [retta_oy])


def _answers(client, method, url, field, names):  # type: ignore[no-untyped-def]
    answers = []
    for name in names:
        answer = getattr(client, method)(url, {field: name}, format="json")
        answers.append((answer.status_code, answer.json()))
    return answers


def test_assigning_a_task_to_the_other_controllers_agent_answers_like_an_unknown_name(
    api_as, agent, outsider, colleague, isannointi
):
    task = make_task(isannointi)
    names = ["nobody-at-all", outsider.username, colleague.username, "integration-x"]
    make_user("integration-x", Role.INTEGRATION, [isannointi])
    answers = _answers(api_as(agent), "patch", f"{TASKS}{task.pk}/", "assignee", names)
    assert {status for status, _body in answers} == {400}
    assert all(body == answers[0][1] for _status, body in answers), answers
    for name in names:
        assert name not in str(answers[0][1])


def test_a_dpo_of_both_controllers_assigning_a_task_across_controllers_gets_the_same_answer(
    api_as, dpo, outsider, isannointi
):
    make_user("agent-a", Role.AGENT, [isannointi])
    task = make_task(isannointi)
    # The DPO may read tasks, not change them: 403 alike for every name.
    answers = _answers(api_as(dpo), "patch", f"{TASKS}{task.pk}/", "assignee", ["nobody-at-all", outsider.username])
    assert answers[0] == answers[1]


def test_an_agent_granted_both_controllers_assigning_the_other_controllers_agent_gets_the_same_answer(
    api_as, isannointi, retta_oy, outsider
):
    both = make_user("agent-both", Role.AGENT, [isannointi, retta_oy])
    task = make_task(isannointi)
    # The outsider is assignable somewhere this agent works, but not at the task's controller.
    answers = _answers(api_as(both), "patch", f"{TASKS}{task.pk}/", "assignee", ["nobody-at-all", outsider.username])
    assert answers[0] == answers[1]
    assert answers[0][0] == 400


def test_choosing_a_complaint_handler_of_the_other_controller_answers_like_an_unknown_name(
    api_as, colleague, other_handler, agent, isannointi
):
    complaint = make_complaint(isannointi)
    names = ["nobody-at-all", other_handler.username, agent.username]
    answers = _answers(api_as(colleague), "patch", f"{COMPLAINTS}{complaint.pk}/", "handler", names)
    assert {status for status, _body in answers} == {400}
    assert all(body == answers[0][1] for _status, body in answers), answers


def test_a_dpo_of_both_controllers_choosing_a_handler_of_the_other_controller_gets_the_same_answer(
    api_as, dpo, other_handler, isannointi
):
    complaint = make_complaint(isannointi)
    names = ["nobody-at-all", other_handler.username]
    answers = _answers(api_as(dpo), "patch", f"{COMPLAINTS}{complaint.pk}/", "handler", names)
    assert answers[0] == answers[1]
    assert answers[0][0] == 400
    assert Complaint.objects.get(pk=complaint.pk).handler is None


# -- a handler given when the complaint is recorded ---------------------------------------------
def test_a_complaint_recorded_with_a_handler_has_that_handler(api_as, colleague, isannointi):
    answer = api_as(colleague).post(COMPLAINTS, {"subject": "Laskutusvirhe", "handler": colleague.username})
    assert answer.status_code == 201, answer.json()
    assert answer.json()["handler"] == colleague.username
    complaint = Complaint.objects.get(pk=answer.json()["id"])
    assert complaint.handler == colleague
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="assignment").exists()


def test_an_agent_recording_a_complaint_may_not_choose_its_handler(api_as, agent, colleague, isannointi):
    answer = api_as(agent).post(COMPLAINTS, {"subject": "Laskutusvirhe", "handler": colleague.username})
    assert answer.status_code == 403
    assert not Complaint.objects.exists()


def test_a_complaint_recorded_with_an_unassignable_handler_is_not_recorded(api_as, dpo, other_handler, isannointi):
    answer = api_as(dpo).post(
        COMPLAINTS,
        {"controller": "retta-isannointi", "subject": "Laskutusvirhe", "handler": other_handler.username},
        format="json",
    )
    assert answer.status_code == 400
    assert "handler" in answer.json()
    assert not Complaint.objects.exists()
    assert not AuditEvent.objects.filter(object_type="complaints.complaint").exists()


def test_a_complaint_recorded_without_a_handler_is_unassigned(api_as, colleague, isannointi):
    answer = api_as(colleague).post(COMPLAINTS, {"subject": "Laskutusvirhe"})
    assert answer.status_code == 201
    assert answer.json()["handler"] is None


# -- integration accounts and the UI -----------------------------------------------------------
def test_an_integration_account_cannot_log_into_the_ui(client, integration, agent):
    refused = client.post("/accounts/login/", {"username": integration.username, "password": "correct horse battery"})
    wrong = client.post("/accounts/login/", {"username": agent.username, "password": "not the password"})
    assert refused.status_code == wrong.status_code == 200
    assert refused.context["form"].errors == wrong.context["form"].errors
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    assert not AuditEvent.objects.filter(actor=integration, action="login").exists()


def test_staff_still_log_in(client, agent):
    answer = client.post("/accounts/login/", {"username": agent.username, "password": "correct horse battery"})
    assert answer.status_code == 302
