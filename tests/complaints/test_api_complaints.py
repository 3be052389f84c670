"""/api/v1/complaints/: create, list (the queue), read, edit and transition."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from complaints.models import Complaint, ComplaintStatus, HoldScope
from core.models import AuditEvent
from tests.complaints.factories import make_complaint, make_contact, make_hold, make_task

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def test_agent_creates_a_complaint_with_linked_contact(api_as, agent, isannointi):
    contact = make_contact(isannointi)
    answer = api_as(agent).post(URL, {"subject": "Laskutusvirhe", "contacts": [contact.pk]}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "received" and body["controller"] == "retta-isannointi"
    assert body["contacts"] == [contact.pk] and body["created_by"] == "agent"
    assert AuditEvent.objects.filter(action="create", object_type="complaints.complaint").count() == 1


def test_agent_cannot_read_or_change_complaints(api_as, agent, isannointi):
    complaint = make_complaint(isannointi)
    client = api_as(agent)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{complaint.pk}/").status_code == 403
    assert client.patch(f"{URL}{complaint.pk}/", {"subject": "x"}, format="json").status_code == 403
    assert client.post(f"{URL}{complaint.pk}/transition", {"to": "in_handling"}, format="json").status_code == 403


def test_unauthenticated_is_401(api):
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"subject": "x"}, format="json").status_code == 401


def test_bad_input_is_400_and_nothing_is_written(api_as, agent, isannointi, retta_oy):
    foreign_contact = make_contact(retta_oy)
    client = api_as(agent)
    assert client.post(URL, {"subject": ""}, format="json").status_code == 400
    answer = client.post(URL, {"subject": "X", "contacts": [foreign_contact.pk]}, format="json")
    assert answer.status_code == 400 and "contacts" in answer.json()
    answer = client.post(URL, {"subject": "X", "controller": "retta-oy"}, format="json")
    assert answer.status_code == 400 and "controller" in answer.json()
    assert client.post(URL, {"subject": "X", "kind": "praise"}, format="json").status_code == 400
    assert not Complaint.all_controllers.exists()


def test_dpo_of_two_controllers_must_choose_one(api_as, dpo):
    answer = api_as(dpo).post(URL, {"subject": "X"}, format="json")
    assert answer.status_code == 400 and "controller" in answer.json()
    assert api_as(dpo).post(URL, {"subject": "X", "controller": "retta-oy"}, format="json").status_code == 201


def test_queue_lists_oldest_first_with_filters_and_held_flag(api_as, colleague, isannointi):
    now = timezone.now()
    newest = make_complaint(isannointi, received_at=now, kind="feedback")
    oldest = make_complaint(isannointi, received_at=now - dt.timedelta(days=10), handler=colleague)
    middle = make_complaint(isannointi, received_at=now - dt.timedelta(days=5), status="in_handling")
    make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=middle, subject_emails=[])
    client = api_as(colleague)
    results = client.get(URL).json()["results"]
    assert [r["id"] for r in results] == [oldest.pk, middle.pk, newest.pk]
    assert [r["held"] for r in results] == [False, True, False]
    assert [r["id"] for r in client.get(URL, {"status": "in_handling"}).json()["results"]] == [middle.pk]
    assert [r["id"] for r in client.get(URL, {"kind": "feedback"}).json()["results"]] == [newest.pk]
    assert [r["id"] for r in client.get(URL, {"handler": "colleague"}).json()["results"]] == [oldest.pk]
    before = (now - dt.timedelta(days=3)).isoformat()
    assert [r["id"] for r in client.get(URL, {"received_before": before}).json()["results"]] == [oldest.pk, middle.pk]
    assert client.get(URL, {"status": "nonsense"}).status_code == 400
    assert AuditEvent.objects.filter(action="view", object_type="complaints.complaint").exists()


def test_queue_shows_only_own_controllers(api_as, colleague, isannointi, retta_oy):
    make_complaint(retta_oy)
    mine = make_complaint(isannointi)
    assert [r["id"] for r in api_as(colleague).get(URL).json()["results"]] == [mine.pk]


def test_other_controllers_complaint_is_404(api_as, other_handler, isannointi):
    complaint = make_complaint(isannointi)
    client = api_as(other_handler)
    assert client.get(f"{URL}{complaint.pk}/").status_code == 404
    assert client.patch(f"{URL}{complaint.pk}/", {"subject": "x"}, format="json").status_code == 404
    assert client.post(f"{URL}{complaint.pk}/transition", {"to": "in_handling"}, format="json").status_code == 404


def test_handler_edits_and_assigns(api_as, colleague, isannointi):
    complaint = make_complaint(isannointi)
    task = make_task(isannointi)
    answer = api_as(colleague).patch(
        f"{URL}{complaint.pk}/", {"resolution": "Hyvitys", "handler": "colleague", "tasks": [task.pk]}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    complaint.refresh_from_db()
    assert complaint.resolution == "Hyvitys" and complaint.handler == colleague
    assert list(complaint.tasks.all()) == [task]


def test_status_cannot_be_patched(api_as, colleague, isannointi):
    complaint = make_complaint(isannointi)
    api_as(colleague).patch(f"{URL}{complaint.pk}/", {"status": "closed"}, format="json")
    complaint.refresh_from_db()
    assert complaint.status == "received"


def test_handler_cannot_be_an_agent(api_as, colleague, agent, isannointi):
    complaint = make_complaint(isannointi)
    answer = api_as(colleague).patch(f"{URL}{complaint.pk}/", {"handler": "agent"}, format="json")
    assert answer.status_code == 400 and "handler" in answer.json()


def test_transition_happy_path_and_errors(api_as, colleague, isannointi):
    complaint = make_complaint(isannointi, resolution="Korjattu")
    client = api_as(colleague)
    url = f"{URL}{complaint.pk}/transition"
    answer = client.post(url, {"to": "in_handling", "note": "Otettu käsittelyyn"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "in_handling"
    assert answer.json()["allowed_transitions"] == ["resolved", "withdrawn"]
    unknown = client.post(url, {"to": "archived"}, format="json")
    assert unknown.status_code == 400 and "to" in unknown.json()
    assert client.post(url, {}, format="json").status_code == 400
    illegal = client.post(url, {"to": "closed"}, format="json")
    assert illegal.status_code == 409
    assert (
        illegal.json()["code"] == "illegal_transition" and "Suljettu" in illegal.json()["detail"]
    )  # the default language is Finnish
    for to in ("resolved", "closed"):
        assert client.post(url, {"to": to}, format="json").status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at is not None
    assert client.patch(f"{URL}{complaint.pk}/", {"subject": "x"}, format="json").status_code == 409


def test_openapi_schema_lists_the_endpoints(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/complaints/",
        "/api/v1/complaints/{id}/",
        "/api/v1/complaints/{id}/transition",
        "/api/v1/disclosures/",
        "/api/v1/legal-holds/",
        "/api/v1/legal-holds/{id}/release",
    ):
        assert path in schema["paths"], path
