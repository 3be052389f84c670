"""Backup codes (P9): ten one-time codes at enrolment, shown once, accepted at verification in
place of the authenticator's code, and made anew by the user (the old ones then stop working)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.otp import otp_backup_codes_issue, otp_device_provision
from core.models import AuditEvent
from tests.factories import totp_code

pytestmark = pytest.mark.django_db

ENROL = "/accounts/two-factor/enrol/"
VERIFY = "/accounts/two-factor/verify/"
CODES = "/accounts/two-factor/backup-codes/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
SHOWN = re.compile(r"<li><code>([a-z]{5}-[a-z]{5})</code></li>")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _password_login(client, user):  # type: ignore[no-untyped-def]
    response = client.post("/accounts/login/", {"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 302
    return client


def _enrolled_with_codes(user) -> list[str]:  # type: ignore[no-untyped-def]
    otp_device_provision(user=user)
    return otp_backup_codes_issue(user=user)


def test_enrolment_shows_ten_backup_codes_once(client, dpo, clock):
    _password_login(client, dpo)
    client.get(ENROL)
    response = client.post(ENROL, {"code": totp_code(dpo), "next": "/audit/"})
    html = response.content.decode()
    codes = SHOWN.findall(html)
    assert response.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/audit/"' in html  # then on to where the user was going
    assert StaticToken.objects.filter(device__user=dpo).count() == 10
    assert AuditEvent.objects.filter(actor=dpo, action="backup_codes", details__codes=10).count() == 1
    # Never shown again: the page for the codes only counts them.
    later = client.get(CODES).content.decode()
    assert not any(code in later for code in codes) and "10" in later


def test_a_backup_code_logs_in_once(dpo, clock):
    codes = _enrolled_with_codes(dpo)
    first = _password_login(Client(), dpo)
    response = first.post(VERIFY, {"code": codes[0], "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert first.get("/audit/").status_code == 200
    # One login event per controller the DPO is granted (core.audit), each saying how.
    events = list(AuditEvent.objects.filter(actor=dpo, action="login", details__factor="otp"))
    assert len(events) == 2 and all(event.details["backup_code"] is True for event in events)
    second = _password_login(Client(), dpo)
    clock.shift(5)
    refused = second.post(VERIFY, {"code": codes[0]})
    assert refused.status_code == 200 and refused.context["form"].errors
    assert StaticToken.objects.filter(device__user=dpo).count() == 9


def test_a_backup_code_is_accepted_as_written_on_paper(client, admin_user, clock):
    codes = _enrolled_with_codes(admin_user)
    _password_login(client, admin_user)
    response = client.post(VERIFY, {"code": f"  {codes[3].upper().replace('-', ' ')} "})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_logging_in_with_a_backup_code_says_how_many_are_left(client, dpo, clock):
    codes = _enrolled_with_codes(dpo)
    _password_login(client, dpo)
    response = client.post(VERIFY, {"code": codes[0]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "9 codes are left" in response.content.decode()


@override_settings(OTP_FAILURE_LIMIT=3)
def test_wrong_backup_codes_and_wrong_app_codes_count_towards_one_limit(client, dpo, clock):
    _enrolled_with_codes(dpo)
    _password_login(client, dpo)
    wrong_app_code = f"{(int(totp_code(dpo)) + 1) % 1_000_000:06d}"
    for attempt, code in enumerate(["abcde-fghjk", wrong_app_code, "zzzzz-zzzzz"]):
        clock.shift(2**attempt + 1)
        response = client.post(VERIFY, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/")["Location"].startswith("/accounts/login/")
    # One event per refused code for each controller the DPO is granted (core.audit).
    assert AuditEvent.objects.filter(actor=dpo, action="login_failed").count() == 3 * len(dpo.controller_ids())


def test_a_backup_code_without_codes_issued_counts_against_the_authenticator(client, dpo, clock):
    otp_device_provision(user=dpo)
    _password_login(client, dpo)
    response = client.post(VERIFY, {"code": "abcde-fghjk"})
    assert response.status_code == 200 and response.context["form"].errors
    assert dpo.totpdevice_set.get().throttling_failure_count == 1


def test_a_good_code_forgets_earlier_wrong_backup_codes(client, dpo, clock):
    _enrolled_with_codes(dpo)
    _password_login(client, dpo)
    client.post(VERIFY, {"code": "abcde-fghjk"})
    clock.shift(3)
    assert client.post(VERIFY, {"code": totp_code(dpo)}).status_code == 302
    assert StaticDevice.objects.get(user=dpo).throttling_failure_count == 0


@pytest.mark.parametrize("bad", ["abcde", "abcde-fghj1", "12345-67890", "ilolo-ilolo"])
def test_malformed_backup_codes_are_form_errors_and_count_nothing(client, dpo, bad):
    _enrolled_with_codes(dpo)
    _password_login(client, dpo)
    response = client.post(VERIFY, {"code": bad})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert StaticDevice.objects.get(user=dpo).throttling_failure_count == 0


def test_new_backup_codes_replace_the_old_ones(web_as, client, dpo, clock):
    old = _enrolled_with_codes(dpo)
    signed_in = web_as(dpo)
    assert signed_in.post(CODES, {}).status_code == 400  # not confirmed
    assert StaticToken.objects.filter(device__user=dpo).count() == 10
    response = signed_in.post(CODES, {"confirm": "on"})
    new = SHOWN.findall(response.content.decode())
    assert response.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(actor=dpo, action="backup_codes").count() == 1
    fresh = _password_login(Client(), dpo)
    assert fresh.post(VERIFY, {"code": old[1]}).status_code == 200
    clock.shift(3)
    assert fresh.post(VERIFY, {"code": new[1]}).status_code == 302


def test_the_backup_codes_page_is_offered_to_verified_privileged_users(web_as, dpo):
    html = web_as(dpo).get("/").content.decode()
    assert f'href="{CODES}"' in html


def test_backup_codes_page_needs_login_a_second_factor_and_a_privileged_role(client, web_as, agent, dpo):
    response = client.get(CODES)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    otp_device_provision(user=dpo)
    unverified = _password_login(Client(), dpo)
    assert unverified.post(CODES, {"confirm": "on"})["Location"].startswith(VERIFY)
    assert not StaticToken.objects.exists()
    assert web_as(agent).get(CODES).status_code == 403
    assert web_as(agent).post(CODES, {"confirm": "on"}).status_code == 403
    assert f'href="{CODES}"' not in web_as(agent).get("/").content.decode()
    assert not StaticDevice.objects.filter(user=agent).exists()
