"""Request id, security headers and the controller scope of each request."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.audit import reset_request_id, set_request_id
from core.scoping import controller_scope

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Tag each request with an id (the proxy's X-Request-ID when sane) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline script) and a cache ban on pages with personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # Static files are answered by WhiteNoise before this middleware, so everything
        # passing here is a page or an API answer that may hold personal data.
        response.setdefault("Cache-Control", "no-store")
        return response


def user_controller_ids(user: object) -> frozenset[int]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    # The user loads its controllers once per request (accounts.User._access).
    return frozenset(user.controller_slugs())  # type: ignore[attr-defined]


class ControllerScopeMiddleware:
    """Every query in a request sees only the controllers granted to the requesting user.

    Resolved lazily at query time: DRF authenticates a token inside the view and then sets
    `request.user` on this same request object.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with controller_scope(lambda: user_controller_ids(request.user)):
            return self.get_response(request)
