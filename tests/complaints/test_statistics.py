"""Complaint statistics (/complaints/statistics/): counts by month and kind for reports and
development, a legitimate-interest use that does not count subjects who objected."""

import datetime as dt

import pytest
import time_machine

from tests.factories import make_complaint, make_customer

pytestmark = pytest.mark.django_db
URL = "/complaints/statistics/"
NOW = dt.datetime(2026, 3, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def complaints(isannointi, retta_oy):
    objector = make_customer(isannointi, name="Objector", processing_objected=True, processing_objected_at=NOW)
    march, february = NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=30)
    make_complaint(isannointi, received_at=march)
    make_complaint(isannointi, received_at=march, kind="feedback")
    make_complaint(isannointi, received_at=february)
    make_complaint(isannointi, received_at=march, processing_objected=True)
    make_complaint(isannointi, received_at=march, complainant=objector)
    make_complaint(isannointi, received_at=march, restricted=True)
    make_complaint(isannointi, received_at=NOW - dt.timedelta(days=800))
    make_complaint(retta_oy, received_at=march)


def _page(client, query=""):
    with time_machine.travel(NOW, tick=False):
        return client.get(URL + query)


def _counts(page):
    return [(row["month"].strftime("%Y-%m"), row["complaints"], row["feedback"]) for row in page.context["rows"]]


def test_statistics_do_not_count_subjects_who_objected(web_as, colleague, complaints):
    page = _page(web_as(colleague))
    assert page.status_code == 200
    assert _counts(page) == [("2026-02", 1, 0), ("2026-03", 1, 1)]


def test_the_dpo_sees_both_controllers_or_one(web_as, dpo, complaints):
    client = web_as(dpo)
    assert _counts(_page(client)) == [("2026-02", 1, 0), ("2026-03", 2, 1)]
    assert _counts(_page(client, "?controller=retta-oy")) == [("2026-03", 1, 0)]
    assert _counts(_page(client, "?months=1")) == [("2026-03", 2, 1)]
    assert _counts(_page(client, "?months=36"))[0] == ("2024-01", 1, 0)


@pytest.mark.parametrize("query", ["?months=0", "?months=37", "?months=x", "?controller=no-such"])
def test_bad_input_is_a_400_with_the_form(web_as, colleague, complaints, query):
    page = _page(web_as(colleague), query)
    assert page.status_code == 400 and page.context["rows"] == []


def test_unauthenticated_is_sent_to_log_in(client, complaints):
    page = _page(client)
    assert page.status_code == 302 and "login" in page["Location"]


def test_an_agent_may_not_read_complaint_statistics(web_as, agent, complaints):
    assert _page(web_as(agent)).status_code == 403


def test_the_other_controller_is_not_found(web_as, colleague, complaints):
    assert _page(web_as(colleague), "?controller=retta-oy").status_code == 404
