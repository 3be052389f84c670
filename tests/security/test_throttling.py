"""Rate limits (P9): anonymous API calls per address, inbound endpoints per integration account,
and the login lockout of django-axes."""

import datetime as dt

import pytest
import time_machine
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
    assert "rest_framework.throttling.ScopedRateThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert "rest_framework.throttling.AnonRateThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]


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
