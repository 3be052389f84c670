"""Token or session, and the second factor, decided alike by the page middleware and by DRF
(accounts.authentication): no `Authorization` header lets a DPO's password-only session reach the
API. The header is fuzzed with every Unicode whitespace character as the separator, and the
other shapes a client or an attacker sends."""

from __future__ import annotations

import sys

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.authtoken.models import Token

from accounts.authentication import presents_token
from core.models import AuditEvent
from privacy.models import PrivacyRequest
from tests.factories import otp_verify_client

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit-events/"
REQUESTS = "/api/v1/privacy-requests/"
# What DRF (bytes.split) takes for whitespace between the scheme and the key.
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
UNICODE_WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
WITHOUT_OTP_MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "accounts.middleware.RequirePrivilegedOtpMiddleware"]


def _as_received(text: str) -> str:
    """A header value as a WSGI server hands it to Django: its bytes read as ISO-8859-1, so a
    character above U+00FF arrives as its UTF-8 bytes."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8").decode("latin-1")
    return text


def _headers(key: str) -> list[tuple[str, str]]:
    """(header, what it is): "token" a token request with the DPO's key, "bad token" a token
    request DRF refuses, "no token" a request DRF authenticates by its session."""
    cases = [(_as_received(f"Token{space}junk"), "bad token") for space in ASCII_WHITESPACE]
    cases += [
        (_as_received(f"Token{space}junk"), "no token") for space in UNICODE_WHITESPACE if space not in ASCII_WHITESPACE
    ]
    cases += [
        (_as_received(f"Token{space}{key}"), "no token")
        for space in UNICODE_WHITESPACE
        if space not in ASCII_WHITESPACE
    ]
    cases += [
        ("", "no token"),
        ("Token", "bad token"),
        ("Token ", "bad token"),
        ("token", "bad token"),
        ("Bearer junk", "no token"),
        (f"Bearer {key}", "no token"),
        ("Basic Zm9vOmJhcg==", "no token"),
        ("Tokenjunk", "no token"),
        (" Token junk", "bad token"),
        ("Token junk other", "bad token"),
        (f"Token {key} {key}", "bad token"),
        (f"Token {key}\xa0{key}", "bad token"),
        (f"Token {key}", "token"),
        (f"token {key}", "token"),
        (f"TOKEN\t{key}", "token"),
    ]
    return cases


@pytest.fixture
def password_only_dpo(client, dpo):
    """The DPO logged in with the password, the second factor not passed (and a token of theirs)."""
    answer = client.post("/accounts/login/", {"username": dpo.username, "password": "correct horse battery"})
    assert answer.status_code == 302
    return client, Token.objects.create(user=dpo).key


def _check_every_header(client, key):  # type: ignore[no-untyped-def]
    cases = _headers(key)
    assert len(cases) > 60
    for header, kind in cases:
        listed = client.get(AUDIT, HTTP_AUTHORIZATION=header)
        created = client.post(
            REQUESTS,
            {"controller": "retta-oy", "kind": "access", "email": "maija@example.fi"},
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        )
        if kind == "token":
            assert (listed.status_code, created.status_code) == (200, 201), repr(header)
        elif kind == "bad token":
            assert (listed.status_code, created.status_code) == (401, 401), repr(header)
        else:
            assert (listed.status_code, created.status_code) == (403, 403), repr(header)
            assert listed.json()["code"] == created.json()["code"] == "otp_required", repr(header)
    return sum(kind == "token" for _header, kind in cases)


def test_no_authorization_header_lets_a_password_only_dpo_session_reach_the_api(password_only_dpo):
    client, key = password_only_dpo
    with_token = _check_every_header(client, key)
    # Only the requests that carried the DPO's own valid token created anything.
    assert PrivacyRequest.objects.count() == with_token


@override_settings(MIDDLEWARE=WITHOUT_OTP_MIDDLEWARE)
def test_drf_alone_refuses_a_password_only_dpo_session_whatever_the_header(password_only_dpo):
    client, key = password_only_dpo
    _check_every_header(client, key)


def test_the_non_breaking_space_of_the_report_is_not_a_token_request(password_only_dpo):
    client, _key = password_only_dpo
    for space in ("\xa0", "\x85"):
        assert client.get(AUDIT, HTTP_AUTHORIZATION=f"Token{space}junk").status_code == 403
        assert client.get("/api/v1/audit-events/1/", HTTP_AUTHORIZATION=f"Token{space}junk").status_code == 403
    assert not AuditEvent.objects.filter(action="view", object_type="core.auditevent").exists()


def test_token_or_session_is_decided_by_drfs_parsing(rf):
    assert presents_token(rf.get("/", HTTP_AUTHORIZATION="Token abc"))
    assert presents_token(rf.get("/", HTTP_AUTHORIZATION="token\tabc"))
    assert not presents_token(rf.get("/", HTTP_AUTHORIZATION="Token\xa0abc"))
    assert not presents_token(rf.get("/", HTTP_AUTHORIZATION="Bearer abc"))
    assert not presents_token(rf.get("/"))


def test_a_verified_dpo_session_still_reaches_the_api_without_a_header(client, dpo):
    otp_verify_client(client, dpo)
    assert client.get(AUDIT).status_code == 200
    assert client.get(AUDIT, HTTP_AUTHORIZATION="Token\xa0junk").status_code == 200
