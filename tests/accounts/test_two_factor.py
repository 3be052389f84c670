"""Two-factor login (P9): the DPO and administrators need a TOTP code after their password;
agents, complaint handlers and integration tokens are never asked."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import otp_device_provision, otp_secret
from core.models import AuditEvent
from tests.factories import otp_verify_client, totp_code

pytestmark = pytest.mark.django_db

ENROL = "/accounts/two-factor/enrol/"
VERIFY = "/accounts/two-factor/verify/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _password_login(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("persona", ["dpo", "admin_user"])
def test_privileged_user_without_authenticator_is_sent_to_enrol(client, persona, request):
    user = request.getfixturevalue(persona)
    _password_login(client, user)
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2Faudit%2F"


@pytest.mark.parametrize("persona", ["dpo", "admin_user"])
def test_privileged_user_with_authenticator_is_sent_to_verify(client, persona, request):
    user = request.getfixturevalue(persona)
    otp_device_provision(user=user)
    _password_login(client, user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2F"


def test_administrator_cannot_reach_the_django_admin_before_the_second_factor(client, admin_user):
    otp_device_provision(user=admin_user)
    _password_login(client, admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_a_superuser_without_a_role_is_asked_too(client, django_user_model):
    django_user_model.objects.create_superuser("root", password="correct horse battery")
    client.post("/accounts/login/", {"username": "root", "password": "correct horse battery"})
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)


@pytest.mark.parametrize("persona", ["agent", "colleague", "outsider"])
def test_agents_and_handlers_are_not_asked_for_a_code(client, persona, request):
    user = request.getfixturevalue(persona)
    _password_login(client, user)
    assert client.get("/", follow=True).status_code == 200
    assert client.get(VERIFY).status_code == 302  # nothing to verify: back home
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_enrol_page_shows_a_qr_code_and_the_secret(client, dpo):
    _password_login(client, dpo)
    response = client.get(ENROL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="otp-qr"' in html and "<?xml" not in html
    device = TOTPDevice.objects.get(user=dpo, confirmed=False)
    assert otp_secret(device) in html
    # The same secret on reload: the app already scanned stays valid.
    assert client.get(ENROL).content.decode().count(otp_secret(device)) == 1
    assert TOTPDevice.objects.filter(user=dpo).count() == 1
    # No inline style or script in the generated SVG (CSP).
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "style=" not in svg and "<script" not in svg


def test_enrol_with_the_right_code_confirms_and_verifies(client, dpo, clock):
    _password_login(client, dpo)
    client.get(ENROL)
    response = client.post(ENROL, {"code": totp_code(dpo), "next": "/audit/"})
    # the backup codes come next (tests/accounts/test_backup_codes.py), then the way on
    assert response.status_code == 200 and 'id="backup-codes-continue" href="/audit/"' in response.content.decode()
    assert TOTPDevice.objects.get(user=dpo).confirmed
    assert client.get("/audit/").status_code == 200
    # One event for each controller the DPO is granted (core.audit).
    assert AuditEvent.objects.filter(actor=dpo, action="login", details__factor="otp").count() == 2


def test_enrol_with_a_wrong_code_confirms_nothing(client, dpo, clock):
    _password_login(client, dpo)
    client.get(ENROL)
    wrong = f"{(int(totp_code(dpo)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 200 and response.context["form"].errors
    assert not TOTPDevice.objects.get(user=dpo).confirmed
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(actor=dpo, action="login_failed").count() == 2  # one per controller


def test_enrol_is_closed_once_an_authenticator_is_confirmed(client, dpo):
    device = otp_device_provision(user=dpo)
    _password_login(client, dpo)
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert otp_secret(device) not in client.get(VERIFY).content.decode()


def test_verify_with_the_right_code(client, admin_user, clock):
    otp_device_provision(user=admin_user)
    _password_login(client, admin_user)
    response = client.post(VERIFY, {"code": totp_code(admin_user), "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert client.get("/").status_code == 200


def test_a_code_is_accepted_once(client, dpo, clock):
    otp_device_provision(user=dpo)
    code = totp_code(dpo)
    _password_login(client, dpo)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    from django.test import Client

    second = _password_login(Client(), dpo)
    clock.shift(5)
    response = second.post(VERIFY, {"code": code})
    assert response.status_code == 200 and response.context["form"].errors


@pytest.mark.parametrize("bad", ["", "12ab56", "1234567890"])
def test_verify_with_malformed_input_is_a_form_error(client, dpo, bad):
    otp_device_provision(user=dpo)
    _password_login(client, dpo)
    response = client.post(VERIFY, {"code": bad})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert TOTPDevice.objects.get(user=dpo).throttling_failure_count == 0


def test_verify_ignores_a_next_pointing_elsewhere(client, dpo, clock):
    otp_device_provision(user=dpo)
    _password_login(client, dpo)
    response = client.post(VERIFY, {"code": totp_code(dpo), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_code_then_right_code_at_once_is_refused_until_the_delay_passes(client, dpo, clock):
    otp_device_provision(user=dpo)
    _password_login(client, dpo)
    wrong = f"{(int(totp_code(dpo)) + 1) % 1_000_000:06d}"
    assert client.post(VERIFY, {"code": wrong}).status_code == 200
    clock.shift(1)
    first = client.post(VERIFY, {"code": wrong})  # a second failure: now 2 s to wait
    assert first.status_code == 200
    refused = client.post(VERIFY, {"code": totp_code(dpo)})
    assert refused.status_code == 200
    assert "Wait a moment" in str(refused.context["form"].errors) or refused.context["form"].errors
    assert client.get("/").status_code == 302
    clock.shift(3)
    accepted = client.post(VERIFY, {"code": totp_code(dpo)})
    assert accepted.status_code == 302
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.get(user=dpo).throttling_failure_count == 0


@override_settings(OTP_FAILURE_LIMIT=3)
def test_too_many_wrong_codes_end_the_session(client, dpo, clock):
    otp_device_provision(user=dpo)
    _password_login(client, dpo)
    for attempt in range(3):
        clock.shift(2**attempt + 1)  # past each throttle delay, so every code is checked
        wrong = f"{(int(totp_code(dpo)) + 1) % 1_000_000:06d}"
        response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(actor=dpo, action="login_failed").count() == 3 * 2  # per controller


def test_unverified_dpo_session_cannot_call_the_api(client, dpo):
    _password_login(client, dpo)
    response = client.get("/api/v1/audit-events/")
    assert response.status_code == 403
    assert response.json()["code"] == "otp_required"
    # Another authorization scheme does not slip past to the session.
    assert client.get("/api/v1/audit-events/", HTTP_AUTHORIZATION="Bearer abc").status_code == 403


def test_verified_dpo_session_can_call_the_api(client, dpo):
    otp_verify_client(client, dpo)
    assert client.get("/api/v1/audit-events/").status_code == 200


def test_token_authenticated_api_calls_need_no_session_verification(api_as, dpo, integration):
    assert api_as(dpo).get("/api/v1/audit-events/").status_code == 200


def test_a_bad_token_next_to_an_unverified_session_is_401(client, dpo):
    _password_login(client, dpo)
    response = client.get("/api/v1/audit-events/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_logout_and_language_switch_work_before_the_second_factor(client, dpo):
    _password_login(client, dpo)
    assert client.post("/i18n/setlang/", {"language": "sv", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_web_as_fixture_verifies_privileged_users(web_as, dpo, admin_user):
    assert web_as(dpo).get("/audit/").status_code == 200
    assert web_as(admin_user).get("/").status_code == 200


def test_seed_demo_prints_the_privileged_users_totp_secrets(capsys, isannointi):
    call_command("seed_demo")
    printed = capsys.readouterr().out
    from accounts.models import User

    for username in ("tietosuoja", "yllapito"):
        device = TOTPDevice.objects.get(user=User.objects.get(username=username), confirmed=True)
        assert re.search(rf"{username}\s+TOTP secret {otp_secret(device)}", printed)
    assert "agentti " not in printed.split("Two-factor")[1].split("Integration")[0]
    call_command("seed_demo")  # the same secret on every run
    assert otp_secret(device) in capsys.readouterr().out
