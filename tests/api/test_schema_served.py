"""The OpenAPI schema (core.schema): generated once per process and language, so parallel
requests (gunicorn's threads) all get it, and what they get is the schema of the code."""

from __future__ import annotations

import json
import threading

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from core.schema import schema_forget

pytestmark = pytest.mark.django_db

PARALLEL = 8
EACH = 6


@pytest.fixture(autouse=True)
def _not_generated_yet():
    schema_forget()
    yield
    schema_forget()


def _in_parallel(url: str, **headers: str) -> list[tuple[int, bytes] | BaseException]:
    start = threading.Barrier(PARALLEL)
    answers: list[tuple[int, bytes] | BaseException] = []

    def client(number: int) -> None:
        browser = Client(REMOTE_ADDR=f"192.0.2.{number}")
        start.wait()
        for _ in range(EACH):
            try:
                answer = browser.get(url, **headers)
                answers.append((answer.status_code, answer.content))
            except BaseException as error:  # noqa: BLE001 (every failure is counted)
                answers.append(error)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_parallel_requests_for_the_schema_all_get_it():
    answers = _in_parallel("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en")
    failures = [a for a in answers if isinstance(a, BaseException) or a[0] != 200]
    assert not failures, f"{len(failures)} of {len(answers)} failed: {failures[:3]}"
    assert len({content for _status, content in answers}) == 1  # type: ignore[misc]


def test_the_schema_served_is_the_schema_of_the_code(client):
    served = client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert served["paths"].keys() == SchemaGenerator().get_schema(request=None, public=True)["paths"].keys()
    assert served == client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="en").json()


def test_each_language_has_its_own_schema(client):
    finnish = client.get("/api/schema/?format=json&lang=fi").json()
    swedish = client.get("/api/schema/?format=json&lang=sv").json()
    assert json.dumps(finnish) != json.dumps(swedish)
    assert finnish == client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE="fi").json()


@pytest.mark.parametrize("lang", ["xx", "fi\x00", "../../etc", "e" * 500])
def test_an_unknown_language_is_ignored_not_cached(client, lang):
    from core import schema

    answer = client.get("/api/schema/", {"format": "json", "lang": lang})
    assert answer.status_code == 200
    assert set(schema._schemas) <= {"fi", "sv", "en"}


def test_yaml_is_served_too(client):
    answer = client.get("/api/schema/")
    assert answer.status_code == 200
    assert answer.content.startswith(b"openapi:")
