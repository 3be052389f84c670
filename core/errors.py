"""Domain errors raised by services; the API answers them with 409 / 400, the web UI with a message."""

from __future__ import annotations


class Conflict(Exception):
    """The request is valid but the record's state forbids it (HTTP 409).

    Examples: exporting before the identity check, erasing held data, a second concurrent purge.
    """

    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
