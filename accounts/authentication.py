"""API authentication (DESIGN.md: a session, or `Authorization: Token <key>`), with the second
factor of the privileged roles enforced in DRF's own authentication layer.

Whether a request is a token request is decided in one place, `presents_token`, with DRF's own
parsing of the header (split on ASCII whitespace, as `TokenAuthentication` splits it). The token
authentication takes exactly those requests (a bad token is a 401, never a fall-back to the
session); the session authentication takes only the others, and refuses a session whose user
must pass a second factor and has not (403 `otp_required`). The page middleware
(accounts.middleware) asks the same two functions, so the two layers cannot disagree.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication, exceptions

from accounts.otp import otp_pending

OTP_REQUIRED_CODE = "otp_required"
OTP_REQUIRED_MESSAGE = _("Two-factor verification is required.")


def presents_token(request: Any) -> bool:
    """True when the request carries `Authorization: Token …` as DRF's TokenAuthentication reads
    it: then the token alone authenticates it."""
    words = authentication.get_authorization_header(request).split()
    return bool(words) and words[0].lower() == TokenAuthentication.keyword.lower().encode()


class OtpRequired(exceptions.PermissionDenied):
    """A privileged user's session without the second factor: 403 `{"detail", "code"}`."""

    def __init__(self) -> None:
        super().__init__(detail={"detail": OTP_REQUIRED_MESSAGE, "code": OTP_REQUIRED_CODE})


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, for the requests `presents_token` names."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        if not presents_token(request):
            return None
        return super().authenticate(request)


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (with its CSRF check), for requests presenting no token, and
    refused to a DPO or administrator who has not passed the second factor in this session."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        if presents_token(request):
            return None
        result = super().authenticate(request)
        if result is not None and otp_pending(result[0]):
            raise OtpRequired
        return result


class OtpSessionScheme(SessionScheme):
    """The schema names this session authentication as drf-spectacular names DRF's own."""

    target_class = "accounts.authentication.SessionAuthentication"
