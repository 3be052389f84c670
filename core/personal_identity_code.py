"""Finnish personal identity codes (henkilötunnus): the privacy policy does not list them among
the data processed, so the system does not take them in.

Staff typing one into a free-text field (a form, the API) are refused with a clear message
(`core.forms.RefusesPersonalIdentityCodes`, `core.parsers`); a customer who wrote one into an
email or a chat has it masked on arrival, and the contact carries a warning
(`contacts.ingestion`). Only checksum-valid codes count: an order or invoice number that merely
looks like one (`131052-308X`) is left alone.

The form: DDMMYY, a century sign (`+` 1800s; `-` `Y` `X` `W` `V` `U` 1900s; `A` `B` `C` `D` `E`
`F` 2000s), a three-digit individual number and a check character, `CHECK_CHARACTERS[int(DDMMYY
+ NNN) % 31]`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}

# Not inside a longer run of letters or digits (a reference number containing one by chance).
_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])(?P<date>\d{6})(?P<sign>[-+A-FU-Y])(?P<individual>\d{3})(?P<check>[0-9A-Ya-y])(?![0-9A-Za-z])"
)

MASK = "****"
REFUSED_CODE = "personal_identity_code"
REFUSED_MESSAGE = _("Remove the personal identity code: personal identity codes are not processed in customer service.")


def _is_valid(match: re.Match[str]) -> bool:
    digits, individual = match["date"], match["individual"]
    try:
        dt.date(CENTURIES[match["sign"]] + int(digits[4:6]), int(digits[2:4]), int(digits[0:2]))
    except ValueError:
        return False
    if int(individual) < 2:
        return False
    return CHECK_CHARACTERS[int(digits + individual) % 31] == match["check"].upper()


def personal_identity_codes_in(text: str) -> Iterator[re.Match[str]]:
    """The checksum-valid personal identity codes in `text`."""
    return (match for match in _CANDIDATE.finditer(text) if _is_valid(match))


def contains_personal_identity_code(value: Any) -> bool:
    return isinstance(value, str) and any(personal_identity_codes_in(value))


def personal_identity_codes_masked(text: str) -> tuple[str, bool]:
    """`text` with the individual part of every valid code masked (`131052-****`), and whether
    anything was masked. The date stays: alone, it identifies no one."""
    masked = False

    def mask(match: re.Match[str]) -> str:
        nonlocal masked
        if not _is_valid(match):
            return match[0]
        masked = True
        return f"{match['date']}{match['sign']}{MASK}"

    return _CANDIDATE.sub(mask, text), masked


def fields_with_personal_identity_codes(data: Any, *, prefix: str = "") -> list[str]:
    """Paths (`messages.0.text`) of the strings in parsed request data holding a code. Walked
    without recursion; the parser has already limited the depth."""
    found = []
    stack: list[tuple[str, Any]] = [(prefix, data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
        elif contains_personal_identity_code(value):
            found.append(path)
    return sorted(found)
