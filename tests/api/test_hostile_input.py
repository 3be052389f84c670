"""Hostile input is a 4xx, never a 500, on every operation of the schema (DESIGN.md: a 500 is
always a bug): a lone surrogate in any choice field, a NUL character in any query parameter,
JSON nested a thousand levels deep. The operations and their fields are read from the OpenAPI
schema, so endpoints added later are covered as soon as they are routed."""

from __future__ import annotations

import json
import re
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.parsers import MAX_JSON_DEPTH, nested_deeper_than
from core.roles import Role
from core.scoping import unscoped
from tests.factories import OBJECT_FACTORIES, make_user
from tests.security.endpoints import api_endpoints

pytestmark = pytest.mark.django_db

_PARAM = re.compile(r"{(\w+)}")
# Parameters that are not filters: a page or cursor that does not exist, or a `format` no
# renderer has, is DRF's 404.
NOT_FILTERS = {"page", "page_size", "cursor", "format"}


def _shape(path: str) -> str:
    """A path with its parameters unnamed: the URL conf says {pk} where the schema says {id}."""
    return _PARAM.sub("{}", path)


def _discover_factories() -> None:
    for app_config in apps.get_app_configs():
        try:
            import_module(f"tests.{app_config.label}.factories")
        except ModuleNotFoundError as error:
            if error.name not in {f"tests.{app_config.label}", f"tests.{app_config.label}.factories"}:
                raise


