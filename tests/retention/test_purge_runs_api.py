"""GET|POST /api/v1/purge-runs/: DPO only, 409 while a run is in progress, counts per controller."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact
from core.models import AuditAction, AuditEvent
from retention.models import PurgeRun, PurgeRunStatus
from tests.factories import make_contact, make_user
from tests.retention.factories import make_purge_run

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/purge-runs/"


def _old(controller):  # type: ignore[no-untyped-def]
    return make_contact(controller, occurred_at=timezone.now() - dt.timedelta(days=200))


def test_dpo_starts_a_run_of_their_controllers(api_as, dpo, isannointi, retta_oy):
    _old(isannointi)
    _old(retta_oy)
    response = api_as(dpo).post(URL, {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "finished"
    assert body["dry_run"] is False
    assert body["deleted"]["contacts.contact"] == {"retta-isannointi": 1, "retta-oy": 1}
    assert not Contact.all_controllers.exists()
    assert AuditEvent.objects.filter(action=AuditAction.PURGE, object_type="retention.purgerun").exists()


def test_dry_run_deletes_nothing(api_as, dpo, isannointi):
    _old(isannointi)
    response = api_as(dpo).post(URL, {"dry_run": True}, format="json")
    assert response.status_code == 201
    assert response.json()["dry_run"] is True
    assert response.json()["deleted"]["contacts.contact"] == {"retta-isannointi": 1}
    assert Contact.all_controllers.count() == 1


def test_a_dpo_of_one_controller_purges_and_sees_only_that_controller(api_as, isannointi, retta_oy):
    from core.roles import Role

    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    _old(isannointi)
    theirs = _old(retta_oy)
    body = api_as(dpo_oy).post(URL, {}, format="json").json()
    assert body["controllers"] == ["retta-oy"]
    assert body["deleted"] == {"contacts.contact": {"retta-oy": 1}}
    assert Contact.all_controllers.count() == 1
    assert not Contact.all_controllers.filter(pk=theirs.pk).exists()


def test_list_shows_counts_only_for_the_users_controllers(api_as, isannointi, retta_oy):
    from core.roles import Role

    run = make_purge_run(isannointi)
    run.controllers.add(retta_oy)
    run.deleted = {"contacts.contact": {str(isannointi.pk): 3, str(retta_oy.pk): 5}}
    run.save()
    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    response = api_as(dpo_oy).get(URL)
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["deleted"] == {"contacts.contact": {"retta-oy": 5}}
    assert item["controllers"] == ["retta-oy"]


def test_a_run_of_the_other_controller_is_404(api_as, isannointi, retta_oy):
    from core.roles import Role

    run = make_purge_run(isannointi)
    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    assert api_as(dpo_oy).get(f"{URL}{run.pk}/").status_code == 404
    assert api_as(dpo_oy).get(URL).json()["results"] == []


@pytest.mark.postgresql  # concurrent sessions: SQLite locks the whole database
def test_409_while_a_run_is_in_progress(api_as, dpo, isannointi):
    PurgeRun.objects.create(as_of=timezone.now(), trigger="schedule", dry_run=True)
    # A running dry run whose worker is alive: simulate by holding the lock in another session.
    import threading

    from django.db import connection

    from retention.purge import purge_lock

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with purge_lock() as held:
            assert held
            holding.set()
            release.wait(timeout=30)
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(timeout=30)
    try:
        response = api_as(dpo).post(URL, {"dry_run": False}, format="json")
    finally:
        release.set()
        thread.join()
    assert response.status_code == 409
    assert response.json()["code"] == "purge_in_progress"
    assert PurgeRun.objects.count() == 1


def test_bad_input_is_400_and_starts_nothing(api_as, dpo):
    response = api_as(dpo).post(URL, {"dry_run": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "dry_run" in response.json()
    assert not PurgeRun.objects.exists()


def test_unauthenticated_is_401(api, db):
    assert api.get(URL).status_code == 401
    assert api.post(URL, {}, format="json").status_code == 401


def test_wrong_role_is_403(api_as, agent, colleague):
    assert api_as(agent).get(URL).status_code == 403
    assert api_as(colleague).post(URL, {}, format="json").status_code == 403
    assert not PurgeRun.objects.exists()


def test_detail_shows_kept_reasons(api_as, dpo, isannointi):
    run = make_purge_run(isannointi, kept={"contacts.contact": {str(isannointi.pk): {"open_task": 2}}})
    body = api_as(dpo).get(f"{URL}{run.pk}/").json()
    assert body["kept"] == {"contacts.contact": {"retta-isannointi": {"open_task": 2}}}
    assert body["status"] == PurgeRunStatus.FINISHED
