from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.otp import is_backup_code
from core.forms import RefusesPersonalIdentityCodes
from core.roles import Role, has_role


class StaffAuthenticationForm(RefusesPersonalIdentityCodes, AuthenticationForm):
    """The login form of the UI: people only. An integration account (the mail server, telephony,
    the website chat) works through its API token and never logs in, and is refused with the
    answer a wrong password gets, telling nothing about the account."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if has_role(user, Role.INTEGRATION):
            raise self.get_invalid_login_error()


class OtpCodeForm(RefusesPersonalIdentityCodes, forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        validators=[RegexValidator(r"^\s*\d{6,8}\s*$", _("Enter the 6-digit code shown by the app."))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "size": 8}
        ),
    )


class OtpVerifyForm(RefusesPersonalIdentityCodes, forms.Form):
    """At login: the authenticator's code, or one of the backup codes given at enrolment."""

    code = forms.CharField(
        label=_("Code from the authenticator app, or a backup code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not re.fullmatch(r"\d{6,8}", code) and not is_backup_code(code):
            raise forms.ValidationError(
                _("Enter the 6-digit code shown by the app, or one of your backup codes."), code="format"
            )
        return code


class BackupCodesForm(RefusesPersonalIdentityCodes, forms.Form):
    """Making new backup codes makes the old ones stop working: confirmed with a tick."""

    confirm = forms.BooleanField(
        label=_("I understand that my present backup codes stop working."),
        error_messages={"required": _("Tick the box to make new codes.")},
    )
