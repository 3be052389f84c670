"""The API's one JSON parser, used by every endpoint that takes JSON (DEFAULT_PARSER_CLASSES and
the views naming their parsers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request body of the API nests deeper than a few levels (a chat's messages: 3).
MAX_JSON_DEPTH = 32


def nested_deeper_than(data: Any, limit: int) -> bool:
    """True when lists and objects in `data` nest more than `limit` levels (walked without
    recursion, so the check itself cannot overflow the stack)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a depth limit: a body nested beyond MAX_JSON_DEPTH (`[` a thousand
    times made Python's decoder, and anything walking the result, overflow its stack: a 500)
    is a 400 before any view sees it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = _("JSON parse error - nested more than %(limit)d levels deep.") % {"limit": MAX_JSON_DEPTH}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep) from None
        if nested_deeper_than(data, MAX_JSON_DEPTH):
            raise ParseError(too_deep)
        return data
