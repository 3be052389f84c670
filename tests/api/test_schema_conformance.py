"""The schema says what the API answers (the fuzz in test_schema_fuzz.py checks every operation;
these name the findings one by one): lists that are not paginated are documented as lists,
references that may be empty as nullable, and every status an operation answers is documented."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import make_contact
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    return SchemaGenerator().get_schema(request=None, public=True)


def _component(schema, name):  # type: ignore[no-untyped-def]
    return schema["components"]["schemas"][name]


def test_the_matches_of_a_request_are_a_list_in_the_schema_and_the_answer(schema, api_as, dpo, isannointi):
    for method in ("get", "post"):
        operation = schema["paths"]["/api/v1/privacy-requests/{id}/matches"][method]
        body = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert body["type"] == "array"
        assert not any(p["name"] in {"page", "page_size", "kind", "status"} for p in operation.get("parameters", []))
    request = make_privacy_request(isannointi, verified=True)
    answer = api_as(dpo).get(f"/api/v1/privacy-requests/{request.pk}/matches")
    assert answer.status_code == 200
    assert isinstance(answer.json(), list)


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("LegalHold", "released_by"),
        ("AuditEvent", "actor"),
        ("Complaint", "created_by"),
        ("Complaint", "handler"),
        ("PurgeRun", "started_by"),
        ("Task", "assignee"),
    ],
)
def test_references_that_may_be_empty_are_nullable(schema, component, field):
    assert _component(schema, component)["properties"][field].get("nullable") is True


def test_an_audit_event_read_through_the_api_always_names_its_controller(schema):
    # Platform events (no controller) are never shown through the API (core.selectors).
    assert not _component(schema, "AuditEvent")["properties"]["controller"].get("nullable")


def test_every_operation_documents_the_errors_of_the_layers_it_passes(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in {"post", "patch"}:
                assert "409" in codes, (method, path)
            for code, response in operation["responses"].items():
                if code in {"400", "401", "403", "404", "409", "413", "415", "429"}:
                    assert list(response["content"]) == ["application/json"], (method, path, code)


def test_inbound_operations_document_the_rate_limit(schema):
    for path in ("/api/v1/inbound/email", "/api/v1/inbound/chat", "/api/v1/inbound/call"):
        assert "429" in schema["paths"][path]["post"]["responses"]


def test_changing_the_time_of_a_contact_is_a_400_not_a_500(api_as, agent, isannointi):
    contact = make_contact(isannointi)
    for body, kind in (({"occurred_at": "2000-01-01T00:00:00Z"}, "json"), ({"occurred_at": "2000-01-01"}, "multipart")):
        answer = api_as(agent).patch(f"/api/v1/contacts/{contact.pk}/", body, format=kind)
        assert answer.status_code == 400
        assert "occurred_at" in answer.json()


def test_patching_a_contact_with_its_own_time_changes_nothing_else(api_as, agent, isannointi):
    contact = make_contact(isannointi)
    answer = api_as(agent).patch(
        f"/api/v1/contacts/{contact.pk}/",
        {"occurred_at": contact.occurred_at.isoformat(), "subject": "Uusi otsikko"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["subject"] == "Uusi otsikko"
