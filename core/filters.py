"""Filter fields shared by every API list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, turned into UTC before it reaches the database.

    Python accepts offsets up to ±23:59, PostgreSQL only up to ±15:59: a value with a larger
    offset would fail inside the query (a 500) instead of here (a 400).
    """

    def clean(self, value: Any) -> dt.datetime | None:
        try:
            cleaned = super().clean(value)
            return cleaned.astimezone(dt.UTC) if cleaned is not None else None
        except (OverflowError, ValueError):
            raise forms.ValidationError(_("Enter a date and time in a supported range."), code="invalid") from None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


# The largest primary key a database column can hold (a signed 64-bit integer): a larger number
# in a filter would fail inside the query (a 500) instead of here (a 400).
MAX_ID = 2**63 - 1


class IdFilter(filters.NumberFilter):
    """A filter by the id of a related row: a whole number within the range of a key column."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
