"""A person's history kept by other apps, shown on the customer page to those allowed to see it.

The customer page belongs to the contacts app, which must not know the privacy app; a privacy
request is still part of the customer's story for the DPO. The app keeping such records
registers a provider here with the area a reader needs (`register`); the customer page asks
`entries_for` and gets only what the reader's roles allow (core.access).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise

from core.access import Action, Area, can


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    label: str | Promise  # what it is, e.g. "Access request"
    status: str | Promise
    url: str
    obj: models.Model  # the record shown, for the audit trail


# A provider answers for one person at one controller, known by normalised emails and phones.
Provider = Callable[..., Iterable[HistoryEntry]]

_providers: list[tuple[Area, Provider]] = []


def register(provider: Provider, *, area: Area) -> Provider:
    if all(existing is not provider for _area, existing in _providers):
        _providers.append((area, provider))
    return provider


def entries_for(*, user: Any, controller_id: int, emails: Sequence[str], phones: Sequence[str]) -> list[HistoryEntry]:
    """The entries of every provider whose area the user may read, newest first."""
    if not emails and not phones:
        return []
    found: list[HistoryEntry] = []
    for area, provider in _providers:
        if can(user, area, Action.READ):
            found.extend(provider(controller_id=controller_id, emails=list(emails), phones=list(phones)))
    return sorted(found, key=lambda entry: entry.at, reverse=True)
