"""Deferred erasure: a record an erasure keeps for a reason that ends (an open task, a legal hold)
goes with the first purge after the reason ends, not after its full retention, and the request
completes, with its letter, when its last pending record goes."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from complaints.services import legal_hold_place, legal_hold_release
from contacts.models import Contact, Task
from contacts.tickets import task_close
from privacy.models import PrivacyRequest
from retention.purge import purge
from tests.privacy.factories import api_verify_and_review

URL = "/api/v1/privacy-requests/"
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _erase(dpo_api, **subject):
    body = {"controller": "retta-isannointi", "kind": "erasure", **subject}
    pk = dpo_api.post(URL, body, format="json").json()["id"]
    api_verify_and_review(dpo_api, pk)
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.mark.django_db
def test_record_kept_for_an_open_task_is_erased_by_the_first_purge_after_the_task_closes(
    dpo_api, web_as, dpo, isannointi, subject_records
):
    with time_machine.travel(T0, tick=False):
        call = subject_records["call"]
        task = Task.all_controllers.create(controller=isannointi, title="Hana", customer=call.customer)
        Contact.all_controllers.filter(pk=call.pk).update(task=task)
        body = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
        request = PrivacyRequest.all_controllers.get(pk=body["id"])

        # Pending, and shown as such: the request is not complete, the API and the page say why.
        assert body["status"] == "in_progress"
        assert body["execution_report"]["pending"] == {"contacts.contact": {str(call.pk): ["open_task"]}}
        assert dpo_api.get(f"{URL}{request.pk}/").json()["execution_report"]["pending"]
        client = web_as(dpo)
        client.cookies["django_language"] = "en"
        page = client.get(f"/privacy/{request.pk}/").content.decode()
        pending = page.split('id="erasure-pending"')[1]
        assert f"no. {call.pk}" in pending and "linked to an open customer-service task" in pending
        # The subject has had the answer so far (what went, what waits and why).
        assert request.letters.filter(kind="erasure").count() == 1

    # A purge while the task is still open changes nothing.
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        purge(now=timezone.now())
    request.refresh_from_db()
    assert request.status == "in_progress"
    assert Contact.all_controllers.filter(pk=call.pk).exists()

    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        task_close(task=Task.all_controllers.get(pk=task.pk))
    # The next purge, long before the call's 180 days have run, erases it.
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        purge(now=timezone.now())

    assert not Contact.all_controllers.filter(pk=call.pk).exists()
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.completed_at == T0 + dt.timedelta(days=3)
    report = request.execution_report
    assert report["pending"] == {}
    assert call.pk in report["deleted"]["contacts.contact"]
    assert str(call.pk) not in report.get("kept", {}).get("contacts.contact", {})
    # Completed with its letter, which no longer lists anything as kept.
    letters = list(request.letters.filter(kind="erasure").order_by("pk"))
    assert len(letters) == 2
    assert "avoimeen asiakaspalvelutehtävään" not in letters[-1].body
    # The deferred pass is in the ledger too, for a restore.
    from privacy.erasure_ledger import ledger_entries

    assert any(call.pk in entry.records.get("contacts.contact", []) for entry in ledger_entries())


@pytest.mark.django_db
def test_record_kept_for_a_legal_hold_is_erased_by_the_first_purge_after_the_release(
    dpo_api, dpo, isannointi, subject_records
):
    email = subject_records["email"]
    with time_machine.travel(T0, tick=False):
        hold = legal_hold_place(
            controller=isannointi, actor=dpo, matter="Riita", reason="Haaste", scope="contacts", contacts=[email]
        )
        body = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
    assert body["execution_report"]["pending"] == {"contacts.contact": {str(email.pk): ["legal_hold"]}}

    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        legal_hold_release(hold=hold, actor=dpo, reason="Sovittu")
        purge(now=timezone.now())

    assert not Contact.all_controllers.filter(pk=email.pk).exists()
    request = PrivacyRequest.all_controllers.get(pk=body["id"])
    assert request.status == "completed"
    assert request.letters.filter(kind="erasure").count() == 2


@pytest.mark.django_db
def test_a_dry_run_or_another_controllers_purge_finishes_no_erasure(dpo_api, isannointi, retta_oy, subject_records):
    call = subject_records["call"]
    with time_machine.travel(T0, tick=False):
        task = Task.all_controllers.create(controller=isannointi, title="Hana")
        Contact.all_controllers.filter(pk=call.pk).update(task=task)
        body = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
        task_close(task=task)
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        purge(now=timezone.now(), dry_run=True)
        purge(now=timezone.now(), controller_ids=[retta_oy.pk])
    assert Contact.all_controllers.filter(pk=call.pk).exists()
    assert PrivacyRequest.all_controllers.get(pk=body["id"]).status == "in_progress"
