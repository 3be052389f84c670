from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from core.roles import Role, has_role


class StaffAuthenticationForm(AuthenticationForm):
    """The login form of the UI: people only. An integration account (the mail server, telephony,
    the website chat) works through its API token and never logs in, and is refused with the
    answer a wrong password gets, telling nothing about the account."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if has_role(user, Role.INTEGRATION):
            raise self.get_invalid_login_error()


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        validators=[RegexValidator(r"^\s*\d{6,8}\s*$", _("Enter the 6-digit code shown by the app."))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "size": 8}
        ),
    )
