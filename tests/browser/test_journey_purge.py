"""The DPO logs in with the second factor and starts a real purge only after confirming what the
dry run said would go; the run shows on the dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from accounts.otp import otp_device_provision
from contacts.models import Contact
from core.models import AuditEvent
from retention.models import PurgeRun
from tests.factories import make_contact, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    from retta_cs.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def test_dpo_starts_a_real_purge_only_after_confirming(page, live_server, dpo, isannointi, tasks_in_process):
    otp_device_provision(user=dpo)
    make_contact(isannointi, occurred_at=timezone.now() - dt.timedelta(days=200))
    make_contact(isannointi, occurred_at=timezone.now() - dt.timedelta(days=300))
    kept = make_contact(isannointi, occurred_at=timezone.now() - dt.timedelta(days=200), restricted=True)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dpo")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#id_code")
    page.fill("#id_code", totp_code(dpo))
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/retention/")
    assert page.locator("svg.age-chart").count() >= 1
    assert "yhteydenotot" in page.inner_text("#due-tonight")
    # The start form is a dry run unless the DPO unticks it.
    assert page.is_checked("#purge-start input[name=dry_run]")
    page.click("#purge-start button[type=submit]")
    page.wait_for_selector("#run-status")
    assert "yhteydenotot" in page.inner_text("#run-deleted")
    assert "rajoitettu" in page.inner_text("#run-kept")
    assert Contact.all_controllers.count() == 3
    dry_run = PurgeRun.objects.get()

    # Unticked: no purge yet, but the confirmation page with what the dry run said would go.
    page.goto(f"{live_server.url}/retention/")
    page.uncheck("#purge-start input[name=dry_run]")
    page.click("#purge-start button[type=submit]")
    page.wait_for_selector("#confirm-deleted")
    assert page.inner_text("#confirm-total") == "2"
    assert PurgeRun.objects.count() == 1 and Contact.all_controllers.count() == 3
    page.fill("#id_word", "poistetaan")
    page.click("#purge-confirm button[type=submit]")
    page.wait_for_selector("#id_word[aria-invalid=true]")
    assert PurgeRun.objects.count() == 1 and Contact.all_controllers.count() == 3

    page.fill("#id_word", "POISTA")
    page.click("#purge-confirm button[type=submit]")
    page.wait_for_selector("#run-status")
    assert "yhteydenotot" in page.inner_text("#run-deleted")
    assert list(Contact.all_controllers.values_list("pk", flat=True)) == [kept.pk]
    purge = PurgeRun.objects.get(dry_run=False)
    requested = AuditEvent.objects.filter(action="purge", object_id=str(purge.pk), details__requested=True)
    assert requested.exists() and all(e.details["confirmed_dry_run"] == dry_run.pk for e in requested)

    page.goto(f"{live_server.url}/retention/")
    assert page.locator("table.purge-runs a").count() == 2
