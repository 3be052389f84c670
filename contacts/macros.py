"""Response templates (macros): an answer written once per controller and language, with
placeholders filled in for the customer at hand.

Placeholders are `{name}` from the fixed list below; anything else in braces is refused when the
template is saved (`placeholders_check`), so a template never renders half-filled. Rendering is
plain substitution of those names (`macro_render`), never str.format: a template cannot reach
attributes or anything but the values given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS: Mapping[str, Any] = {
    "customer_name": _("the customer's name"),
    "agent_name": _("your name"),
    "ticket_id": _("the number of the task or complaint"),
    "subject": _("the subject of the message answered"),
    "controller_name": _("the company's name"),
}

_BRACED = re.compile(r"\{([^{}]*)\}")


def placeholders_check(text: str) -> None:
    """ValidationError naming every placeholder that is not in PLACEHOLDERS, and stray braces."""
    unknown = sorted({name for name in _BRACED.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("Unknown placeholders: %(names)s. Known: %(known)s.")
            % {
                "names": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS),
            },
            code="unknown_placeholder",
        )
    if "{" in _BRACED.sub("", text) or "}" in _BRACED.sub("", text):
        raise ValidationError(_("A brace without its pair: write placeholders as {customer_name}."), code="brace")


def macro_render(text: str, values: Mapping[str, str]) -> str:
    """The template's text with each known placeholder replaced by its value ('' when not known)."""
    return _BRACED.sub(
        lambda match: str(values.get(match.group(1), "")) if match.group(1) in PLACEHOLDERS else match.group(0), text
    )


def macro_values(
    *, customer_name: str, agent: Any, ticket_id: int | None, subject: str, controller: Any
) -> dict[str, str]:
    agent_name = (agent.get_full_name() or agent.get_username()) if agent is not None else ""
    return {
        "customer_name": customer_name,
        "agent_name": agent_name,
        "ticket_id": str(ticket_id or ""),
        "subject": subject,
        "controller_name": getattr(controller, "name", ""),
    }


def macros_for(*, controller_id: int, values: Mapping[str, str], language: str = "") -> list[dict[str, Any]]:
    """The active templates of a controller, rendered with `values`, the given language first:
    what the reply form's template chooser offers."""
    from contacts.models import ResponseTemplate

    rows = ResponseTemplate.objects.filter(controller_id=controller_id, active=True).order_by("name", "language")
    rendered = [
        {
            "id": row.pk,
            "name": row.name,
            "language": row.language,
            "language_label": row.get_language_display(),
            "text": macro_render(row.body, values),
        }
        for row in rows
    ]
    return sorted(rendered, key=lambda row: row["language"] != language)
