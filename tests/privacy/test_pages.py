"""The DPO's pages: dashboard by due date, a request with all its steps, letters, art. 30."""

import datetime as dt

import pytest
import time_machine

from contacts.models import Contact
from core.models import AuditEvent
from privacy.models import PrivacyRequest
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db


def test_dashboard_lists_open_requests_by_due_date_and_flags_overdue(web_as, dpo, isannointi):
    with time_machine.travel(dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC)):
        old = make_privacy_request(isannointi)
    recent = make_privacy_request(isannointi, kind="erasure")
    page = web_as(dpo).get("/privacy/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(f"/privacy/{old.pk}/") < html.index(f"/privacy/{recent.pk}/")
    assert html.count('class="badge overdue"') == 1


def test_pages_need_the_dpo_role(web_as, client, agent, isannointi):
    request = make_privacy_request(isannointi)
    assert client.get("/privacy/").status_code == 302
    agent_client = web_as(agent)
    for url in [
        "/privacy/",
        "/privacy/new/",
        f"/privacy/{request.pk}/",
        "/privacy/record-of-processing/retta-isannointi/",
    ]:
        assert agent_client.get(url).status_code == 403
    assert agent_client.post(f"/privacy/{request.pk}/verify-identity/", {"method": "other"}).status_code == 403


def test_the_other_controllers_request_is_404(web_as, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    request = make_privacy_request(isannointi)
    client = web_as(make_user("dpo-oy", Role.DPO, [retta_oy]))
    assert client.get(f"/privacy/{request.pk}/").status_code == 404
    assert client.post(f"/privacy/{request.pk}/verify-identity/", {"method": "document_seen"}).status_code == 404
    assert client.get("/privacy/record-of-processing/retta-isannointi/").status_code == 404
    request.refresh_from_db()
    assert not request.identity_verified


def test_a_request_through_the_pages(web_as, dpo, isannointi, subject_records):
    client = web_as(dpo)
    answer = client.post(
        "/privacy/new/",
        {
            "controller": "retta-isannointi",
            "kind": "erasure",
            "name": "Maija",
            "email": "maija@example.fi",
            "channel": "email",
            "language": "sv",
        },
    )
    request = PrivacyRequest.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/privacy/{request.pk}/"
    # Erasing before the identity check: the confirmation step says why it waits, and offers no button.
    answer = client.post(f"/privacy/{request.pk}/execute/", {}, follow=True)
    assert 'id="erasure-waiting"' in answer.content.decode() and 'id="confirm-erasure"' not in answer.content.decode()
    answer = client.post(f"/privacy/{request.pk}/execute/", {"confirm": "1"}, follow=True)
    assert 'class="message error"' in answer.content.decode()
    assert Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()
    assert client.post(f"/privacy/{request.pk}/verify-identity/", {"method": "other"}).status_code == 302
    request.refresh_from_db()
    assert not request.identity_verified
    client.post(f"/privacy/{request.pk}/verify-identity/", {"method": "document_seen", "note": "passi"})
    # A passport proves the person, not the address: a reply from it does.
    client.post(f"/privacy/{request.pk}/verify-identity/", {"method": "email_on_file"})
    client.post(f"/privacy/{request.pk}/discover/")
    page = client.get(f"/privacy/{request.pk}/")
    assert page.status_code == 200 and "Vuotava hana" in page.content.decode()
    client.post(f"/privacy/{request.pk}/matches/", {})
    client.post(f"/privacy/{request.pk}/execute/", {"confirm": "1"})
    request.refresh_from_db()
    assert request.status == "completed" and request.execution_report["deleted"]
    letter = request.letters.get(kind="erasure")
    assert letter.language == "sv"
    assert client.get(f"/privacy/letters/{letter.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="view", object_type="privacy.privacyrequest").exists()


def test_new_request_form_bad_input_and_from_an_email(web_as, dpo, isannointi, subject_records):
    client = web_as(dpo)
    answer = client.post(
        "/privacy/new/", {"controller": "retta-isannointi", "kind": "access", "channel": "email", "language": "fi"}
    )
    assert answer.status_code == 200 and not PrivacyRequest.objects.exists()
    email = subject_records["email"]
    form = client.get(f"/privacy/new/?controller=retta-isannointi&from_contact={email.pk}")
    assert form.status_code == 200
    client.post(
        "/privacy/new/",
        {
            "controller": "retta-isannointi",
            "kind": "access",
            "channel": "email",
            "language": "fi",
            "from_contact": email.pk,
        },
    )
    assert PrivacyRequest.objects.get().email == "maija@example.fi"


def test_export_progress_and_download_pages(web_as, dpo, isannointi, subject_records, eager_tasks):
    client = web_as(dpo)
    request = make_privacy_request(isannointi, verified=True)
    assert client.get(f"/privacy/{request.pk}/download/").status_code == 302
    client.post(f"/privacy/{request.pk}/discover/")
    client.post(f"/privacy/{request.pk}/matches/", {})
    client.post(f"/privacy/{request.pk}/execute/", {})
    progress = client.get(f"/privacy/{request.pk}/export/progress/")
    assert "download-export" in progress.content.decode()
    download = client.get(f"/privacy/{request.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"


def test_restriction_lift_through_the_pages_needs_the_notice_first(web_as, dpo, isannointi, subject_records):
    client = web_as(dpo)
    request = make_privacy_request(isannointi, kind="restriction", verified=True)
    client.post(f"/privacy/{request.pk}/discover/")
    client.post(f"/privacy/{request.pk}/matches/", {})
    client.post(f"/privacy/{request.pk}/execute/", {"basis": "accuracy_contested"})
    request.refresh_from_db()
    assert request.restriction_active
    client.post(f"/privacy/{request.pk}/lift-restriction/")
    request.refresh_from_db()
    assert request.restriction_active
    client.post(f"/privacy/{request.pk}/letters/", {"kind": "restriction_lift", "language": "fi"})
    client.post(f"/privacy/{request.pk}/lift-restriction/")
    request.refresh_from_db()
    assert not request.restriction_active


def test_record_of_processing_is_generated_from_the_declarations(web_as, dpo, isannointi, settings):
    settings.RETENTION_CONTACT_DAYS = 90
    client = web_as(dpo)
    page = client.get("/privacy/record-of-processing/retta-isannointi/")
    html = page.content.decode()
    assert page.status_code == 200 and "0871684-7" in html and "(90 päivää)" in html
    printable = client.get("/privacy/record-of-processing/retta-isannointi/?print=1")
    assert printable.status_code == 200 and "record-date" in printable.content.decode()
    assert client.get("/privacy/record-of-processing/").status_code == 200
    assert client.get("/privacy/record-of-processing/nope/").status_code == 404


def test_notes_and_assignee_are_recorded(web_as, dpo, isannointi):
    request = make_privacy_request(isannointi)
    client = web_as(dpo)
    client.post(f"/privacy/{request.pk}/notes/", {"notes": "Soitettava takaisin", "assignee": dpo.pk})
    request.refresh_from_db()
    assert request.notes == "Soitettava takaisin" and request.assignee == dpo
    assert client.post(f"/privacy/{request.pk}/notes/", {"assignee": 999999}).status_code == 302
    request.refresh_from_db()
    assert request.assignee == dpo
