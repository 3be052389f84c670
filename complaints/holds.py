"""Legal holds answer one question for everyone else: is this record held, and by which holds?

Two ways in, both reading the personal-data declarations rather than naming models:

- `legal_hold_keeps(declaration, now)` is the keep reason `legal_hold` on the registry: a Q of
  the rows of any declared model that a hold not released by `now` reaches, written as
  subqueries on the hold tables (subject identifiers included), so that a DELETE carrying it
  honours every hold committed before the statement runs. The purge, erasure and the badges of
  other apps ask the registry (`registry.keep_reason_q(declaration, "legal_hold", now)`).
- `holds_for(objects)` / `is_held(obj)` name the holds of given records, for pages and the API:
  one query for the active holds of the records' controllers, one more per kind of record.
- `hold_coverage(hold)` counts what one hold keeps, and what the purge may delete once it is
  released (the DPO's confirmation before a release).

What a hold reaches, through each declaration's `scope_paths` and subject identifiers:
- a complaint hold: the complaint, its notes (children), its disclosures, its linked contacts and
  tasks and its complainant;
- a task hold: the task and its contacts;
- a contacts hold: the chosen contacts (with their emails, recordings and chats) and the
  disclosures naming them;
- a subject hold: every row at its controller matched by the subject's normalised email or phone
  at the moment of asking, so records created after the hold are held too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import BooleanField, CharField, Count, F, Q, QuerySet, Value
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from complaints.models import HoldScope, LegalHold
from core.personal_data import PersonalDataType, registry

# The keep reason every other app asks about (registered in complaints/personal_data.py).
LEGAL_HOLD_CODE = "legal_hold"

# The records a hold can be scoped to, by the declaration key used in `scope_paths`.
SCOPE_KEYS = {
    "complaints.complaint": HoldScope.COMPLAINT,
    "contacts.task": HoldScope.TASK,
    "contacts.contact": HoldScope.CONTACTS,
}


def active_holds_q(now: dt.datetime | None = None) -> Q:
    """Holds in force at `now`: not released by then. A hold counts from the moment it is
    committed, whatever its `placed_at` (the record of when), so a condition built a moment
    before a hold is placed still honours it when the statement runs."""
    now = now or timezone.now()
    return Q(released_at__isnull=True) | Q(released_at__gt=now)


def active_holds(now: dt.datetime | None = None) -> QuerySet[LegalHold]:
    return LegalHold.all_controllers.filter(active_holds_q(now))


def _local_attname(model: type[models.Model], path: str) -> str | None:
    """The column on the row itself that a path reads (`pk`, a foreign key), or None if it joins."""
    if path == "pk":
        return "pk"
    if "__" in path:
        return None
    try:
        field = model._meta.get_field(path)
    except Exception:  # noqa: BLE001 (a reverse or unknown name: not a local column)
        return None
    if not field.concrete or field.many_to_many:
        return None
    return field.attname


def _rows_where(declaration: type[PersonalDataType], path: str, values: Any) -> Q:
    """Rows whose `path` is in `values`, without duplicate rows from multi-valued joins."""
    if _local_attname(declaration.model, path) is not None:
        return Q(**{f"{path}__in": values})
    return Q(pk__in=declaration.queryset().filter(**{f"{path}__in": values}).values("pk"))


def _held_scope_values(scope: HoldScope, holds: QuerySet[LegalHold]) -> QuerySet:
    holds = holds.filter(scope=scope)
    if scope == HoldScope.COMPLAINT:
        return holds.values("complaint_id")
    if scope == HoldScope.TASK:
        return holds.values("task_id")
    return LegalHold.contacts.through.objects.filter(legalhold__in=holds.values("pk")).values("contact_id")


class _SubjectHeld(Expression):
    """True where the row's (controller, identifier) pair is named by one of these subject holds.

    One uncorrelated subquery over the holds' identifier lists, which the database evaluates
    once per statement (a hashed subplan on PostgreSQL): a subject hold placed after the
    statement was built is honoured, at the cost of one hash probe per row.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, controller: Any, value: Any, *, identifiers: str, holds: QuerySet[LegalHold]) -> None:
        super().__init__()
        self.controller, self.value = controller, value
        self.identifiers, self.holds = identifiers, holds

    def get_source_expressions(self) -> list[Any]:
        return [self.controller, self.value]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.controller, self.value = exprs

    def resolve_expression(self, *args: Any, **kwargs: Any) -> _SubjectHeld:
        resolved = super().resolve_expression(*args, **kwargs)
        resolved.holds = self.holds.filter(scope=HoldScope.SUBJECT)
        return resolved

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        controller_sql, controller_params = compiler.compile(self.controller)
        value_sql, value_params = compiler.compile(self.value)
        holds_sql, holds_params = self.holds.values("pk").query.get_compiler(connection=connection).as_sql()
        table = connection.ops.quote_name(LegalHold._meta.db_table)
        column = connection.ops.quote_name(LegalHold._meta.get_field(self.identifiers).column)
        if connection.vendor == "postgresql":
            elements = f"CROSS JOIN LATERAL jsonb_array_elements_text(h.{column}) AS j(value)"
        else:
            elements = f"CROSS JOIN json_each(h.{column}) AS j"
        # COALESCE: a row without the identifier is not held, and NOT of it must not be NULL.
        # Names come from model metadata, values are parameters.
        pairs = f"SELECT h.controller_id, j.value FROM {table} h {elements} WHERE h.id IN ({holds_sql})"  # nosec  # noqa: S608
        sql = f"COALESCE(({controller_sql}, {value_sql}) IN ({pairs}), FALSE)"
        return sql, (*controller_params, *value_params, *holds_params)


