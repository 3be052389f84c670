"""Two-factor authentication (TOTP) for the privileged roles, the DPO and administrators (P9).

The second factor is a TOTP authenticator app (django-otp). A privileged user who has logged in
with a password but has not passed the second factor in this session is sent to enrol (first
time) or to verify by `accounts.middleware.RequirePrivilegedOtpMiddleware`.

Wrong codes are throttled by django-otp (after n failures in a row the next attempt must wait
2**(n-1) seconds); after OTP_FAILURE_LIMIT failures in a row the session is also ended, so the
password must be given again (and django-axes counts those attempts).
"""

from __future__ import annotations

import re
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp import verify_token
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
    svg = svg.replace("<svg ", '<svg class="otp-qr" role="img" ', 1)
    # Markup generated here from the module matrix, with no user text in it.
    return mark_safe(svg)  # nosec  # noqa: S308


def otp_check_code(*, user: Any, device: TOTPDevice, code: str) -> tuple[bool, bool]:
    """Check a code against the device: (accepted, throttled).

    Throttled means the code was not even looked at because of earlier failures.
    """
    device.refresh_from_db()
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return False, True
    return verify_token(user, device.persistent_id, code.strip()) is not None, False


def otp_failures(device: TOTPDevice) -> int:
    device.refresh_from_db(fields=["throttling_failure_count"])
    return device.throttling_failure_count


def otp_failure_limit() -> int:
    return int(getattr(settings, "OTP_FAILURE_LIMIT", 5))
