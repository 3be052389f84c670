"""A real purge from the pages deletes for good, so it is asked for twice: the start form
defaults to a dry run, and a real run is started only on a confirmation page that shows what
the latest dry run said would go (for the DPO's controllers) and after a typed word."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from core.models import AuditEvent
from core.roles import Role
from retention.models import PurgeRun, PurgeRunStatus
from tests.factories import make_contact, make_user
from tests.retention.factories import make_purge_run

pytestmark = pytest.mark.django_db(transaction=True)
CONFIRM = reverse("retention:run_confirm")


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _dry_run(client) -> PurgeRun:  # type: ignore[no-untyped-def]
    client.post(reverse("retention:run_start"), {"dry_run": "on"})
    return PurgeRun.objects.filter(dry_run=True).latest("started_at")


def test_confirmation_page_shows_what_the_latest_dry_run_said_would_go(web_as, dpo, isannointi, retta_oy):
    make_contact(isannointi, occurred_at=_days_ago(200))
    make_contact(isannointi, occurred_at=_days_ago(300))
    make_contact(retta_oy, occurred_at=_days_ago(250))
    client = web_as(dpo)
    run = _dry_run(client)
    response = client.get(CONFIRM, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    table = html.split('id="confirm-deleted"')[1].split("</table>")[0]
    assert "Customer-service contacts" in table and "contacts.contact" not in table
    assert isannointi.name in table and retta_oy.name in table
    assert html.split('id="confirm-total">')[1].startswith("3<")
    assert "Type DELETE to confirm" in html
    assert AuditEvent.objects.filter(action="view", object_type="retention.purgerun", object_id=str(run.pk))
    assert Contact.all_controllers.count() == 3


def test_confirmation_shows_only_the_dpos_own_controllers(web_as, isannointi, retta_oy):
    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    make_purge_run(
        isannointi,
        dry_run=True,
        deleted={"contacts.contact": {str(isannointi.pk): 7, str(retta_oy.pk): 2}},
        started_at=timezone.now(),
    ).controllers.add(retta_oy)
    html = web_as(dpo_oy).get(CONFIRM).content.decode()
    table = html.split('id="confirm-deleted"')[1].split("</table>")[0]
    assert retta_oy.name in table and isannointi.name not in table
    assert html.split('id="confirm-total">')[1].startswith("2<")


def test_a_dry_run_of_the_other_controller_only_is_never_offered(web_as, isannointi, retta_oy):
    dpo_oy = make_user("dpo-oy", Role.DPO, [retta_oy])
    make_purge_run(isannointi, dry_run=True, started_at=timezone.now())
    html = web_as(dpo_oy).get(CONFIRM).content.decode()
    assert 'id="confirm-no-dry-run"' in html and 'id="purge-confirm"' not in html
    assert web_as(dpo_oy).post(CONFIRM, {"dry_run": PurgeRun.objects.get().pk, "word": "POISTA"}).status_code == 400
    assert PurgeRun.objects.count() == 1


def test_the_typed_word_confirms_the_purge_and_the_audit_names_the_dry_run(web_as, dpo, isannointi):
    make_contact(isannointi, occurred_at=_days_ago(200))
    kept = make_contact(isannointi, occurred_at=_days_ago(10))
    client = web_as(dpo)
    dry = _dry_run(client)
    response = client.post(CONFIRM, {"dry_run": dry.pk, "word": " poista "})
    run = PurgeRun.objects.get(dry_run=False)
    assert response.status_code == 302 and response["Location"] == reverse("retention:run_detail", args=[run.pk])
    assert list(Contact.all_controllers.values_list("pk", flat=True)) == [kept.pk]
    # One event for each of the run's controllers (core.audit), each naming the dry run confirmed.
    requested = list(AuditEvent.objects.filter(action="purge", object_id=str(run.pk), details__requested=True))
    assert requested and all(e.details["confirmed_dry_run"] == dry.pk and e.actor == dpo for e in requested)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_word_is_asked_in_the_language_of_the_page(web_as, dpo, isannointi, language):
    client = web_as(dpo)
    dry = _dry_run(client)
    word = {"sv": "RADERA", "en": "DELETE"}[language]
    assert word in client.get(CONFIRM, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    response = client.post(CONFIRM, {"dry_run": dry.pk, "word": word}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302 and PurgeRun.objects.filter(dry_run=False).exists()


@pytest.mark.parametrize(
    "data", [{"word": "poistaa"}, {"word": ""}, {"word": "POISTA", "dry_run": ""}, {"word": "POISTA", "dry_run": "x"}]
)
def test_without_the_word_nothing_is_deleted(web_as, dpo, isannointi, data):
    make_contact(isannointi, occurred_at=_days_ago(200))
    client = web_as(dpo)
    dry = _dry_run(client)
    response = client.post(CONFIRM, {"dry_run": dry.pk, **data})
    assert response.status_code == 400
    assert 'id="confirm-deleted"' in response.content.decode()
    assert not PurgeRun.objects.filter(dry_run=False).exists() and Contact.all_controllers.count() == 1


def test_confirming_a_dry_run_that_is_no_longer_the_latest_is_refused(web_as, dpo, isannointi):
    client = web_as(dpo)
    seen = _dry_run(client)
    newer = _dry_run(client)
    response = client.post(CONFIRM, {"dry_run": seen.pk, "word": "POISTA"})
    assert response.status_code == 400 and not PurgeRun.objects.filter(dry_run=False).exists()
    assert f'value="{newer.pk}"' in response.content.decode()


@pytest.mark.parametrize("problem", ["none", "running", "interrupted", "old", "superseded"])
def test_without_a_usable_dry_run_the_page_offers_one_and_refuses_to_purge(web_as, dpo, isannointi, problem):
    make_contact(isannointi, occurred_at=_days_ago(200))
    client = web_as(dpo)
    if problem == "running":
        make_purge_run(isannointi, dry_run=True, status=PurgeRunStatus.RUNNING, finished_at=None).controllers.set(
            dpo.controllers.all()
        )
    elif problem == "interrupted":
        make_purge_run(isannointi, dry_run=True, status=PurgeRunStatus.INTERRUPTED).controllers.set(
            dpo.controllers.all()
        )
    elif problem == "old":
        with time_machine.travel(timezone.now() - dt.timedelta(hours=25)):
            _dry_run(client)
    elif problem == "superseded":
        _dry_run(client)
        make_purge_run(isannointi, dry_run=False, deleted={}).controllers.set(dpo.controllers.all())
    response = client.get(CONFIRM)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="confirm-no-dry-run"' in html and 'id="purge-confirm"' not in html
    assert ('name="dry_run" value="on"' in html) == (problem != "running")
    latest = PurgeRun.objects.filter(dry_run=True).order_by("-started_at").first()
    refused = client.post(CONFIRM, {"dry_run": latest.pk if latest else 1, "word": "POISTA"})
    assert refused.status_code == 400
    assert Contact.all_controllers.count() == 1
    assert PurgeRun.objects.filter(dry_run=False).count() == (1 if problem == "superseded" else 0)


def test_a_finished_dry_run_leads_to_the_confirmation(web_as, dpo, isannointi):
    client = web_as(dpo)
    dry = _dry_run(client)
    html = client.get(reverse("retention:run_detail", args=[dry.pk])).content.decode()
    assert f'href="{CONFIRM}"' in html


def test_confirmation_needs_login_and_the_dpo_role(client, web_as, agent, admin_user, isannointi):
    make_contact(isannointi, occurred_at=_days_ago(200))
    run = make_purge_run(isannointi, dry_run=True, started_at=timezone.now())
    response = client.post(CONFIRM, {"dry_run": run.pk, "word": "POISTA"})
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    for user in (agent, admin_user):
        assert web_as(user).get(CONFIRM).status_code == 403
        assert web_as(user).post(CONFIRM, {"dry_run": run.pk, "word": "POISTA"}).status_code == 403
    assert PurgeRun.objects.count() == 1 and Contact.all_controllers.count() == 1


def test_the_api_starts_a_real_purge_by_intent(api_as, dpo, isannointi):
    """API clients confirm by asking for `dry_run: false` (the contract is unchanged)."""
    make_contact(isannointi, occurred_at=_days_ago(200))
    response = api_as(dpo).post("/api/v1/purge-runs/", {"dry_run": False}, format="json")
    assert response.status_code == 201 and response.json()["dry_run"] is False
    assert not Contact.all_controllers.exists()