def _subject_reach(declaration: type[PersonalDataType], holds: QuerySet[LegalHold]) -> Q | None:
    """Rows of this declaration matched by the normalised email or phone of a subject hold at
    the row's controller; None when the record has no identifiers."""
    condition: Q | None = None
    for identifiers, paths in (
        ("subject_emails", declaration.email_paths),
        ("subject_phones", declaration.phone_paths),
    ):
        for path in paths:
            held = _SubjectHeld(F("controller_id"), F(path), identifiers=identifiers, holds=holds)
            if _local_attname(declaration.model, path) is not None:
                matched = Q(held)
            else:
                # Through a multi-valued join: as a set of ids, so rows are not repeated.
                matched = Q(pk__in=declaration.queryset().filter(held).values("pk"))
            condition = matched if condition is None else condition | matched
    return condition


def _holds_reach(declaration: type[PersonalDataType], holds: QuerySet[LegalHold]) -> Q | None:
    """Rows of this declaration that any of these holds reaches; None when no hold could.

    Only subqueries on the hold tables: nothing is read when the condition is built."""
    reachable = False
    condition = Q(pk__in=[])
    for scope_key, path in declaration.scope_paths.items():
        scope = SCOPE_KEYS.get(scope_key)
        if scope is None:
            continue
        reachable = True
        condition |= _rows_where(declaration, path, _held_scope_values(scope, holds))
    subject = _subject_reach(declaration, holds)
    if subject is not None:
        reachable = True
        condition |= subject
    return condition if reachable else None


def legal_hold_keeps(declaration: type[PersonalDataType], now: dt.datetime) -> Q | None:
    """The keep reason `legal_hold`: rows of this declaration under a hold not released by `now`
    (pass the wall clock: holds placed since are honoured, see `active_holds_q`).

    None when no hold can reach this kind of record (no scope path to a complaint, task or
    contact, and no subject identifiers). Evaluated by the database wherever the condition is
    used, so a DELETE carrying it sees the holds committed before it runs.
    """
    return _holds_reach(declaration, active_holds(now))


@dataclass(frozen=True)
class HoldCoverage:
    """What one hold keeps of one record type: rows in its scope, and of those the rows past
    their retention date that nothing else keeps (the next purge deletes them once released)."""

    key: str
    label: Any
    held: int
    freed: int


def hold_coverage(hold: LegalHold, *, now: dt.datetime | None = None) -> list[HoldCoverage]:
    """What releasing this hold would hand back to the retention rules, per record type with its
    own retention clock (records living with a parent go with it). Counts only; two queries per
    record type whatever the number of rows."""
    now = now or timezone.now()
    this_hold = LegalHold.all_controllers.filter(pk=hold.pk)
    other_holds = active_holds(now).exclude(pk=hold.pk)
    coverage = []
    for declaration in registry:
        due = declaration.due_q(now)
        reach = _holds_reach(declaration, this_hold) if due is not None else None
        if reach is None:
            continue
        kept_otherwise = Q(pk__in=[])
        for reason, condition in registry.keep_conditions(declaration, now):
            if reason.code == LEGAL_HOLD_CODE:
                condition = _holds_reach(declaration, other_holds) or Q(pk__in=[])
            kept_otherwise |= condition
        rows = declaration.queryset().filter(reach, controller_id=hold.controller_id)
        counts = rows.aggregate(held=Count("pk"), freed=Count("pk", filter=due & ~kept_otherwise))
        if counts["held"]:
            coverage.append(HoldCoverage(declaration.key(), declaration.verbose_name, counts["held"], counts["freed"]))
    return coverage


