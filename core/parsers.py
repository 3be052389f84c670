"""The API's parsers, used by every endpoint (DEFAULT_PARSER_CLASSES and the views naming their
parsers): JSON with a depth limit, and all three refusing personal identity codes in any field
(core.personal_identity_code). An inbound endpoint, where the customer wrote the text, sets
`personal_identity_codes_masked = True` on its view and masks them instead."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.settings import api_settings

from core.personal_identity_code import REFUSED_CODE, REFUSED_MESSAGE, fields_with_personal_identity_codes

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


def refuse_personal_identity_codes(data: Any, parser_context: Any) -> None:
    """A 400 naming each field that holds a personal identity code, before any view sees it."""
    view = (parser_context or {}).get("view")
    if getattr(view, "personal_identity_codes_masked", False):
        return
    fields = fields_with_personal_identity_codes(data)
    if fields:
        raise ValidationError(
            {
                field or api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail(str(REFUSED_MESSAGE), code=REFUSED_CODE)]
                for field in fields
            }
        )


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
        refuse_personal_identity_codes(data, parser_context)
        return data


def _by_field(data: Any) -> dict[str, str]:
    """A form body's values by field name (a repeated field's values on separate lines)."""
    return {key: "\n".join(str(value) for value in values) for key, values in data.lists()}


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_personal_identity_codes(_by_field(data), parser_context)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_personal_identity_codes(_by_field(parsed.data), parser_context)
        return parsed