_discover_factories()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _enum_paths(schema: dict[str, Any], node: dict[str, Any], depth: int = 0) -> list[list[str | int]]:
    """Where in a body an enum value goes: a key path ("messages", 0, "author")."""
    node = _resolve(schema, node)
    if depth > 4:
        return []
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in node:
            found = [path for part in node[combined] for path in _enum_paths(schema, part, depth)]
            return found[:1] if any("enum" in _resolve(schema, part) for part in node[combined]) else found
    if "enum" in node:
        return [[]]
    if node.get("type") == "array" and "items" in node:
        return [[0, *path] for path in _enum_paths(schema, node["items"], depth + 1)]
    paths = []
    for name, prop in (node.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        paths += [[name, *path] for path in _enum_paths(schema, prop, depth + 1)]
    return paths


def _body_with(path: list[str | int], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    return [_body_with(rest, value)] if isinstance(head, int) else {head: _body_with(rest, value)}


@pytest.fixture
def clients(isannointi, retta_oy) -> dict[str, APIClient]:
    users = {
        "agent": make_user("hostile-agent", Role.AGENT, [isannointi]),
        "handler": make_user("hostile-handler", Role.COMPLAINTS, [isannointi]),
        "dpo": make_user("hostile-dpo", Role.DPO, [isannointi, retta_oy]),
        "integration": make_user("hostile-integration", Role.INTEGRATION, [isannointi, retta_oy]),
    }
    found = {}
    for name, user in users.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        found[name] = client
    return found


@pytest.fixture
def records(isannointi) -> dict[tuple[str, str], str]:
    """A record of Isännöinti for every path with a parameter: (path, method) → its URL."""
    urls = {}
    with unscoped():
        made: dict[str, Any] = {}
        for endpoint in api_endpoints():
            if not endpoint.params:
                continue
            if endpoint.params == ["slug"]:
                urls[(_shape(endpoint.path), endpoint.method.lower())] = endpoint.url("retta-isannointi")
                continue
            label = endpoint.model._meta.label_lower if endpoint.model is not None else None
            if label not in OBJECT_FACTORIES:
                continue
            if label not in made:
                made[label] = OBJECT_FACTORIES[label](isannointi)
            obj = made[label]
            urls[(_shape(endpoint.path), endpoint.method.lower())] = endpoint.url(
                getattr(obj, "contact_id", None) or obj.pk
            )
    return urls


def _operations(schema: dict[str, Any], records: dict[tuple[str, str], str], content: str) -> list[tuple]:
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = (operation.get("requestBody") or {}).get("content", {}).get(content)
            if method not in {"post", "patch", "put"} or body is None:
                continue
            url = records.get((_shape(path), method)) if _PARAM.search(path) else path
            if url is not None:
                found.append((path, method, url, body.get("schema", {})))
    return found


def _send(client: APIClient, method: str, url: str, raw: bytes | str) -> Any:
    return getattr(client, method)(url, data=raw, content_type="application/json")


def test_a_lone_surrogate_in_any_choice_field_is_a_400_never_a_500(schema, clients, records):
    tried = 0
    for path, method, url, body_schema in _operations(schema, records, "application/json"):
        for field in _enum_paths(schema, body_schema):
            # json.dumps writes the surrogate as the escape "\ud800", as a hostile client would.
            raw = json.dumps(_body_with(field, "\ud800"))
            statuses = {name: _send(client, method, url, raw).status_code for name, client in clients.items()}
            assert max(statuses.values()) < 500, (method, path, field, statuses)
            assert 400 in statuses.values(), (method, path, field, statuses)
            tried += 1
    assert tried >= 12


def test_the_surrogate_is_echoed_as_a_replacement_character(api_as, agent):
    answer = api_as(agent).post("/api/v1/contacts/", data='{"channel": "\\ud800"}', content_type="application/json")
    assert answer.status_code == 400
    assert "\ufffd" in answer.json()["channel"][0]


def test_deeply_nested_json_is_a_400_on_every_json_write_endpoint(schema, clients, records):
    operations = _operations(schema, records, "application/json")
    assert len(operations) >= 21
    for body in ("[" * 1000, "[" * 100 + "]" * 100, '{"a":' * 50 + "1" + "}" * 50):
        for path, method, url, _schema in operations:
            statuses = {name: _send(client, method, url, body).status_code for name, client in clients.items()}
            assert max(statuses.values()) < 500, (method, path, statuses)
            assert 400 in statuses.values(), (method, path, statuses)


def test_json_nested_within_the_limit_is_read(api_as, agent):
    body = {"title": "Vuotava hana", "ignored": _body_with([0] * (MAX_JSON_DEPTH - 2), 1)}
    assert not nested_deeper_than(body, MAX_JSON_DEPTH)
    answer = api_as(agent).post("/api/v1/tasks/", body, format="json")
    assert answer.status_code == 201, answer.json()


def test_the_depth_limit_is_said_in_the_answer(api_as, agent):
    answer = api_as(agent).post("/api/v1/tasks/", data="[" * 1000, content_type="application/json")
    assert answer.status_code == 400
    assert str(MAX_JSON_DEPTH) in answer.json()["detail"]


def _query_parameters(schema: dict[str, Any], records: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    found = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        url = records.get((_shape(path), "get")) if _PARAM.search(path) else path
        if url is None:
            continue
        found += [(path, url, p["name"]) for p in operation.get("parameters", []) if p["in"] == "query"]
    return found


def test_a_nul_character_in_any_query_parameter_is_a_400_never_a_500(schema, clients, records):
    parameters = _query_parameters(schema, records)
    assert {"status", "kind", "controller"} <= {name for path, _url, name in parameters if "privacy" in path}
    for path, url, name in parameters:
        for value in ("a\x00b", "\x00", "access\x00"):
            statuses = {client_name: c.get(url, {name: value}).status_code for client_name, c in clients.items()}
            assert max(statuses.values()) < 500, (path, name, statuses)
            if name not in NOT_FILTERS:
                assert 400 in statuses.values(), (path, name, statuses)


@pytest.mark.parametrize("name", ["status", "controller", "kind"])
def test_a_nul_character_in_a_privacy_request_filter_is_a_400(api_as, dpo, name):
    answer = api_as(dpo).get("/api/v1/privacy-requests/", {name: "a\x00b"})
    assert answer.status_code == 400
    assert name in answer.json()


def test_privacy_request_filters_still_filter(api_as, dpo, isannointi, retta_oy):
    from tests.privacy.factories import make_privacy_request

    make_privacy_request(isannointi, kind="erasure")
    make_privacy_request(retta_oy, kind="access")
    client = api_as(dpo)
    assert [r["kind"] for r in client.get("/api/v1/privacy-requests/", {"kind": "erasure"}).json()["results"]] == [
        "erasure"
    ]
    assert [
        r["controller"] for r in client.get("/api/v1/privacy-requests/", {"controller": "retta-oy"}).json()["results"]
    ] == ["retta-oy"]
    assert client.get("/api/v1/privacy-requests/", {"status": "nonsense"}).status_code == 400
