"""Releasing a legal hold hands its records back to the retention rules (P7, P8), so the DPO is
first shown what the hold covers and what the purge may then delete, and must confirm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.holds import hold_coverage
from complaints.models import HoldScope
from core.models import AuditEvent
from tests.complaints.factories import make_complaint, make_contact, make_hold, make_task

pytestmark = pytest.mark.django_db


def _ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _coverage(hold) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {row.key: (row.held, row.freed) for row in hold_coverage(hold)}


def test_coverage_counts_what_the_hold_keeps_and_what_the_purge_may_then_delete(isannointi):
    complaint = make_complaint(isannointi, status="closed", closed_at=_ago(4 * 365))
    old = make_contact(isannointi, occurred_at=_ago(200))
    recent = make_contact(isannointi, occurred_at=_ago(10))
    in_open_task = make_contact(isannointi, occurred_at=_ago(300), task=make_task(isannointi))
    complaint.contacts.set([old, recent, in_open_task])
    hold = make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=complaint, subject_emails=[])
    coverage = _coverage(hold)
    assert coverage["complaints.complaint"] == (1, 1)
    # the recent contact is not yet due; the one in an open task is kept by the task anyway
    assert coverage["contacts.contact"] == (3, 1)


def test_rows_another_hold_keeps_are_not_counted_as_freed(isannointi):
    contact = make_contact(isannointi, occurred_at=_ago(200), email_normalized="maija@example.fi")
    first = make_hold(isannointi, scope=HoldScope.CONTACTS, contacts=[contact], subject_emails=[])
    assert _coverage(first)["contacts.contact"] == (1, 1)
    make_hold(isannointi, scope=HoldScope.SUBJECT, subject_emails=["maija@example.fi"])
    assert _coverage(first)["contacts.contact"] == (1, 0)


def test_a_subject_hold_counts_only_its_own_controllers_records(isannointi, retta_oy):
    make_contact(isannointi, occurred_at=_ago(200), email_normalized="maija@example.fi")
    make_contact(retta_oy, occurred_at=_ago(200), email_normalized="maija@example.fi")
    hold = make_hold(isannointi, scope=HoldScope.SUBJECT, subject_emails=["maija@example.fi"])
    assert _coverage(hold)["contacts.contact"] == (1, 1)


def test_coverage_costs_the_same_queries_for_one_record_or_many(isannointi):
    task = make_task(isannointi)
    hold = make_hold(isannointi, scope=HoldScope.TASK, task=task, subject_emails=[])
    make_contact(isannointi, occurred_at=_ago(200), task=task)
    with CaptureQueriesContext(connection) as one:
        hold_coverage(hold)
    for _ in range(30):
        make_contact(isannointi, occurred_at=_ago(200), task=task)
    with CaptureQueriesContext(connection) as many:
        assert dict(_coverage(hold))["contacts.contact"][0] == 31
    assert len(many) == len(one)


def test_release_page_names_the_scope_and_what_the_purge_may_delete(web_as, dpo, isannointi):
    complaint = make_complaint(isannointi, subject="Vesivahinko", status="closed", closed_at=_ago(4 * 365))
    complaint.contacts.set([make_contact(isannointi, occurred_at=_ago(200))])
    hold = make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=complaint, subject_emails=[])
    response = web_as(dpo).get(reverse("complaints:hold_release", args=[hold.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vesivahinko" in html and "A complaint and everything linked to it" in html
    assert 'data-key="contacts.contact"' in html and 'data-key="complaints.complaint"' in html
    assert "2 records are already past their retention date" in html.split('id="hold-freed">')[1]
    assert 'name="confirm"' in html
    assert AuditEvent.objects.filter(action="view", object_type="complaints.legalhold", object_id=str(hold.pk))


def test_release_without_the_confirmation_keeps_the_hold(web_as, dpo, isannointi):
    hold = make_hold(isannointi)
    url = reverse("complaints:hold_release", args=[hold.pk])
    response = web_as(dpo).post(url, {"reason": "Sovittu"})
    assert response.status_code == 400 and response.context["form"].errors["confirm"]
    hold.refresh_from_db()
    assert hold.is_active and not AuditEvent.objects.filter(action="release_hold").exists()


def test_confirmed_release_releases_and_is_audited(web_as, dpo, isannointi):
    hold = make_hold(isannointi)
    response = web_as(dpo).post(
        reverse("complaints:hold_release", args=[hold.pk]), {"reason": "Sovittu", "confirm": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("complaints:hold_detail", args=[hold.pk])
    hold.refresh_from_db()
    assert not hold.is_active and hold.released_by == dpo
    assert AuditEvent.objects.filter(action="release_hold", object_id=str(hold.pk)).count() == 1


def test_release_page_of_a_released_hold_says_so(web_as, dpo, isannointi):
    hold = make_hold(isannointi, released_at=timezone.now(), released_by=dpo, release_reason="x")
    response = web_as(dpo).get(reverse("complaints:hold_release", args=[hold.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("complaints:hold_detail", args=[hold.pk])
    assert b'class="message error"' in response.content


def test_release_page_needs_login(client, isannointi):
    hold = make_hold(isannointi)
    for method in (client.get, client.post):
        response = method(reverse("complaints:hold_release", args=[hold.pk]), {"reason": "x", "confirm": "on"})
        assert response.status_code == 302 and "/accounts/login" in response["Location"]
    hold.refresh_from_db()
    assert hold.is_active


def test_hold_page_leads_to_the_release_page(web_as, dpo, isannointi):
    hold = make_hold(isannointi)
    html = web_as(dpo).get(reverse("complaints:hold_detail", args=[hold.pk])).content.decode()
    assert f'href="{reverse("complaints:hold_release", args=[hold.pk])}"' in html
    assert 'id="release-form"' not in html
