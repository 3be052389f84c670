"""Two-factor authentication (TOTP) for the privileged roles, the DPO and administrators (P9).

The second factor is a TOTP authenticator app (django-otp). A privileged user who has logged in
with a password but has not passed the second factor in this session is sent to enrol (first
time) or to verify by `accounts.middleware.RequirePrivilegedOtpMiddleware`.

At enrolment the user also gets ten one-time backup codes (django-otp static tokens), shown
once, for the day the phone is not at hand; a user may make new ones (the old ones stop working).
An administrator, never the user alone, removes a lost authenticator (`two_factor_reset`).

Wrong codes are throttled by django-otp (after n failures in a row the next attempt must wait
2**(n-1) seconds); after OTP_FAILURE_LIMIT failures in a row the session is also ended, so the
password must be given again (and django-axes counts those attempts).
"""

from __future__ import annotations

import re
import secrets
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import PRIVILEGED_ROLES, has_role

DEVICE_NAME = "authenticator"


def otp_required_for(user: Any) -> bool:
    """True for a user whose role needs a second factor (DPO, administrator), and for anyone who
    may enter the Django admin (staff, superusers made with createsuperuser)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser) or has_role(user, *PRIVILEGED_ROLES)


def otp_pending(user: Any) -> bool:
    """True for a user who must pass a second factor and has not, in this session (the one rule
    of the page middleware and of the API's session authentication)."""
    return otp_required_for(user) and not getattr(user, "is_verified", lambda: False)()


def otp_confirmed_device(*, user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@transaction.atomic
def otp_enrolment_device(*, user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (made on first call; the same secret on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def otp_device_provision(*, user: Any) -> TOTPDevice:
    """A confirmed device for the user, made without a code (demo data and tests only)."""
    device = otp_confirmed_device(user=user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return device


def otp_secret(device: TOTPDevice) -> str:
    """The secret as base32 text, for typing into an authenticator app by hand."""
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def otp_qr_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an SVG QR code, generated here (no third-party image service).

    Safe to put in a page: qrcode draws only <svg> and <path> elements from the module matrix;
    the user's name and the secret are inside the matrix, never in markup.
    """
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)  # inline in HTML: no XML declaration
    # An image needs a name for screen readers; the secret is also shown as text beside it.
    name = escape(gettext("QR code for the authenticator app"))
    svg = svg.replace("<svg ", f'<svg class="otp-qr" role="img" aria-label="{name}" ', 1)
    # Markup generated here from the module matrix, with no user text in it.
    return mark_safe(svg)  # nosec  # noqa: S308


# -- backup codes ------------------------------------------------------------------------------
BACKUP_DEVICE_NAME = "backup codes"
BACKUP_CODE_COUNT = 10
# Letters only, so a backup code is never taken for an authenticator's digits; no i, l or o,
# which are misread on paper. Ten letters: 23**10, about 2**45, against a throttled guesser.
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz"
BACKUP_CODE_LENGTH = 10
_BACKUP_CODE = re.compile(rf"^[{BACKUP_CODE_ALPHABET}]{{{BACKUP_CODE_LENGTH}}}$")


def backup_code_normalise(raw: str) -> str:
    """A backup code as stored: lower case, without the spaces and hyphens it is shown with."""
    return re.sub(r"[\s-]", "", raw or "").lower()


def is_backup_code(raw: str) -> bool:
    return bool(_BACKUP_CODE.match(backup_code_normalise(raw)))


def backup_code_display(code: str) -> str:
    half = BACKUP_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _backup_code_random() -> str:
    return "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))


def otp_backup_device(*, user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).order_by("id").first()


def otp_backup_codes_left(*, user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=BACKUP_DEVICE_NAME).count()


@transaction.atomic
def otp_backup_codes_issue(*, user: Any) -> list[str]:
    """Ten new one-time backup codes for the user; any earlier ones stop working.

    The codes are returned for showing once; only django-otp's token table keeps them (the
    admin does not show it: OTP_ADMIN_HIDE_SENSITIVE_DATA).
    """
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    device.throttle_reset(commit=True)
    codes = [_backup_code_random() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [backup_code_display(code) for code in codes]


def otp_devices_remove(*, user: Any) -> int:
    """Every authenticator and backup code of the user; returns how many devices went."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        _total, by_model = model.objects.filter(user=user).delete()  # the total counts tokens too
        removed += by_model.get(model._meta.label, 0)
    return removed


def otp_check_code(*, user: Any, device: Device, code: str) -> tuple[bool, bool]:
    """Check a code against the device: (accepted, throttled).

    Throttled means the code was not even looked at because of earlier failures.
    """
    device.refresh_from_db()
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return False, True
    token = backup_code_normalise(code) if isinstance(device, StaticDevice) else code.strip()
    return verify_token(user, device.persistent_id, token) is not None, False


def otp_failures(*, user: Any) -> int:
    """Wrong codes in a row, authenticator and backup codes together (one limit for both)."""
    return sum(
        model.objects.filter(user=user).aggregate(n=Sum("throttling_failure_count"))["n"] or 0
        for model in (TOTPDevice, StaticDevice)
    )


def otp_failures_forget(*, user: Any) -> None:
    """After a good code: the count of wrong codes in a row starts again for every device."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user, throttling_failure_count__gt=0).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )


def otp_failure_limit() -> int:
    return int(getattr(settings, "OTP_FAILURE_LIMIT", 5))
