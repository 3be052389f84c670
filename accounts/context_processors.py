from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.otp import otp_required_for


def two_factor(request: HttpRequest) -> dict[str, Any]:
    """Whether the page may offer the user's own two-factor settings (their backup codes)."""
    user = getattr(request, "user", None)
    verified = bool(user is not None and getattr(user, "is_verified", lambda: False)())
    return {"two_factor_settings": verified and otp_required_for(user)}
