"""Filter fields shared by every API list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError


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


class VisibleIdFilter(IdFilter):
    """A filter by the id of a related row that may be restricted (art. 18): the id of a row the
    reader may not see matches nothing, so filtering cannot tell which records link to it."""

    def __init__(self, *args: Any, model: type, **kwargs: Any) -> None:
        self.related_model = model
        super().__init__(*args, **kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        if value in ([], (), {}, "", None):
            return qs
        request = getattr(self.parent, "request", None)
        visible = self.related_model.objects.filter(pk=value)
        if request is not None:
            visible = visible.visible_to(request.user)
        if not visible.exists():
            return qs.none()
        return super().filter(qs, value)


def refuse_null_characters(params: Any) -> None:
    """400 for a query parameter holding a NUL character, which no filter means and PostgreSQL
    refuses inside a query (a 500 there)."""
    errors = {
        key: [str(_("Null characters are not allowed."))]
        for key, values in params.lists()
        if "\x00" in key or any("\x00" in value for value in values)
    }
    if errors:
        raise ValidationError(errors)


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the filters.

    django-filter builds and validates a form of every filter on each request; the plain list
    page, the most frequent request of all, filters by nothing and need not pay for it. A
    parameter counts when it is a filter's name or starts with it (range filters add suffixes).
    Whatever the filters, a query parameter holding a NUL character is a 400.
    """

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        refuse_null_characters(request.query_params)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = filterset_class.base_filters
        if not any(key == name or key.startswith(f"{name}_") for key in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)
