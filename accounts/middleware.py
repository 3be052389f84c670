"""The second factor for privileged roles, enforced for every page and session API call."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.otp import otp_confirmed_device, otp_required_for

API_PREFIX = "/api/"


def _token_authenticated(request: HttpRequest) -> bool:
    """An `Authorization: Token …` request is authenticated by DRF from the token alone: a
    session cookie sent along is never consulted (a bad token is a 401, not a fallback)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    return bool(parts) and parts[0].lower() == "token"


class RequirePrivilegedOtpMiddleware:
    """A DPO or administrator (or any staff user or superuser) logged in with a password but not
    yet verified with a code in this session reaches nothing but the enrol and verify pages,
    logout and the language switch.

    Pages redirect to enrol (no authenticator yet) or verify, with `?next=`; session calls to
    the API answer 403 `{"code": "otp_required"}`. Token-authenticated API calls (integrations)
    are not sessions and pass. Install after `django_otp.middleware.OTPMiddleware`.
    """

    EXEMPT = ("accounts:otp_enrol", "accounts:otp_verify", "accounts:logout", "set_language", "healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def is_exempt(self, path: str) -> bool:
        for name in self.EXEMPT:
            try:
                if path == reverse(name):
                    return True
            except NoReverseMatch:
                continue
        return False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and otp_required_for(user)
            and not self.is_exempt(request.path_info)
        ):
            if request.path_info.startswith(API_PREFIX):
                if not _token_authenticated(request):
                    return JsonResponse(
                        {"detail": _("Two-factor verification is required."), "code": "otp_required"}, status=403
                    )
            else:
                name = "accounts:otp_verify" if otp_confirmed_device(user=user) else "accounts:otp_enrol"
                return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
