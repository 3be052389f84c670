"""Objection to processing based on legitimate interest (GDPR art. 21, policy P4 and P12): the
one rule of what an objection does.

The legitimate-interest purposes are quality assurance and the development of the
customer-service centre (`core.personal_data.LEGITIMATE_INTEREST_PURPOSES`). In the product they
are the quality sample (`contacts.selectors.quality_sample`) and the complaint statistics
(`complaints.selectors.complaint_statistics`); a new use of that kind reads its rows through
`for_legitimate_interest` and so cannot forget the objections.

An objection executed by the DPO (privacy.execution.request_object) sets `processing_objected`
on each of the subject's records and on the customer, who also keeps who recorded it and when
(`objection_values`). A record created later for that customer (an email, call or chat from an
address or number the customer is known by, a complaint with them as complainant) inherits it
(`objection_inherited`): the objection is the person's, not one record's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

OBJECTION_FIELD = "processing_objected"


def objected_q(*, subject_path: str | None = None) -> Q:
    """Rows whose record, or whose subject (the customer at `subject_path`), objected."""
    condition = Q(**{OBJECTION_FIELD: True})
    if subject_path:
        condition |= Q(**{f"{subject_path}__{OBJECTION_FIELD}": True})
    return condition


def for_legitimate_interest(queryset: QuerySet[Any], *, subject_path: str | None = None) -> QuerySet[Any]:
    """The rows a legitimate-interest use may read: those of subjects who did not object."""
    return queryset.exclude(objected_q(subject_path=subject_path))


def objection_inherited(subject: Any) -> bool:
    """True when a new record of this subject (a customer, or None) is born objected."""
    return bool(subject is not None and getattr(subject, OBJECTION_FIELD, False))


def objection_values(declaration: Any, *, actor: Any, at: dt.datetime) -> dict[str, Any]:
    """The fields an objection sets on a declared record: the flag, and on the record that keeps
    them (the customer) who recorded it and when. Empty for a record type without the flag."""
    if not declaration.objection_field:
        return {}
    values: dict[str, Any] = {declaration.objection_field: True}
    if declaration.objection_at_field:
        values[declaration.objection_at_field] = at
    if declaration.objection_by_field:
        values[declaration.objection_by_field] = actor if getattr(actor, "pk", None) else None
    return values