class _HoldIndex:
    """The active holds of some controllers, indexed by what they are scoped to."""

    def __init__(self, holds: list[LegalHold]) -> None:
        self.by_id = {hold.pk: hold for hold in holds}
        self.by_target: dict[tuple[str, str], list[LegalHold]] = defaultdict(list)
        self.subject: dict[tuple[int, str, str], list[LegalHold]] = defaultdict(list)
        self.contact_hold_ids: list[int] = []
        for hold in holds:
            if hold.scope == HoldScope.COMPLAINT:
                self.by_target[(HoldScope.COMPLAINT, str(hold.complaint_id))].append(hold)
            elif hold.scope == HoldScope.TASK:
                self.by_target[(HoldScope.TASK, str(hold.task_id))].append(hold)
            elif hold.scope == HoldScope.CONTACTS:
                self.contact_hold_ids.append(hold.pk)
                self.by_target[(HoldScope.CONTACTS, str(hold.pk))].append(hold)
            else:
                for email in hold.subject_emails or ():
                    self.subject[(hold.controller_id, "email", email)].append(hold)
                for phone in hold.subject_phones or ():
                    self.subject[(hold.controller_id, "phone", phone)].append(hold)

    def targets(self, scope: HoldScope) -> list[int]:
        return [int(value) for kind, value in self.by_target if kind == scope]

    def emails(self) -> list[str]:
        return sorted({value for (_c, kind, value) in self.subject if kind == "email"})

    def phones(self) -> list[str]:
        return sorted({value for (_c, kind, value) in self.subject if kind == "phone"})


def _pk_in(pks: list[Any]) -> Any:
    """The page's primary keys for an IN: on PostgreSQL one array parameter, which spares
    compiling ten thousand placeholders per part of the UNION."""
    if connection.vendor == "postgresql" and all(isinstance(pk, int) for pk in pks):
        return RawSQL("SELECT unnest(%s::bigint[])", (pks,))
    return pks


def _pairs_query(
    declaration: type[PersonalDataType], pks: list[Any], path: str, kind: str, values: list[Any]
) -> QuerySet:
    return (
        declaration.queryset()
        .filter(pk__in=_pk_in(pks), **{f"{path}__in": values})
        .annotate(hold_kind=Value(kind, output_field=CharField()), target=Cast(path, output_field=CharField()))
        .values_list("pk", "hold_kind", "target")
    )


def _held_pairs(
    declaration: type[PersonalDataType], rows: list[models.Model], index: _HoldIndex
) -> list[tuple[Any, str, str]]:
    """(row pk, kind, target) for each way a hold reaches a row: columns on the row itself are
    read in Python, joined paths in one UNION query."""
    pairs: list[tuple[Any, str, str]] = []
    queries: list[QuerySet] = []
    pks = [row.pk for row in rows]

    def collect(path: str, kind: str, values: list[Any]) -> None:
        if not values:
            return
        attname = _local_attname(declaration.model, path)
        if attname is not None:
            wanted = {str(value) for value in values}
            for row in rows:
                value = getattr(row, attname)
                if value is not None and str(value) in wanted:
                    pairs.append((row.pk, kind, str(value)))
        else:
            queries.append(_pairs_query(declaration, pks, path, kind, values))

    for scope_key, path in declaration.scope_paths.items():
        scope = SCOPE_KEYS.get(scope_key)
        if scope is None:
            continue
        if scope == HoldScope.CONTACTS:
            # A contacts hold is found through its own many-to-many table, by hold id.
            if index.contact_hold_ids:
                held_path = "legal_holds" if path == "pk" else f"{path}__legal_holds"
                queries.append(_pairs_query(declaration, pks, held_path, scope, index.contact_hold_ids))
        else:
            collect(path, scope, index.targets(scope))
    for path in declaration.email_paths:
        collect(path, "email", index.emails())
    for path in declaration.phone_paths:
        collect(path, "phone", index.phones())
    if queries:
        combined = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        pairs.extend(combined)
    return pairs


def holds_for(
    objects: Iterable[models.Model], *, now: dt.datetime | None = None
) -> dict[models.Model, list[LegalHold]]:
    """The active holds of each given record that is held (records not held are left out).

    One query for the holds of the records' controllers, and at most one more per kind of
    record: a page of 10,000 contacts costs two queries whatever is held.
    """
    objects = list(objects)
    if not objects:
        return {}
    controller_ids = {obj.controller_id for obj in objects}  # type: ignore[attr-defined]
    holds = list(active_holds(now).filter(controller_id__in=controller_ids).order_by("placed_at", "pk"))
    if not holds:
        return {}
    index = _HoldIndex(holds)
    by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for obj in objects:
        by_model[type(obj)].append(obj)
    held: dict[models.Model, list[LegalHold]] = {}
    for model, rows in by_model.items():
        declaration = registry.for_model(model)
        if declaration is None:
            continue
        by_pk = {row.pk: row for row in rows}
        found: dict[Any, dict[int, LegalHold]] = defaultdict(dict)
        for pk, kind, target in _held_pairs(declaration, rows, index):
            row = by_pk[pk]
            if kind in ("email", "phone"):
                matching = index.subject.get((row.controller_id, kind, target), [])  # type: ignore[attr-defined]
            else:
                matching = index.by_target.get((kind, target), [])
            for hold in matching:
                if hold.controller_id == row.controller_id:  # type: ignore[attr-defined]
                    found[pk][hold.pk] = hold
        for pk, holds_of_row in found.items():
            held[by_pk[pk]] = sorted(holds_of_row.values(), key=lambda hold: (hold.placed_at, hold.pk))
    return held


def is_held(obj: models.Model, *, now: dt.datetime | None = None) -> bool:
    return bool(holds_for([obj], now=now))
