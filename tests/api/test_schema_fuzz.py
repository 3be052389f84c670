"""Every operation of the OpenAPI schema, fuzzed with schemathesis (positive and negative data):
never a 500, no status the operation does not document, and every answer's body and content type
as its schema says. Run as an agent and as the DPO on real records of their controller (path
parameters name them), and as the integration account on the inbound endpoints.

FUZZ_MAX_EXAMPLES (default 12) sets the examples per operation; the examples are the same on every
run (derandomised), so CI is repeatable. Raise it locally to explore.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.roles import Role
from tests.factories import make_user

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _load_schema():  # type: ignore[no-untyped-def]
    # Generating the schema needs no database; the requests made by the cases do.
    from retta_cs.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json&lang=en", application)


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
        "agent": make_user("fuzz-agent", Role.AGENT, [isannointi]),
        "dpo": make_user("fuzz-dpo", Role.DPO, [isannointi, retta_oy]),
        "integration": make_user("fuzz-integration", Role.INTEGRATION, [isannointi, retta_oy]),
    }
    return {name: {"Authorization": f"Token {Token.objects.create(user=user).key}"} for name, user in users.items()}


@pytest.fixture
def records(personas, isannointi):  # type: ignore[no-untyped-def]
    """A record of Isännöinti behind every path parameter, by the path's first segment, made when
    an operation first needs it: the cases reach real records and their answers are checked,
    not only 404s."""
    from core.audit import audit_log
    from core.models import AuditAction, AuditPurpose
    from retention.purge import purge
    from tests.complaints.factories import make_hold
    from tests.contacts.factories import make_call_recording
    from tests.factories import make_complaint, make_customer, make_task
    from tests.privacy.factories import make_answered_privacy_request

    makers = {
        "audit-events": lambda: (
            audit_log(
                actor="fuzz",
                action=AuditAction.VIEW,
                purpose=AuditPurpose.SECURITY,
                object_type="x.y",
                controller=isannointi.pk,
            ).pk
        ),
        "complaints": lambda: make_complaint(isannointi, complainant=make_customer(isannointi)).pk,
        "contacts": lambda: make_call_recording(isannointi).contact_id,
        "controllers": lambda: isannointi.slug,
        "customers": lambda: make_customer(isannointi).pk,
        "legal-holds": lambda: make_hold(isannointi).pk,
        "privacy-requests": lambda: make_answered_privacy_request(isannointi).pk,
        "purge-runs": lambda: purge(now=dt.datetime.now(dt.UTC), dry_run=True, controller_ids=[isannointi.pk]).pk,
        "tasks": lambda: make_task(isannointi, customer=make_customer(isannointi)).pk,
    }
    made: dict[str, Any] = {}

    def record(resource: str) -> Any:
        if resource not in made and resource in makers:
            made[resource] = makers[resource]()
        return made.get(resource)

    return record


def _point_at_records(case: Any, record: Any) -> None:
    resource = case.operation.path.removeprefix("/api/v1/").split("/")[0]
    for name in list(case.path_parameters or {}):
        value = record(resource)
        if value is not None:
            case.path_parameters[name] = value


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    # The same examples on every run, so CI is repeatable; raise FUZZ_MAX_EXAMPLES to explore.
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_500_and_matches_its_schema(case, personas, records, db):  # type: ignore[no-untyped-def]
    _point_at_records(case, records)
    inbound = "inbound" in (case.operation.definition.raw.get("tags") or [])
    names = ["agent", "dpo"] + (["integration"] if inbound else [])
    for name in names:
        case.call_and_validate(headers={**personas[name], "Host": "localhost"}, checks=CHECKS)
