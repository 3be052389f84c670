"""Request bodies sent with `Transfer-Encoding: chunked`, as a mail server streaming a large
message sends them.

Django reads a request body only as far as its Content-Length, and a chunked request has none:
its body looked empty (a raw email posted so was "empty", 400, whatever its size). gunicorn
decodes the chunks and says so (`wsgi.input_terminated`); `ChunkedBodyMiddleware` reads the
decoded body into a spooled temporary file, refusing it with 413 as soon as it passes the limit
(without reading on), and hands Django the body with its length, so every view, parser and size
check works as for any other body. A server that does not decode chunks gets a 411.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

_BLOCK = 64 * 1024


def body_limit(content_type: str) -> int:
    """The largest chunked body read: a multipart upload may carry a recording and its fields,
    anything else is read into memory by Django (DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return settings.RECORDING_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _is_chunked(environ: dict[str, Any]) -> bool:
    encodings = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encodings and not environ.get("CONTENT_LENGTH")


def _error(start_response: Callable[..., Any], status: str, detail: str, code: str) -> list[bytes]:
    body = json.dumps({"detail": detail, "code": code}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class _ClosingBody:
    """The application's answer, closing the spooled body once the server has sent it."""

    def __init__(self, answer: Iterable[bytes], body: IO[bytes]) -> None:
        self.answer, self.body = answer, body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.answer)

    def close(self) -> None:
        try:
            close = getattr(self.answer, "close", None)
            if close is not None:
                close()
        finally:
            self.body.close()


class ChunkedBodyMiddleware:
    """WSGI middleware around the Django application (retta_cs.wsgi); see the module."""

    def __init__(self, application: Callable[..., Iterable[bytes]]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _is_chunked(environ):
            return self.application(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return _error(
                start_response, "411 Length Required", _("Send the body with a Content-Length."), "length_required"
            )
        limit = body_limit(environ.get("CONTENT_TYPE", ""))
        body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        size = 0
        while block := environ["wsgi.input"].read(_BLOCK):
            size += len(block)
            if size > limit:
                body.close()
                return _error(
                    start_response,
                    "413 Request Entity Too Large",
                    _("The request body is too large."),
                    "too_large",
                )
            body.write(block)
        body.seek(0)
        environ = {**environ, "CONTENT_LENGTH": str(size), "wsgi.input": body}
        del environ["HTTP_TRANSFER_ENCODING"]
        try:
            answer = self.application(environ, start_response)
        except BaseException:
            body.close()
            raise
        return _ClosingBody(answer, body)
