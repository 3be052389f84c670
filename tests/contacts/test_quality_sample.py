"""The quality sample page (/contacts/quality-sample/): a random sample of recently closed
contacts for quality review, a legitimate-interest use that leaves out subjects who objected."""

import datetime as dt

import pytest
import time_machine

from core.models import AuditEvent
from tests.factories import make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db
URL = "/contacts/quality-sample/"
NOW = dt.datetime(2026, 3, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sample_records(isannointi, retta_oy):
    closed = make_task(isannointi, status="closed", closed_at=NOW - dt.timedelta(days=1))
    open_task = make_task(isannointi)
    objector = make_customer(isannointi, name="Objector", processing_objected=True, processing_objected_at=NOW)
    recent = NOW - dt.timedelta(days=3)
    return {
        "reviewed": make_contact(isannointi, task=closed, occurred_at=recent, subject="Reviewable"),
        "objected_record": make_contact(
            isannointi, task=closed, occurred_at=recent, subject="Objected record", processing_objected=True
        ),
        "objected_customer": make_contact(
            isannointi, task=closed, occurred_at=recent, subject="Objector's contact", customer=objector
        ),
        "restricted": make_contact(isannointi, task=closed, occurred_at=recent, subject="Restricted", restricted=True),
        "open": make_contact(isannointi, task=open_task, occurred_at=recent, subject="Still open"),
        "old": make_contact(isannointi, task=closed, occurred_at=NOW - dt.timedelta(days=60), subject="Too old"),
        "other_controller": make_contact(
            retta_oy,
            task=make_task(retta_oy, status="closed", closed_at=NOW),
            occurred_at=recent,
            subject="Retta Oy contact",
        ),
    }


def _page(client, query=""):
    with time_machine.travel(NOW, tick=False):
        return client.get(URL + query)


def test_the_sample_leaves_out_subjects_who_objected(web_as, agent, sample_records):
    page = _page(web_as(agent), "?size=50")
    assert page.status_code == 200
    shown = {contact.pk for contact in page.context["contacts"]}
    assert shown == {sample_records["reviewed"].pk}
    assert "Objector&#x27;s contact" not in page.content.decode()
    assert AuditEvent.objects.filter(
        purpose="quality", action="view", object_id=str(sample_records["reviewed"].pk)
    ).exists()


def test_the_sample_period_and_size_are_honoured(web_as, dpo, sample_records):
    client = web_as(dpo)
    assert {c.pk for c in _page(client, "?days=90&size=50").context["contacts"]} == {
        sample_records["reviewed"].pk,
        sample_records["old"].pk,
        sample_records["other_controller"].pk,
    }
    assert len(_page(client, "?days=90&size=1").context["contacts"]) == 1
    only_oy = _page(client, "?controller=retta-oy&size=50").context["contacts"]
    assert {c.pk for c in only_oy} == {sample_records["other_controller"].pk}


@pytest.mark.parametrize("query", ["?days=0", "?days=181", "?size=51", "?size=x", "?controller=no-such"])
def test_bad_input_is_a_400_with_the_form(web_as, agent, sample_records, query):
    page = _page(web_as(agent), query)
    assert page.status_code == 400
    assert page.context["contacts"] == []


def test_unauthenticated_is_sent_to_log_in(client, sample_records):
    page = _page(client)
    assert page.status_code == 302 and "login" in page["Location"]


def test_a_role_without_customer_service_access_is_refused(web_as, admin_user, sample_records):
    assert _page(web_as(admin_user)).status_code == 403


def test_the_other_controller_is_not_found_and_its_contacts_never_shown(web_as, outsider, agent, sample_records):
    assert _page(web_as(agent), "?controller=retta-oy").status_code == 404
    page = _page(web_as(outsider), "?size=50")
    assert {c.pk for c in page.context["contacts"]} == {sample_records["other_controller"].pk}


def test_the_sample_is_in_the_navigation(web_as, agent, isannointi):
    assert URL in web_as(agent).get("/contacts/").content.decode()
