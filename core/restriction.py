"""Restriction of processing (art. 18): the one place that decides what a restricted record
shows and allows. Every content path of the API and the pages goes through it.

- Reading. A restricted record, and every record hanging off one (an email with its raw message
  and attachments, a recording, chat lines, a complaint's events), exists only for those who see
  restricted content (`core.access.sees_restricted_content`: the DPO, who handles the request).
  For everyone else it is not there: not in lists or searches, its id not shown, 404 on its own
  page or endpoint, like a record of another controller. `restriction_visible` (also
  `ControllerScopedQuerySet.visible_to(user)`) is the read rule; the selectors that views and
  serializers read through apply it.
- Writing. A restricted record, and everything hanging off it, is read-only for everyone, the DPO
  included: `restriction_check_writable` raises Conflict (HTTP 409, code `restricted`; a message
  on pages). The restriction is set and lifted only by the privacy machinery, through the
  declarations.

Which field marks a record restricted, and which record a row hangs off, are said by the
personal-data declarations (`restriction_field`, `parent`, `parent_path`): nothing here names an
app's model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.access import sees_restricted_content
from core.errors import Conflict
from core.personal_data import registry

RESTRICTED_MESSAGE = _(
    "Processing of this record is restricted at the data subject's request (art. 18): it is kept, "
    "but it cannot be changed or used."
)


def restriction_path(model: type[models.Model]) -> str | None:
    """The ORM path from a model's rows to the flag that restricts them (`restricted`,
    `contact__restricted`, `email__contact__restricted`), None when its rows cannot be restricted."""
    declaration = registry.for_model(model)
    parts: list[str] = []
    while declaration is not None:
        if declaration.restriction_field:
            return "__".join([*parts, declaration.restriction_field])
        if not declaration.parent:
            return None
        parts.append(declaration.parent_path)
        declaration = registry.get(declaration.parent)
    return None


def restricted_q(model: type[models.Model]) -> Q | None:
    """The rows of `model` that are restricted or hang off a restricted record."""
    path = restriction_path(model)
    return Q(**{path: True}) if path else None


def restriction_visible(queryset: QuerySet, *, user: Any) -> QuerySet:
    """The read rule: the rows of `queryset` this user may see."""
    if sees_restricted_content(user):
        return queryset
    condition = restricted_q(queryset.model)
    return queryset if condition is None else queryset.exclude(condition)


def is_restricted(obj: Any) -> bool:
    """Whether this row is restricted or hangs off a restricted record (reads loaded relations);
    None (no related row) is not."""
    if obj is None:
        return False
    path = restriction_path(type(obj))
    if path is None:
        return False
    value = obj
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return False
    return bool(value)


def is_hidden_from(obj: Any, *, user: Any) -> bool:
    """True when `user` may not see this row (the read rule for one loaded row)."""
    return is_restricted(obj) and not sees_restricted_content(user)


def restriction_check_writable(*objs: Any) -> None:
    """The write rule: Conflict (409, code `restricted`) when any of these rows is restricted or
    hangs off a restricted record. Services call it before every change."""
    if any(obj is not None and is_restricted(obj) for obj in objs):
        raise Conflict(RESTRICTED_MESSAGE, code="restricted")


def restriction_check_linkable(obj: Any, *, linked_id: Any = None) -> None:
    """The write rule for pointing a record at `obj` (a ticket's customer, a complaint's
    complainant, a contact's customer): a new link to a restricted record uses it, so Conflict;
    the link already there (`linked_id`) stays."""
    if obj is not None and obj.pk != linked_id:
        restriction_check_writable(obj)


def restriction_check_unreferenced(model: type[models.Model], **lookup: Any) -> None:
    """The write rule for a change that would move restricted rows along with others (a merge
    of two customers): Conflict when any row of `model` matching `lookup` is restricted."""
    condition = restricted_q(model)
    if condition is not None and model._base_manager.filter(condition, **lookup).exists():
        raise Conflict(RESTRICTED_MESSAGE, code="restricted")


def visible_rows(rows: Iterable[Any], *, user: Any) -> list[Any]:
    """Of already loaded rows (a prefetched relation), the ones this user may see: no query."""
    if sees_restricted_content(user):
        return list(rows)
    return [row for row in rows if not is_restricted(row)]
