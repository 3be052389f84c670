"""No over-retention (issue 12, item 3a): a released hold or a disclosure entry does not keep an
expired complaint or task. The hold and the disclosure entry stay (evidence, accountability) with
their reference cleared; an active hold must still name what it holds.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from complaints.models import Complaint, ComplaintStatus, Disclosure, HoldScope, LegalHold
from complaints.services import legal_hold_place, legal_hold_release
from contacts.models import Task, TaskStatus
from retention.purge import purge, retention_plan
from tests.factories import make_complaint, make_disclosure, make_task

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - dt.timedelta(days=5 * 365)  # past every period


def _expired_complaint(controller):  # type: ignore[no-untyped-def]
    return make_complaint(controller, status=ComplaintStatus.CLOSED, closed_at=LONG_AGO)


def _released_hold(controller, dpo, **fields):  # type: ignore[no-untyped-def]
    hold = legal_hold_place(controller=controller, actor=dpo, matter="Riita", reason="Vaatimus", **fields)
    return legal_hold_release(hold=hold, actor=dpo, reason="Ratkaistu")


def test_a_released_hold_does_not_keep_an_expired_complaint(isannointi, dpo):
    complaint = _expired_complaint(isannointi)
    hold = _released_hold(isannointi, dpo, scope=HoldScope.COMPLAINT, complaint=complaint)
    assert "complaints.complaint" in retention_plan(now=timezone.now()).due

    purge(now=timezone.now())

    assert not Complaint.all_controllers.filter(pk=complaint.pk).exists()
    hold = LegalHold.all_controllers.get(pk=hold.pk)
    assert hold.complaint_id is None and hold.released_at is not None and hold.matter == "Riita"


def test_a_released_hold_does_not_keep_an_expired_task(isannointi, dpo):
    task = make_task(isannointi, status=TaskStatus.CLOSED, closed_at=LONG_AGO)
    hold = _released_hold(isannointi, dpo, scope=HoldScope.TASK, task=task)

    purge(now=timezone.now())

    assert not Task.all_controllers.filter(pk=task.pk).exists()
    assert LegalHold.all_controllers.get(pk=hold.pk).task_id is None


def test_a_disclosure_entry_does_not_keep_an_expired_complaint(isannointi):
    complaint = _expired_complaint(isannointi)
    disclosure = make_disclosure(isannointi, complaint=complaint, disclosed_at=timezone.now() - dt.timedelta(days=30))

    purge(now=timezone.now())

    assert not Complaint.all_controllers.filter(pk=complaint.pk).exists()
    # The entry stays for its own period, for accountability, without the complaint.
    disclosure = Disclosure.all_controllers.get(pk=disclosure.pk)
    assert disclosure.complaint_id is None and disclosure.recipient_name == "Vakuutusyhtiö Oy"


def test_an_active_hold_still_keeps_its_complaint(isannointi, dpo):
    complaint = _expired_complaint(isannointi)
    legal_hold_place(
        controller=isannointi,
        actor=dpo,
        matter="Riita",
        reason="Vaatimus",
        scope=HoldScope.COMPLAINT,
        complaint=complaint,
    )

    run = purge(now=timezone.now())

    assert Complaint.all_controllers.filter(pk=complaint.pk).exists()
    assert run.kept["complaints.complaint"] == {str(isannointi.pk): {"legal_hold": 1}}


def test_an_active_hold_must_name_what_it_holds_a_released_one_need_not(isannointi, dpo):
    fields = {"controller": isannointi, "matter": "Riita", "reason": "Vaatimus", "placed_by": dpo}
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalHold.all_controllers.create(scope=HoldScope.COMPLAINT, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalHold.all_controllers.create(scope=HoldScope.TASK, **fields)
    released = {"released_at": timezone.now(), "released_by": dpo}
    for scope in (HoldScope.COMPLAINT, HoldScope.TASK):
        assert LegalHold.all_controllers.create(scope=scope, **fields, **released).pk
