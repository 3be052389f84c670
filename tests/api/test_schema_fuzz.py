"""Every operation of the OpenAPI schema, fuzzed: never a 500, and every documented response
matches the schema. Run with valid credentials of several roles and with none."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from core.roles import Role
from tests.factories import make_user

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))


def _load_schema():  # type: ignore[no-untyped-def]
    # Generating the schema needs no database; the requests made by the cases do.
    from retta_cs.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()


@schemathesis.serializer("message/rfc822")
def _raw_email(ctx, value):  # type: ignore[no-untyped-def]
    """The inbound email endpoint takes a raw message: send the generated value as its bytes."""
    from schemathesis.transport.serialization import Binary

    if isinstance(value, Binary):
        return value.data
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture
def keep_test_connection():  # type: ignore[no-untyped-def]
    """The WSGI app closes "old" connections around each request, as in production; inside a
    test transaction that would close the test's own connection (Django's test client does
    the same disconnection)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def personas(keep_test_connection, isannointi, retta_oy):  # type: ignore[no-untyped-def]
    users = {
        "dpo": make_user("fuzz-dpo", Role.DPO, [isannointi, retta_oy]),
        "agent": make_user("fuzz-agent", Role.AGENT, [isannointi]),
        "integration": make_user("fuzz-integration", Role.INTEGRATION, [isannointi, retta_oy]),
    }
    headers = {name: {"Authorization": f"Token {Token.objects.create(user=user).key}"} for name, user in users.items()}
    headers["anonymous"] = {}
    return headers


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    # The same examples on every run, so CI is repeatable; raise MAX_EXAMPLES locally to explore.
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_never_answers_500_and_matches_its_schema(case, personas, db):  # type: ignore[no-untyped-def]
    for headers in personas.values():
        case.call_and_validate(
            headers={**headers, "Host": "localhost"},
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )
