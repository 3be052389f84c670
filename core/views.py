from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import Area, access_required
from core.forms import AuditFilterForm
from core.roles import user_roles
from core.selectors import audit_events_visible_to, controllers_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One home page; each role sees its own section (templates/<app>/_home.html). A role with
    a working page of its own (settings.HOME_OF_ROLE: the agent's inbox) starts there."""
    roles = user_roles(request.user)
    if len(roles) == 1 and next(iter(roles)) in settings.HOME_OF_ROLE:
        return redirect(settings.HOME_OF_ROLE[next(iter(roles))])
    return render(
        request,
        "core/home.html",
        {"roles": roles, "controllers": controllers_of(request.user)},
    )


def _broker_reachable() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "in-process"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
    except redis.RedisError:
        return False, "unreachable"
    return True, "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachable: 200, otherwise 503 naming what is down."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 (any database failure means unhealthy)
        database = "unreachable"
    broker_ok, broker = _broker_reachable()
    healthy = database == "ok" and broker_ok
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )


@access_required(Area.DATA_PROTECTION)
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, user=request.user)
    events = audit_events_visible_to(request.user)
    if form.is_valid():
        events = form.filter(events)
    page = Paginator(events.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"form": form, "page": page})
