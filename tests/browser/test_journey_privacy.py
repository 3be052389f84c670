"""The DPO answers an access request with a downloaded ZIP, and an erasure that keeps a contact
of an open task, logging in with the second factor as in production."""

import datetime as dt
import zipfile

import pytest
from django.utils import timezone

from accounts.otp import otp_device_provision
from contacts.models import Contact, Task
from contacts.services import contact_record
from tests.browser.conftest import ARTIFACTS
from tests.factories import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def dpo_page(page, live_server, dpo, monkeypatch):
    from retta_cs.celery import app

    # No worker runs beside the test server: the copy is built in-process after the commit.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    otp_device_provision(user=dpo)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dpo")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/two-factor/verify/**")
    page.fill("#id_code", totp_code(dpo))
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    return page


def _open_request(page, live_server, kind):
    page.goto(f"{live_server.url}/privacy/new/")
    page.select_option("#id_controller", "retta-isannointi")
    page.select_option("#id_kind", kind)
    page.fill("#id_name", "Maija Meikäläinen")
    page.fill("#id_email", "maija@example.fi")
    page.fill("#id_phone", "040 123 4567")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#identity")
    page.select_option("#id_method", "email_on_file")
    page.click("#verify-identity")
    page.click("#discover")
    page.wait_for_selector("#matches table")


def test_access_request_to_a_downloaded_zip(dpo_page, live_server, isannointi):
    page = dpo_page
    contact_record(
        controller=isannointi,
        channel="call",
        occurred_at=timezone.now(),
        name="Maija Meikäläinen",
        phone="040 123 4567",
        subject="Vuotava hana",
    )
    _open_request(page, live_server, "access")
    assert "Vuotava hana" in page.inner_text("#matches")
    page.click("#execute-request")
    page.wait_for_selector("#download-export")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "privacy_access_ready.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#download-export")
    target = ARTIFACTS.parent / "privacy-access.zip"
    download_info.value.save_as(str(target))
    with zipfile.ZipFile(target) as archive:
        assert {"data.json", "summary.txt"} <= set(archive.namelist())
    target.unlink()


def test_erasure_keeps_a_contact_of_an_open_task_and_says_so(dpo_page, live_server, isannointi):
    page = dpo_page
    task = Task.all_controllers.create(controller=isannointi, title="Vuotava hana")
    kept = contact_record(
        controller=isannointi,
        channel="call",
        occurred_at=timezone.now(),
        name="Maija Meikäläinen",
        phone="040 123 4567",
        task=task,
    )
    gone = contact_record(
        controller=isannointi,
        channel="email",
        occurred_at=timezone.now() - dt.timedelta(days=9),
        name="Maija Meikäläinen",
        email="maija@example.fi",
    )
    _open_request(page, live_server, "erasure")
    page.click("#execute-request")
    page.wait_for_selector("#execution-report")
    report = page.inner_text("#execution-report")
    assert f"contacts.contact:{kept.pk}" in report and "open_task" in report
    assert Contact.all_controllers.filter(pk=kept.pk).exists()
    assert not Contact.all_controllers.filter(pk=gone.pk).exists()
    page.screenshot(path=str(ARTIFACTS / "privacy_erasure_report.png"), full_page=True)
