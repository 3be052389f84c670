"""The DPO's request page: readable (record types by name, Helsinki time, translated labels),
erasure asks first, identifiers are verified and added on the page."""

import datetime as dt

import pytest

from contacts.models import Contact
from contacts.services import contact_record
from core.models import AuditEvent
from core.roles import Role
from privacy.discovery import matches_review, request_discover
from privacy.models import RequestIdentifier
from tests.factories import make_user
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db
# 23:30 UTC on 31 January is 01:30 on 1 February in Helsinki.
LATE = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)


def _in_english(client):
    client.cookies["django_language"] = "en"
    return client


def _reviewed(isannointi, dpo, **fields):
    request = make_privacy_request(isannointi, verified=True, **fields)
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    return request


def test_the_page_shows_record_types_by_name_fields_translated_and_times_in_helsinki(
    web_as, dpo, isannointi, subject_records
):
    contact_record(
        controller=isannointi, channel="call", occurred_at=LATE, name="Maija Meikäläinen", phone="040 123 4567"
    )
    request = _reviewed(isannointi, dpo, phone="040 123 4567")
    english = _in_english(web_as(dpo)).get(f"/privacy/{request.pk}/").content.decode()
    assert "Customer-service contacts (emails, calls, chats)" in english
    assert "contacts.contact" not in english and "occurred_at" not in english
    assert "<b>Occurred at</b>: 01/02/2026 01:30" in english
    assert "<b>Channel</b>: Call" in english
    client = web_as(dpo)
    client.cookies["django_language"] = "fi"
    finnish = client.get(f"/privacy/{request.pk}/").content.decode()
    assert "<b>Kanava</b>: Puhelu" in finnish and "1.2.2026 1.30" in finnish
    assert "T23:30:00" not in finnish


def test_the_execution_report_names_record_types_and_reasons_in_words(web_as, dpo, isannointi, subject_records):
    from contacts.models import Task

    task = Task.all_controllers.create(controller=isannointi, title="Hana")
    Contact.all_controllers.filter(pk=subject_records["email"].pk).update(task=task)
    request = _reviewed(isannointi, dpo, kind="erasure")
    client = _in_english(web_as(dpo))
    client.post(f"/privacy/{request.pk}/execute/", {"confirm": "1"})
    report = client.get(f"/privacy/{request.pk}/").content.decode().split('id="execution-report"')[1]
    assert f"Customer-service contacts (emails, calls, chats) no. {subject_records['email'].pk}" in report
    assert "linked to an open customer-service task" in report
    assert "contacts.contact" not in report and "open_task" not in report


def test_erasure_asks_first_on_a_page_naming_what_will_be_deleted(web_as, dpo, isannointi, subject_records):
    request = _reviewed(isannointi, dpo, kind="erasure")
    client = _in_english(web_as(dpo))
    # The button of the request page leads to the confirmation; a POST without it erases nothing.
    answer = client.post(f"/privacy/{request.pk}/execute/", {})
    assert answer.status_code == 302 and answer["Location"] == f"/privacy/{request.pk}/erase/"
    assert Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()
    page = client.get(f"/privacy/{request.pk}/erase/").content.decode()
    preview = page.split('id="erasure-preview"')[1]
    assert "Customer-service contacts (emails, calls, chats)</td><td>2</td>" in preview
    assert "Email attachments</td><td>1</td>" in preview
    assert 'id="confirm-erasure"' in preview and "cannot be undone" in preview
    assert client.post(f"/privacy/{request.pk}/execute/", {"confirm": "1"}).status_code == 302
    assert not Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()
    request.refresh_from_db()
    assert request.status == "completed"


def test_the_erasure_confirmation_waits_for_the_review(web_as, dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, kind="erasure", verified=True)
    request_discover(request=request, actor=dpo)
    page = _in_english(web_as(dpo)).get(f"/privacy/{request.pk}/erase/").content.decode()
    assert 'id="erasure-waiting"' in page and 'id="confirm-erasure"' not in page


def test_the_erasure_confirmation_is_for_the_dpo_of_that_controller(
    web_as, client, agent, dpo, isannointi, retta_oy, subject_records
):
    request = _reviewed(isannointi, dpo, kind="erasure")
    url = f"/privacy/{request.pk}/erase/"
    assert client.get(url).status_code == 302
    assert web_as(agent).get(url).status_code == 403
    assert web_as(make_user("dpo-oy", Role.DPO, [retta_oy])).get(url).status_code == 404
    access = _reviewed(isannointi, dpo, kind="access")
    assert web_as(dpo).get(f"/privacy/{access.pk}/erase/").status_code == 404


def test_identifiers_are_verified_and_added_on_the_page(web_as, dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, phone="040 123 4567")
    client = _in_english(web_as(dpo))
    page = client.get(f"/privacy/{request.pk}/").content.decode()
    assert page.count("Not verified") == 2
    client.post(
        f"/privacy/{request.pk}/verify-identity/",
        {"method": "other", "note": "soitto", "identifiers": ["+358401234567"]},
    )
    assert RequestIdentifier.objects.get(request=request, kind="phone").verified
    assert not RequestIdentifier.objects.get(request=request, kind="email").verified
    answer = client.post(f"/privacy/{request.pk}/identifiers/", {"value": "Maija@Koti.fi"}, follow=True)
    assert "maija@koti.fi" in answer.content.decode()
    bad = client.post(f"/privacy/{request.pk}/identifiers/", {"value": "not valid"}, follow=True)
    assert 'class="message error"' in bad.content.decode()
    assert request.identifiers.count() == 3
    wrong_kind = client.post(
        f"/privacy/{request.pk}/verify-identity/", {"method": "email_on_file", "identifiers": ["maija@koti.fi"]}
    )
    assert wrong_kind.status_code == 302
    assert RequestIdentifier.objects.get(value="maija@koti.fi").verified


def test_the_identifier_form_is_for_the_dpo_of_that_controller(web_as, client, agent, isannointi, retta_oy):
    request = make_privacy_request(isannointi)
    url = f"/privacy/{request.pk}/identifiers/"
    assert client.post(url, {"value": "040 123 4567"}).status_code == 302
    assert web_as(agent).post(url, {"value": "040 123 4567"}).status_code == 403
    assert web_as(make_user("dpo-oy", Role.DPO, [retta_oy])).post(url, {"value": "040 123 4567"}).status_code == 404
    assert request.identifiers.count() == 1


def test_a_match_through_an_unverified_number_is_shown_as_left_out(web_as, dpo, isannointi, subject_records):
    request = make_privacy_request(isannointi, phone="050 111 2222", verified=False)
    client = _in_english(web_as(dpo))
    client.post(f"/privacy/{request.pk}/verify-identity/", {"method": "email_on_file"})
    client.post(f"/privacy/{request.pk}/discover/")
    page = client.get(f"/privacy/{request.pk}/").content.decode()
    stranger_row = page.split(f"no. {subject_records['stranger'].pk}")[1].split("</tr>")[0]
    assert "+358501112222" in stranger_row and "Not verified" in stranger_row
    assert AuditEvent.objects.filter(action="view", object_type="contacts.contact").exists()
