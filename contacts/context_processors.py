"""The inbox counts in the navigation: the agent sees new work on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from contacts.selectors import INBOX_COUNT_CAP, inbox_counts
from core.roles import Role, user_roles


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if Role.AGENT not in user_roles(user):
        return {}
    return {"inbox_counts": inbox_counts(user=user), "inbox_count_cap": INBOX_COUNT_CAP}
