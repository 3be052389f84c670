"""Rate limits (P9): anonymous API calls per address, inbound endpoints per integration account,
and the login lockout of django-axes."""

import datetime as dt
import os
import threading
import time
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from core.access import Action, Area, AreaPermission
from core.roles import Role

pytestmark = pytest.mark.django_db


class InboundProbe(APIView):
    """Stands in for the inbound endpoints of the contacts app."""

    throttle_scope = "inbound"
    permission_classes = [AreaPermission.for_area(Area.INBOUND, write=Action.CREATE)]

    def post(self, request):
        return Response({"ok": True}, status=201)


urlpatterns = [path("api/v1/inbound/probe", InboundProbe.as_view())]


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "inbound": "4/minute"})


def test_anonymous_calls_to_open_endpoints_are_throttled_per_address(api, low_rates):
    answers = [api.get("/api/schema/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert int(api.get("/api/schema/")["Retry-After"]) > 0


def test_anonymous_calls_to_closed_endpoints_are_refused_before_any_work(api, low_rates):
    # DRF checks permissions before throttles: no credentials is always a cheap 401.
    assert {api.get("/api/v1/controllers/").status_code for _ in range(5)} == {401}


def test_authenticated_calls_are_not_counted_as_anonymous(api_as, agent, low_rates):
    client = api_as(agent)
    assert {client.get("/api/v1/controllers/").status_code for _ in range(6)} == {200}


@override_settings(ROOT_URLCONF=__name__)
def test_inbound_endpoints_are_throttled_per_integration_account(api_as, integration, low_rates, retta_oy):
    from tests.factories import make_user

    client = api_as(integration)
    answers = [client.post("/api/v1/inbound/probe").status_code for _ in range(5)]
    assert answers == [201, 201, 201, 201, 429]
    # Another integration account has its own budget.
    other = make_user("telephony", Role.INTEGRATION, [retta_oy])
    assert api_as(other).post("/api/v1/inbound/probe").status_code == 201


def test_the_production_rates_come_from_the_environment():
    from django.conf import settings

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) >= {"anon", "inbound"}
    assert "core.throttling.ScopedRateThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert "core.throttling.AnonRateThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    # One proxy (the TLS-terminating one) appends the client's address, unless configured otherwise.
    assert settings.PROXY_COUNT == 1
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.PROXY_COUNT


# -- the client address: what our proxy saw, never what the client wrote -----------------------
def _from(client_wrote: str, proxy_saw: str) -> dict[str, str]:
    """Headers as they reach the app behind one proxy, which appends the address it saw."""
    forwarded = f"{client_wrote}, {proxy_saw}" if client_wrote else proxy_saw
    return {"HTTP_X_FORWARDED_FOR": forwarded, "REMOTE_ADDR": "10.0.0.1"}


def test_a_new_x_forwarded_for_value_does_not_reset_the_anonymous_limit(api, low_rates):
    answers = [api.get("/api/schema/", **_from("", "203.0.113.7")).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    assert api.get("/api/schema/", **_from("", "203.0.113.7")).status_code == 429
    for spoofed in ("198.51.100.1", "198.51.100.2", "1.2.3.4, 5.6.7.8", "garbage"):
        assert api.get("/api/schema/", **_from(spoofed, "203.0.113.7")).status_code == 429, spoofed


def test_another_client_behind_the_proxy_has_its_own_anonymous_budget(api, low_rates):
    for _ in range(4):
        api.get("/api/schema/", **_from("", "203.0.113.7"))
    assert api.get("/api/schema/", **_from("", "203.0.113.8")).status_code == 200


@override_settings(AXES_FAILURE_LIMIT=2)
def test_login_lockout_counts_the_address_the_proxy_saw(agent):
    from django.test import Client

    for spoofed in ("198.51.100.1", "198.51.100.2"):
        Client().post("/accounts/login/", {"username": "agent", "password": "wrong"}, **_from(spoofed, "203.0.113.7"))
    locked = Client().post(
        "/accounts/login/",
        {"username": "agent", "password": "correct horse battery"},
        **_from("198.51.100.3", "203.0.113.7"),
    )
    assert locked.status_code == 429
    # The same account from another client behind the same proxy is not locked out.
    other = Client().post(
        "/accounts/login/", {"username": "agent", "password": "correct horse battery"}, **_from("", "203.0.113.8")
    )
    assert other.status_code == 302


def test_client_address_reads_the_proxy_count(rf, settings):
    from core.throttling import client_address

    request = rf.get("/", **_from("198.51.100.1", "203.0.113.7"))
    assert client_address(request) == "203.0.113.7"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}  # nothing in front
    assert client_address(request) == "10.0.0.1"


# -- the inbound limit under concurrency ---------------------------------------------------------
class _SlowCache(LocMemCache):
    """The local-memory cache with the latency of a network round trip on every call, so that
    requests of parallel clients interleave as they do against Redis."""

    def get(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.002)
        return super().get(*args, **kwargs)

    def set(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.002)
        return super().set(*args, **kwargs)

    def add(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.002)
        return super().add(*args, **kwargs)

    def incr(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.002)
        return super().incr(*args, **kwargs)


def _accepted_in_parallel(cache, *, clients: int, each: int) -> int:  # type: ignore[no-untyped-def]
    """Requests of one integration account to an inbound endpoint, `clients` threads at once,
    through the throttles the API is configured with; how many they let through."""
    from rest_framework.settings import api_settings

    user = SimpleNamespace(is_authenticated=True, pk=4242)
    request = SimpleNamespace(user=user, META={"REMOTE_ADDR": "10.0.0.1"})
    view = SimpleNamespace(throttle_scope="inbound")
    start = threading.Barrier(clients)
    accepted = []

    def client() -> None:
        start.wait()
        for _ in range(each):
            throttles = [throttle_class() for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES]
            for throttle in throttles:
                throttle.cache = cache
            accepted.append(all(throttle.allow_request(request, view) for throttle in throttles))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(accepted)


def test_the_inbound_limit_holds_under_concurrency(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "inbound": "60/minute"})
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC), tick=False):
        accepted = _accepted_in_parallel(_SlowCache("slow-throttles", {}), clients=12, each=8)
    assert accepted == 60


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
def test_the_inbound_limit_holds_under_concurrency_on_redis(monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "inbound": "600/minute"})
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"throttle-test-{os.getpid()}-{time.time_ns()}"})
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC), tick=False):
        accepted = _accepted_in_parallel(cache, clients=12, each=55)
    assert accepted == 600


@override_settings(AXES_FAILURE_LIMIT=3)
def test_login_lockout_is_per_username_and_address_and_lifts_after_the_cool_off(client, agent, colleague):
    from django.test import Client

    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(3):
            client.post("/accounts/login/", {"username": "agent", "password": "wrong"})
        locked = client.post("/accounts/login/", {"username": "agent", "password": "correct horse battery"})
        assert locked.status_code == 429
        assert b"Too many failed logins" in locked.content or locked.status_code == 429
        # A colleague at the same address is not locked out by someone else's failures.
        ok = Client().post("/accounts/login/", {"username": "colleague", "password": "correct horse battery"})
        assert ok.status_code == 302
        clock.shift(dt.timedelta(minutes=16))  # AXES_COOLOFF_MINUTES defaults to 15
        again = Client().post("/accounts/login/", {"username": "agent", "password": "correct horse battery"})
        assert again.status_code == 302
