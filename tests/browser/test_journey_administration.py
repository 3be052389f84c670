"""An administrator resets the second factor of a DPO who has lost their phone; the DPO then sets
up a new authenticator at the next login and is given new backup codes."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.otp import otp_backup_codes_issue, otp_device_provision
from core.models import AuditEvent
from tests.factories import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _log_in_with_password(page, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")


def test_administrator_resets_a_lost_two_factor_device(page, browser, live_server, admin_user, dpo):
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    otp_device_provision(user=admin_user)
    lost = otp_device_provision(user=dpo)
    otp_backup_codes_issue(user=dpo)

    _log_in_with_password(page, live_server, "admin")
    page.wait_for_selector("#id_code")
    page.fill("#id_code", totp_code(admin_user))
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav.mainnav a[href='/admin/']")
    page.wait_for_selector("#site-name:has-text('ylläpito')")
    page.click("a[href='/admin/accounts/user/']")
    page.click(f"a[href='/admin/accounts/user/{dpo.pk}/change/']")
    page.click("#two-factor-reset")
    page.wait_for_selector("#two-factor-state")
    assert "Todennussovellus on käytössä." in page.inner_text("#two-factor-state")
    page.check("#id_confirm")
    page.click("input[type=submit].default")
    page.wait_for_selector("ul.messagelist li.success")
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()
    assert not StaticToken.objects.filter(device__user=dpo).exists()
    assert AuditEvent.objects.filter(action="two_factor_reset", actor=admin_user, object_id=str(dpo.pk)).exists()

    # The DPO, with a new phone: after the password comes the set-up of a new authenticator.
    context = browser.new_context(locale="fi-FI")
    dpo_page = context.new_page()
    dpo_page.set_default_timeout(15_000)
    _log_in_with_password(dpo_page, live_server, "dpo")
    dpo_page.wait_for_selector("svg.otp-qr")
    dpo_page.fill("#id_code", totp_code(dpo))
    dpo_page.click("button[type=submit].primary")
    dpo_page.wait_for_selector("#backup-codes")
    codes = re.findall(r"[a-z]{5}-[a-z]{5}", dpo_page.inner_text("#backup-codes"))
    assert len(codes) == 10
    dpo_page.click("#backup-codes-continue")
    dpo_page.wait_for_url(f"{live_server.url}/")
    assert TOTPDevice.objects.get(user=dpo, confirmed=True).pk != lost.pk
    context.close()
