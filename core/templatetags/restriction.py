"""Template side of the restriction rule (core.restriction): rows a page lists through another
record (a disclosure's contacts and complaint) shown only to those who may see them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from core.restriction import is_hidden_from, visible_rows

register = template.Library()


@register.filter
def visible_for(rows: Iterable[Any], user: Any) -> list[Any]:
    """`{% for contact in disclosure.contacts.all|visible_for:request.user %}`"""
    return visible_rows(rows, user=user)


@register.filter
def hidden_from(row: Any, user: Any) -> bool:
    """`{% if disclosure.complaint|hidden_from:request.user %}`"""
    return is_hidden_from(row, user=user)
