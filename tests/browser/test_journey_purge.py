"""The DPO logs in with the second factor, starts a purge run and sees it on the dashboard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from accounts.otp import otp_device_provision
from contacts.models import Contact
from tests.factories import make_contact, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    from retta_cs.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def test_dpo_starts_a_purge_run_and_sees_it_on_the_dashboard(page, live_server, dpo, isannointi, tasks_in_process):
    otp_device_provision(user=dpo)
    make_contact(isannointi, occurred_at=timezone.now() - dt.timedelta(days=200))
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
    assert "contacts.contact" in page.inner_text("#due-tonight")
    page.click("#purge-start button[type=submit]")
    page.wait_for_selector("#run-status")
    assert "contacts.contact" in page.inner_text("#run-deleted")
    assert "restriction" in page.inner_text("#run-kept")

    page.goto(f"{live_server.url}/retention/")
    assert page.locator("table.purge-runs a").count() == 1
    assert list(Contact.all_controllers.values_list("pk", flat=True)) == [kept.pk]
