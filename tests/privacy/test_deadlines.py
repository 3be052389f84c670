"""Art. 12(3): a month from the day of receipt in Helsinki, extendable once by two further months
counted from the original due date."""

import datetime as dt

import pytest
import time_machine

from privacy import deadlines
from tests.privacy.factories import make_privacy_request

UTC = dt.UTC


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.datetime(2026, 3, 15, 10, 0, tzinfo=UTC), dt.date(2026, 4, 15)),
        (dt.datetime(2027, 1, 31, 10, 0, tzinfo=UTC), dt.date(2027, 2, 28)),
        (dt.datetime(2028, 1, 31, 10, 0, tzinfo=UTC), dt.date(2028, 2, 29)),
        (dt.datetime(2026, 12, 15, 10, 0, tzinfo=UTC), dt.date(2027, 1, 15)),
        (dt.datetime(2026, 8, 31, 10, 0, tzinfo=UTC), dt.date(2026, 9, 30)),
    ],
)
def test_due_the_same_date_next_month_or_its_last_day(received, due):
    assert deadlines.due_date(received) == due


def test_a_request_at_2330_utc_on_31_january_is_received_on_1_february():
    received = dt.datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    assert deadlines.receipt_day(received) == dt.date(2027, 2, 1)
    assert deadlines.due_date(received) == dt.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("received", "latest"),
    [
        # Due 28 February; two further months from that date, not three months from receipt.
        (dt.datetime(2027, 1, 31, 10, tzinfo=UTC), dt.date(2027, 4, 28)),
        (dt.datetime(2027, 1, 30, 10, tzinfo=UTC), dt.date(2027, 4, 28)),
        (dt.datetime(2027, 1, 29, 10, tzinfo=UTC), dt.date(2027, 4, 28)),
        (dt.datetime(2028, 1, 31, 10, tzinfo=UTC), dt.date(2028, 4, 29)),
        # Due 30 September, then 30 November: the two readings agree.
        (dt.datetime(2026, 8, 31, 10, tzinfo=UTC), dt.date(2026, 11, 30)),
        (dt.datetime(2026, 11, 30, 12, tzinfo=UTC), dt.date(2027, 2, 28)),
        (dt.datetime(2026, 12, 31, 12, tzinfo=UTC), dt.date(2027, 3, 31)),
        # 23:30 UTC on 31 December is 1 January in Helsinki: due 1 February, at most 1 April.
        (dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), dt.date(2027, 4, 1)),
    ],
)
def test_an_extension_adds_two_months_to_the_original_due_date(received, latest):
    assert deadlines.latest_extended_due_date(deadlines.due_date(received)) == latest


@pytest.mark.django_db
def test_an_extension_past_two_months_from_the_original_due_date_is_refused(isannointi, dpo_api):
    with time_machine.travel(dt.datetime(2027, 1, 31, 10, tzinfo=UTC), tick=False):
        request = make_privacy_request(isannointi)
        url = f"/api/v1/privacy-requests/{request.pk}/extend/"
        # Three months from receipt would be 30 April; two from the due date (28 February) is 28 April.
        refused = dpo_api.post(url, {"reason": "r", "due_at": "2027-04-30"}, format="json")
        assert refused.status_code == 400 and "due_at" in refused.json()
        answer = dpo_api.post(url, {"reason": "Tallenteita on paljon"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["due_at"] == "2027-04-28"


@pytest.mark.django_db
def test_request_due_date_follows_receipt(isannointi):
    request = make_privacy_request(isannointi, received_at=dt.datetime(2027, 1, 31, 23, 30, tzinfo=UTC))
    assert request.due_at == request.original_due_at == dt.date(2027, 3, 1)


@pytest.mark.django_db
def test_extension_once_with_reason_before_the_original_due_date(isannointi, dpo_api):
    with time_machine.travel(dt.datetime(2026, 3, 15, 10, tzinfo=UTC), tick=False):
        request = make_privacy_request(isannointi)
        url = f"/api/v1/privacy-requests/{request.pk}/extend/"
        assert dpo_api.post(url, {}, format="json").status_code == 400
        assert dpo_api.post(url, {"reason": "x", "due_at": "2026-07-16"}, format="json").status_code == 400
        answer = dpo_api.post(url, {"reason": "Tallenteita on paljon"}, format="json")
        assert answer.status_code == 200, answer.content
        assert answer.json()["due_at"] == "2026-06-15"
        assert answer.json()["extension_reason"] == "Tallenteita on paljon"
        assert dpo_api.post(url, {"reason": "again"}, format="json").status_code == 409
    request.refresh_from_db()
    assert request.letters.filter(kind="extension").count() == 1
    assert "Tallenteita on paljon" in request.letters.get(kind="extension").body


@pytest.mark.django_db
def test_extension_after_the_original_due_date_is_refused(isannointi, dpo_api):
    with time_machine.travel(dt.datetime(2026, 3, 15, 10, tzinfo=UTC), tick=False):
        request = make_privacy_request(isannointi)
    with time_machine.travel(dt.datetime(2026, 4, 16, 10, tzinfo=UTC), tick=False):
        answer = dpo_api.post(f"/api/v1/privacy-requests/{request.pk}/extend/", {"reason": "late"}, format="json")
    assert answer.status_code == 409
    assert answer.json()["code"] == "too_late"


@pytest.mark.django_db
def test_extension_to_a_chosen_date_within_two_months(isannointi, dpo_api):
    with time_machine.travel(dt.datetime(2026, 3, 15, 10, tzinfo=UTC), tick=False):
        request = make_privacy_request(isannointi)
        answer = dpo_api.post(
            f"/api/v1/privacy-requests/{request.pk}/extend/", {"reason": "r", "due_at": "2026-05-15"}, format="json"
        )
    assert answer.status_code == 200
    assert answer.json()["due_at"] == "2026-05-15"
