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
    # A reply from the address proves the address; a call-back proves the number.
    page.select_option("#id_method", "email_on_file")
    page.click("#verify-identity")
    page.wait_for_selector("#identifiers .badge.ok")
    page.select_option("#id_method", "callback_on_file")
    page.click("#verify-identity")
    page.wait_for_function("document.querySelectorAll('#identifiers .badge.ok').length === 2")
    page.click("#discover")
    page.wait_for_selector("#matches table")
    page.click("#save-review")
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
    # Erasure asks first, naming what will go.
    page.wait_for_selector("#erasure-preview")
    assert "Asiakaspalvelun yhteydenotot" in page.inner_text("#erasure-preview")
    assert Contact.all_controllers.filter(pk=gone.pk).exists()
    page.click("#confirm-erasure")
    page.wait_for_selector("#execution-report")
    report = page.inner_text("#execution-report")
    assert f"nro {kept.pk}" in report and "avoimeen asiakaspalvelutehtävään" in report
    assert "contacts.contact" not in report and "open_task" not in report
    assert Contact.all_controllers.filter(pk=kept.pk).exists()
    assert not Contact.all_controllers.filter(pk=gone.pk).exists()
    page.screenshot(path=str(ARTIFACTS / "privacy_erasure_report.png"), full_page=True)


def _no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_the_request_page_fits_1366_pixels_without_horizontal_scrolling(dpo_page, live_server, isannointi):
    page = dpo_page
    page.set_viewport_size({"width": 1366, "height": 768})
    long_address = "maija.meikalainen.with.a.very.long.address.for.testing@an-exceptionally-long-domain-name.example.fi"
    contact_record(
        controller=isannointi,
        channel="email",
        occurred_at=timezone.now(),
        name="Maija Meikäläinen",
        email=long_address,
        subject="Vuotava hana " + "x" * 180,
        body="Hei! " + "pitkäsanaeiväliläkään" * 20,
    )
    page.goto(f"{live_server.url}/privacy/new/")
    page.select_option("#id_controller", "retta-isannointi")
    page.select_option("#id_kind", "erasure")
    page.fill("#id_name", "Maija Meikäläinen")
    page.fill("#id_email", long_address)
    page.fill("#id_phone", "040 123 4567")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#identity")
    page.select_option("#id_method", "email_on_file")
    page.click("#verify-identity")
    page.click("#discover")
    page.click("#save-review")
    page.wait_for_selector("#matches table")
    assert _no_horizontal_scroll(page), "the request page scrolls sideways at 1366 px"
    page.screenshot(path=str(ARTIFACTS / "privacy_request_1366.png"), full_page=True)
    page.click("#execute-request")
    page.wait_for_selector("#erasure-preview")
    assert _no_horizontal_scroll(page), "the erasure confirmation scrolls sideways at 1366 px"
    page.click("a.button[href$='/']")
    page.wait_for_selector("#letters")
    page.select_option("#id_kind", "acknowledgement")
    page.click("#letters button[type=submit]")
    page.click("#letters li a")
    page.wait_for_selector(".letter-sheet")
    assert _no_horizontal_scroll(page), "the letter page scrolls sideways at 1366 px"
