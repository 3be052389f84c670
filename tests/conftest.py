"""Shared fixtures: the two controllers and the personas every endpoint is tested with.

- `agent`: an agent at Retta Isännöinti Oy, the persona most tests act as;
- `colleague`: a complaint handler at the same controller (the wrong role for agent pages);
- `dpo`: the data protection officer of both controllers;
- `outsider`: an agent at Retta Oy only, who must always get 404 for Isännöinti's records.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.models import Controller
from core.roles import Role
from core.scoping import unscoped
from tests.factories import make_user, otp_verify_client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql` are skipped, with the reason, when running on SQLite."""
    from django.conf import settings

    if settings.IS_POSTGRESQL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (make test does in CI)")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _test_code_is_unscoped() -> Iterator[None]:
    """Test set-up reads and writes across controllers; requests made by clients are scoped
    by the middleware exactly as in production."""
    with unscoped():
        yield


@pytest.fixture(autouse=True)
def _fresh_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with empty API throttle counters (the suite as a whole makes far more
    anonymous calls per minute than the production rate allows)."""
    from django.core.cache.backends.locmem import LocMemCache
    from rest_framework.throttling import SimpleRateThrottle

    throttle_cache = LocMemCache("test-throttles", {})
    throttle_cache.clear()
    monkeypatch.setattr(SimpleRateThrottle, "cache", throttle_cache)


@pytest.fixture(autouse=True)
def _fresh_erasure_ledger(settings, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """Each test starts with an empty erasure ledger of its own (it lives outside the database,
    so the test database's rollback does not empty it)."""
    ledger = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path_factory.mktemp("ledger"))},
    }
    settings.STORAGES = {**settings.STORAGES, "erasure_ledger": ledger}


def _reference_data() -> None:
    """Put back what migrations create, when a transactional test's flush has emptied it."""
    if Controller.objects.count() == 2:
        return
    from django.apps import apps

    from accounts.services import roles_sync

    import_module("core.migrations.0002_controllers").create_controllers(apps, None)
    roles_sync()


@pytest.fixture
def isannointi(db: None) -> Controller:
    _reference_data()
    return Controller.objects.get(slug="retta-isannointi")


@pytest.fixture
def retta_oy(db: None) -> Controller:
    _reference_data()
    return Controller.objects.get(slug="retta-oy")


@pytest.fixture
def agent(isannointi: Controller):  # type: ignore[no-untyped-def]
    return make_user("agent", Role.AGENT, [isannointi])


@pytest.fixture
def colleague(isannointi: Controller):  # type: ignore[no-untyped-def]
    return make_user("colleague", Role.COMPLAINTS, [isannointi])


@pytest.fixture
def dpo(isannointi: Controller, retta_oy: Controller):  # type: ignore[no-untyped-def]
    return make_user("dpo", Role.DPO, [isannointi, retta_oy])


@pytest.fixture
def admin_user(isannointi: Controller, retta_oy: Controller):  # type: ignore[no-untyped-def]
    return make_user("admin", Role.ADMIN, [isannointi, retta_oy])


@pytest.fixture
def integration(isannointi: Controller, retta_oy: Controller):  # type: ignore[no-untyped-def]
    return make_user("integration", Role.INTEGRATION, [isannointi, retta_oy])


@pytest.fixture
def outsider(retta_oy: Controller):  # type: ignore[no-untyped-def]
    return make_user("outsider", Role.AGENT, [retta_oy])


@pytest.fixture
def api() -> APIClient:
    """An API client; `api.force_authenticate(user)` or a token header picks the persona."""
    return APIClient()


@pytest.fixture
def api_as(api: APIClient):  # type: ignore[no-untyped-def]
    def login(user):  # type: ignore[no-untyped-def]
        from rest_framework.authtoken.models import Token

        token, _created = Token.objects.get_or_create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return login


@pytest.fixture
def web_as(client):  # type: ignore[no-untyped-def]
    """A logged-in browser client; DPO and administrators have passed the second factor."""

    def login(user):  # type: ignore[no-untyped-def]
        from accounts.otp import otp_required_for

        if otp_required_for(user):
            return otp_verify_client(client, user)
        client.force_login(user)
        return client

    return login


@pytest.fixture
def on_postgresql() -> bool:
    return connection.vendor == "postgresql"
