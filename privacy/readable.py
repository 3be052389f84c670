"""A record as a person reads it: its fields under their translated names, choices by their
label, times in Helsinki time, references as numbers. Used by the access copy's summary.txt and
by the DPO's pages, so that neither shows a registry key, a field name or a UTC timestamp."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.personal_data import PersonalDataType, registry
from privacy import deadlines


def record_type_name(key: str) -> str:
    """A registry key (`contacts.contact`) as its translated name; an unknown key as it is."""
    try:
        return str(registry.get(key).verbose_name)
    except KeyError:
        return key


def field_of(declaration: type[PersonalDataType], path: str) -> models.Field | None:
    """The model field an export path names (`task_id` is the field `task`, `a__b` is `b`)."""
    model = declaration.model
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            field = next((f for f in model._meta.concrete_fields if f.attname == part), None)
        if field is None:
            return None
        model = field.related_model if field.is_relation else model
    return field


def field_label(declaration: type[PersonalDataType], path: str) -> str:
    field = field_of(declaration, path)
    label = str(field.verbose_name) if field is not None else path.replace("_", " ")
    return label[:1].upper() + label[1:]


def readable_value(declaration: type[PersonalDataType], path: str, value: Any) -> str:
    """A value as a person reads it; "" when there is nothing to show."""
    if value is None or value == "":
        return ""
    field = field_of(declaration, path)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and field.is_relation:
        return pgettext("a record's number", "no. %(id)s") % {"id": value}
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and isinstance(field, models.DateTimeField):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value, deadlines.HELSINKI), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def readable_fields(declaration: type[PersonalDataType], data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of each field of an exported row that has a value, in declaration order."""
    shown = declaration.summary_fields or declaration.export_fields
    pairs = []
    for path in shown:
        if path in declaration.file_fields:
            continue
        value = readable_value(declaration, path, data.get(path))
        if value:
            pairs.append((field_label(declaration, path), value))
    return pairs
