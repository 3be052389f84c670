"""The second factor for privileged roles, enforced for every page and session API call."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch, reverse

from accounts.authentication import OTP_REQUIRED_CODE, OTP_REQUIRED_MESSAGE, presents_token
from accounts.otp import otp_confirmed_device, otp_pending

API_PREFIX = "/api/"


class RequirePrivilegedOtpMiddleware:
    """A DPO or administrator (or any staff user or superuser) logged in with a password but not
    yet verified with a code in this session reaches nothing but the enrol and verify pages,
    logout and the language switch.

    Pages redirect to enrol (no authenticator yet) or verify, with `?next=`; session calls to
    the API answer 403 `{"code": "otp_required"}`. API calls presenting a token are not sessions
    and pass: DRF authenticates them by the token alone. Which calls present a token, and who
    must still pass the second factor, are the same functions DRF's authentication asks
    (accounts.authentication), so the two layers cannot disagree. Install after
    `django_otp.middleware.OTPMiddleware`.
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
        if otp_pending(user) and not self.is_exempt(request.path_info):
            if request.path_info.startswith(API_PREFIX):
                if not presents_token(request):
                    return JsonResponse({"detail": str(OTP_REQUIRED_MESSAGE), "code": OTP_REQUIRED_CODE}, status=403)
            else:
                name = "accounts:otp_verify" if otp_confirmed_device(user=user) else "accounts:otp_enrol"
                return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
