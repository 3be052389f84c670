"""Inbound contacts sent with `Transfer-Encoding: chunked` (core.request_body): stored whole, and
refused with 413 above the limits, the limit enforced while the body is read. The WSGI
application is called as gunicorn calls it (the body already de-chunked, `wsgi.input_terminated`
set), and once through a real gunicorn."""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from rest_framework.authtoken.models import Token

from contacts.models import Contact, EmailMessage
from core.roles import Role
from retta_cs.wsgi import application
from tests.contacts.factories import wav_bytes
from tests.contacts.test_inbound_email import make_email
from tests.factories import make_user

EMAIL = "/api/v1/inbound/email"
GUNICORN = [sys.executable, "-m", "gunicorn", "retta_cs.wsgi:application", "--workers", "1", "--threads", "2"]
CALL = "/api/v1/inbound/call"


class _CountingStream:
    """A de-chunked request body that counts how much of it was read."""

    def __init__(self, body: bytes) -> None:
        self.stream, self.read_bytes = io.BytesIO(body), 0

    def read(self, size: int = -1) -> bytes:
        block = self.stream.read(size)
        self.read_bytes += len(block)
        return block


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """The WSGI application closes old connections around each request, as in production; inside
    a test transaction that would close the test's own connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _as_gunicorn(
    path: str, body: bytes | _CountingStream, *, token: str = "", content_type: str, query: str = "", decoded=True
) -> tuple[int, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": content_type,
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body if isinstance(body, _CountingStream) else io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if decoded:
        environ["wsgi.input_terminated"] = True
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"], started["headers"] = int(status.split()[0]), dict(headers)

    answer = application(environ, start_response)
    try:
        content = b"".join(answer)
    finally:
        if hasattr(answer, "close"):
            answer.close()
    return started["status"], started["headers"], content


@pytest.fixture
def integration_token(db, integration) -> str:
    return Token.objects.create(user=integration).key


@pytest.mark.django_db
def test_an_email_sent_chunked_is_stored_whole(keep_test_connection, integration_token, isannointi):
    raw = make_email() + b"\n" + b"Lorem ipsum dolor sit amet.\n" * 5000
    status, _headers, content = _as_gunicorn(
        EMAIL, raw, token=integration_token, content_type="message/rfc822", query="controller=retta-isannointi"
    )
    assert status == 201, content
    message = EmailMessage.objects.get()
    assert message.size_bytes == len(raw)
    with message.raw.open("rb") as stored:
        assert stored.read() == raw


@pytest.mark.django_db
def test_a_chunked_email_above_the_email_limit_is_413(keep_test_connection, integration_token, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 2_000
    status, _headers, content = _as_gunicorn(
        EMAIL,
        make_email() + b"x" * 3_000,
        token=integration_token,
        content_type="message/rfc822",
        query="controller=retta-isannointi",
    )
    assert status == 413, content
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_chunked_body_above_the_request_limit_is_refused_while_it_is_read(
    keep_test_connection, integration_token, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    body = _CountingStream(make_email() + b"x" * 1_000_000)
    status, headers, content = _as_gunicorn(
        EMAIL, body, token=integration_token, content_type="message/rfc822", query="controller=retta-isannointi"
    )
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert b"too_large" in content
    assert body.read_bytes < 200_000  # stopped at the limit, not read to the end
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_chunked_body_the_server_did_not_decode_is_411(keep_test_connection, integration_token):
    status, _headers, content = _as_gunicorn(
        EMAIL, make_email(), token=integration_token, content_type="message/rfc822", decoded=False
    )
    assert status == 411
    assert b"length_required" in content


@pytest.mark.django_db
def test_a_call_with_its_recording_sent_chunked_is_stored(keep_test_connection, integration_token, isannointi):
    boundary = "rettaboundary"
    fields = {
        "controller": "retta-isannointi",
        "started_at": "2026-11-25T08:00:00+02:00",
        "direction": "inbound",
        "phone": "040 123 4567",
        "duration_seconds": "30",
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="recording"; filename="call.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n".encode()
        + wav_bytes(50_000)
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    status, _headers, content = _as_gunicorn(
        CALL, body, token=integration_token, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert status == 201, content
    assert Contact.objects.get().recording.size_bytes == len(wav_bytes(50_000))


@pytest.mark.django_db
def test_a_chunked_email_without_credentials_is_401(keep_test_connection):
    status, _headers, _content = _as_gunicorn(EMAIL, make_email(), content_type="message/rfc822")
    assert status == 401


@pytest.mark.django_db
def test_a_chunked_email_from_staff_is_403(keep_test_connection, agent):
    token = Token.objects.create(user=agent).key
    status, _headers, _content = _as_gunicorn(EMAIL, make_email(), token=token, content_type="message/rfc822")
    assert status == 403
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_a_chunked_email_for_a_controller_not_granted_is_refused(keep_test_connection, retta_oy, isannointi):
    telephony = make_user("mail-oy", Role.INTEGRATION, [retta_oy])
    token = Token.objects.create(user=telephony).key
    status, _headers, content = _as_gunicorn(
        EMAIL, make_email(), token=token, content_type="message/rfc822", query="controller=retta-isannointi"
    )
    assert status == 400
    assert b"controller" in content
    assert not Contact.objects.exists()


# -- through a real gunicorn ---------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path) -> Iterator[int]:
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    credentials = f"{user}:{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else user
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retta_cs.settings",
        "DATABASE_URL": f"postgres://{credentials}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}/"
        f"{database['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "true",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*GUNICORN, "--bind", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"gunicorn did not start: {log.read_text()}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        print(log.read_text())  # shown when the test fails


def _post_chunked(port: int, path: str, blocks: Iterator[bytes], token: str) -> tuple[int, bytes]:
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "message/rfc822", "Authorization": f"Token {token}", "Host": "localhost"}
    connection_.request("POST", path, body=blocks, headers=headers, encode_chunked=True)
    answer = connection_.getresponse()
    return answer.status, answer.read()


@pytest.mark.postgresql
@pytest.mark.slow
def test_gunicorn_hands_a_chunked_email_over_whole_and_refuses_27_mib(gunicorn, integration, isannointi):
    token = Token.objects.create(user=integration).key
    raw = make_email(message_id="<chunked@customer.example>") + b"\n" + b"Rivi.\n" * 20_000
    status, content = _post_chunked(
        gunicorn, f"{EMAIL}?controller=retta-isannointi", iter([raw[:5000], raw[5000:]]), token
    )
    assert status == 201, content
    assert EmailMessage.all_controllers.get().size_bytes == len(raw)

    block = b"x" * (1024 * 1024)
    status, content = _post_chunked(
        gunicorn,
        f"{EMAIL}?controller=retta-isannointi",
        iter([make_email(message_id="<big@customer.example>"), *[block] * 27]),
        token,
    )
    assert status == 413, content
    assert EmailMessage.all_controllers.count() == 1
