"""Deleting personal data: the one code path of the nightly purge and of erasure.

Invariants:
1. Set-based SQL. Rows go by DELETE statements over a window of ids, compiled from querysets;
   never `QuerySet.delete()` (Django's Collector loads every row and sends signals) and no
   `post_delete` receivers on personal-data models.
2. The parent row decides. A window's rows are deleted by one DELETE that evaluates every keep
   reason of the registry (and any reference that protects a row) on the state when it runs:
   the wall clock, never the purge's moment T, which only sets the age cut-off. A hold
   committed before that statement, or reaching a row through a dependent or a link, keeps it.
   Only then do the row's dependents (`registry.descendants_first`) and the undeclared rows that
   cascade from them (many-to-many links, SET_NULL references) go, from the ids that DELETE
   returned, in the same transaction; the deferred foreign keys are checked before the window
   ends.
3. A kept row is never deleted, nor anything of it.
4. Files. Each file of a deleted row (read from its DELETE's RETURNING) is recorded as a
   FileTombstone in the deleting transaction and removed from storage after the commit, then its
   tombstone. A crash in between leaves tombstones that `tombstones_sweep` finishes; nothing is
   lost and nothing deleted twice.
5. Audit. One event per record type and controller, with counts only: never personal values.
6. Idempotent. Deleting rows already gone deletes nothing and reports nothing.

This module reads only the registry (core.personal_data) and Django's model metadata: it never
imports an app's models by name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Exists, F, Lookup, OuterRef, Q
from django.db.models.sql import DeleteQuery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.personal_data import PersonalDataType, registry
from core.scoping import unscoped
from retention.models import FileTombstone

# A row another record still points at with PROTECT cannot go; it is kept, and says why.
STILL_REFERENCED = "still_referenced"
STILL_REFERENCED_LABEL = _("still referred to by another record")


@dataclass
class DeletionResult:
    deleted: dict[str, list[int]] = field(default_factory=dict)  # declaration key -> ids deleted
    kept: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # key -> id -> reason codes
    files_deleted: int = 0
    # Files recorded for deletion in the deleting transaction (all are deleted after commit, or
    # by the sweep after a crash): the count a purge run saves with its window.
    files_recorded: int = 0
    # key -> controller id -> rows deleted: the purge run's counts.
    deleted_by_controller: dict[str, dict[int, int]] = field(default_factory=dict)

    def record_deleted(self, key: str, rows: Sequence[tuple[int, int]]) -> None:
        if not rows:
            return
        self.deleted.setdefault(key, []).extend(pk for pk, _controller in rows)
        per_controller = self.deleted_by_controller.setdefault(key, {})
        for _pk, controller_id in rows:
            per_controller[controller_id] = per_controller.get(controller_id, 0) + 1

    def merge(self, other: DeletionResult) -> None:
        for key, ids in other.deleted.items():
            self.deleted.setdefault(key, []).extend(ids)
        for key, per_controller in other.deleted_by_controller.items():
            mine = self.deleted_by_controller.setdefault(key, {})
            for controller_id, count in per_controller.items():
                mine[controller_id] = mine.get(controller_id, 0) + count
        for key, kept in other.kept.items():
            self.kept.setdefault(key, {}).update(kept)
        self.files_deleted += other.files_deleted
        self.files_recorded += other.files_recorded

    @property
    def deleted_count(self) -> int:
        return sum(len(ids) for ids in self.deleted.values())


# -- what keeps a row --------------------------------------------------------------------------
def path_to_ancestor(declaration: type[PersonalDataType], ancestor_key: str) -> str:
    """The ORM path from a dependent declaration's rows to its ancestor's pk ("pk" for itself)."""
    parts: list[str] = []
    current = declaration
    while current.key() != ancestor_key:
        if current.parent is None:
            raise ValueError(f"{declaration.key()} is not a dependent of {ancestor_key}")
        parts.append(current.parent_path)
        current = registry.get(current.parent)
    return "__".join(parts) or "pk"


def _lift(declaration: type[PersonalDataType], root: type[PersonalDataType], condition: Q) -> Q:
    """A condition on a dependent's rows as a condition on its root's rows."""
    if declaration is root:
        return condition
    path = path_to_ancestor(declaration, root.key())
    return Q(Exists(declaration.queryset().filter(condition, **{path: OuterRef("pk")})))


def _deleted_models(root: type[PersonalDataType]) -> set[type[models.Model]]:
    return {d.model for d in registry.descendants_first(root.key())}


def _protecting_reference_q(root: type[PersonalDataType]) -> Q | None:
    """Rows of `root` (or of its dependents) another record points at with PROTECT/RESTRICT."""
    deleted_models = _deleted_models(root)
    condition: Q | None = None
    for declaration in registry.descendants_first(root.key()):
        for relation in declaration.model._meta.related_objects:
            if relation.many_to_many or relation.related_model in deleted_models:
                continue
            if relation.on_delete not in (models.PROTECT, models.RESTRICT):
                continue
            referring = relation.related_model._base_manager.filter(**{relation.field.name: OuterRef("pk")})
            lifted = _lift(declaration, root, Q(Exists(referring)))
            condition = lifted if condition is None else condition | lifted
    return condition


def keep_conditions(declaration: type[PersonalDataType]) -> list[tuple[str, Q]]:
    """Each keep-reason code with the rows of `declaration` it keeps, as conditions the database
    evaluates where the statement runs.

    No moment is taken: what is held, restricted, requested or open is always the state at the
    statement itself, on the wall clock, never a run's moment T (which only sets the age
    cut-off). A hold committed after these conditions were built is honoured by the DELETE.
    Read from the registry, so a reason another app registers (a legal hold, an open privacy
    request) is honoured without this module knowing it. Reasons of dependent records are lifted
    to their parent: a held attachment keeps its email and its contact.
    """
    wall_clock = timezone.now()
    by_code: dict[str, Q] = {}
    for dependent in registry.descendants_first(declaration.key()):
        for reason, condition in registry.keep_conditions(dependent, wall_clock):
            lifted = _lift(dependent, declaration, condition)
            by_code[reason.code] = by_code[reason.code] | lifted if reason.code in by_code else lifted
    protected = _protecting_reference_q(declaration)
    if protected is not None:
        by_code[STILL_REFERENCED] = protected
    return list(by_code.items())


def keep_reason_labels() -> dict[str, str | Promise]:
    """Every keep-reason code the registry knows, with its label, for reports and pages."""
    labels: dict[str, str | Promise] = {}
    for declaration in registry:
        for reason in registry.keep_reasons_for(declaration):
            labels.setdefault(reason.code, reason.label)
    labels[STILL_REFERENCED] = STILL_REFERENCED_LABEL
    return labels


def any_keep_q(conditions: Sequence[tuple[str, Q]]) -> Q | None:
    combined: Q | None = None
    for _code, condition in conditions:
        combined = condition if combined is None else combined | condition
    return combined


# -- SQL ---------------------------------------------------------------------------------------
def delete_returning(queryset: models.QuerySet, columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """DELETE the queryset's rows in one statement, returning these columns of each.

    The same statement `QuerySet._raw_delete` runs (no Collector, no signals), with RETURNING
    (PostgreSQL, SQLite 3.35+) so the ids deleted are known without another query.
    """
    query = queryset.query.clone()
    query.__class__ = DeleteQuery
    sql, params = query.get_compiler(queryset.db).as_sql()
    quote = connection.ops.quote_name
    returning = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {returning}", params)
        return list(cursor.fetchall())


class _AnyOf(Lookup):
    """`column = ANY(%s::bigint[])`: a window's ids as one array literal. Django prepares an
    `__in` list value by value (about 90 ms for 10,000 ids), and a window runs a dozen
    statements; a list parameter would reach the server as `ARRAY[1, 2, …]`, which PostgreSQL
    parses element by element (about 5 ms more per statement for 4,000 ids than one literal)."""

    lookup_name = "retention_any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        literal = "{" + ",".join(map(str, map(int, self.rhs))) + "}"
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, literal)


def _in_window(path: str, ids: list[int]) -> Q | Lookup:
    """Rows whose `path` is one of the window's ids."""
    if connection.vendor == "postgresql":
        return _AnyOf(F(path), ids)
    return Q(**{f"{path}__in": ids})


def _raw_delete(queryset: models.QuerySet) -> int:
    return queryset._raw_delete(queryset.db)


def _referring(manager: models.Manager, field_name: str, rows: models.QuerySet | list[int]) -> models.QuerySet:
    """Rows of `manager` whose `field_name` points at `rows` (a queryset, or ids of rows that may
    already be deleted in this transaction)."""
    if isinstance(rows, list):
        return manager.filter(_in_window(field_name, rows))
    return manager.filter(**{f"{field_name}__in": rows.values("pk")})


def _undeclared_dependents_delete(model: type[models.Model], rows: models.QuerySet | list[int], declared: set) -> None:
    """Rows that Django would cascade to but no declaration names: many-to-many links, and
    models of other apps pointing here with CASCADE (SET_NULL references are cleared)."""
    through_models: set[type[models.Model]] = set()
    for m2m in model._meta.many_to_many:
        through_models.add(m2m.remote_field.through)
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            through_models.add(relation.through)
            continue
        if relation.related_model in declared:
            continue
        referring = _referring(relation.related_model._base_manager, relation.field.name, rows)
        if relation.on_delete is models.CASCADE:
            _undeclared_dependents_delete(relation.related_model, referring, declared)
            _raw_delete(referring)
        elif relation.on_delete is models.SET_NULL:
            referring.update(**{relation.field.name: None})
    for through in through_models:
        for link in through._meta.fields:
            if link.is_relation and link.remote_field.model is model:
                _raw_delete(_referring(through._base_manager, link.name, rows))


def _tombstones_write(label: str, names: list[str], now: dt.datetime) -> list[int]:
    """Tombstones for these stored file names (same transaction as the rows' DELETE)."""
    tombstones = [FileTombstone(field=label, name=name, recorded_at=now) for name in names if name]
    if not tombstones:
        return []
    created = FileTombstone.objects.bulk_create(tombstones)
    if created and created[0].pk is None:  # a backend without RETURNING on bulk inserts
        return list(
            FileTombstone.objects.filter(field=label, name__in=[t.name for t in tombstones]).values_list(
                "pk", flat=True
            )
        )
    return [t.pk for t in created]


def _deleted_files_record(
    declaration: type[PersonalDataType], deleted: Sequence[tuple[Any, ...]], first_column: int, now: dt.datetime
) -> list[int]:
    """Tombstones for the files of rows a DELETE just returned (their file columns from
    `first_column` on, in `file_fields` order), in the deleting transaction."""
    recorded: list[int] = []
    for offset, field_name in enumerate(declaration.file_fields, start=first_column):
        names = [row[offset] for row in deleted if row[offset]]
        recorded.extend(_tombstones_write(f"{declaration.key()}.{field_name}", names, now))
    return recorded


def _file_columns(declaration: type[PersonalDataType]) -> list[str]:
    return [declaration.model._meta.get_field(name).column for name in declaration.file_fields]


def _storage_of(field_label: str) -> Any:
    app_label, model_name, field_name = field_label.split(".")
    return apps.get_model(app_label, model_name)._meta.get_field(field_name).storage


def tombstoned_files_delete(tombstone_ids: Collection[int] | None = None) -> int:
    """Delete the files of these tombstones (all when None) from storage, then the tombstones.

    Storage deletes are idempotent (a missing file is not an error), so a tombstone whose file
    went before a crash is simply finished.
    """
    tombstones = FileTombstone.objects.order_by("pk")
    if tombstone_ids is not None:
        tombstones = tombstones.filter(pk__in=list(tombstone_ids))
    deleted = 0
    last_pk = 0
    while True:
        batch = list(tombstones.filter(pk__gt=last_pk).values_list("pk", "field", "name")[:1000])
        if not batch:
            return deleted
        for _pk, field_label, name in batch:
            _storage_of(field_label).delete(name)
        done = [pk for pk, _field, _name in batch]
        FileTombstone.objects.filter(pk__in=done)._raw_delete(FileTombstone.objects.db)
        deleted += len(done)
        last_pk = done[-1]


def tombstones_sweep() -> int:
    """Finish file deletions a crash interrupted: every tombstone left is acted on."""
    return tombstoned_files_delete(None)


# -- one window ----------------------------------------------------------------------------------
def _forward_parents(declaration: type[PersonalDataType]) -> list[tuple[str, type[PersonalDataType]]]:
    """Foreign keys from this record type to other record types with their own retention: the
    records that may be left with nothing once these rows go (a task, a customer)."""
    parents = []
    for model_field in declaration.model._meta.concrete_fields:
        if not model_field.is_relation or not model_field.many_to_one:
            continue
        target = registry.for_model(model_field.related_model)
        if target is not None and target.retention is not None and target is not declaration:
            parents.append((model_field.attname, target))
    return parents


def _before_delete(declaration: type[PersonalDataType]) -> None:
    """The moment just before a window's DELETE (a seam for tests: a hold another session
    commits here must win)."""


def _window_delete(
    *,
    declaration: type[PersonalDataType],
    window: Q,
    now: dt.datetime,
    only_due: bool,
    report_kept: bool,
    delete_left_parents: bool,
    result: DeletionResult,
    tombstone_ids: list[int],
) -> None:
    """Delete one window of rows and their dependents; must run inside a transaction.

    The rows themselves go first, by one DELETE that evaluates every keep condition: it alone
    decides, on the state when it runs, and its dependents follow from the ids it returns (the
    foreign keys are checked at the end of the window, see `_constraints_check`). So a hold
    committed before that statement, or reaching a row through a dependent or a link, wins. No
    locking SELECT comes first: it evaluated every keep condition a second time per window.
    """
    due = declaration.due_q(now) if only_due else None
    if only_due and due is None:
        return
    conditions = keep_conditions(declaration)
    keep = any_keep_q(conditions)
    candidates = declaration.queryset().filter(window)
    if due is not None:
        candidates = candidates.filter(due)
    deletable = candidates.filter(~keep) if keep is not None else candidates

    parents = _forward_parents(declaration) if delete_left_parents else []
    parent_columns = [attname for attname, _target in parents]
    _before_delete(declaration)
    deleted = delete_returning(deletable, ("id", "controller_id", *parent_columns, *_file_columns(declaration)))
    if report_kept and keep is not None:
        # After the DELETE: what is left of the candidates is what a keep reason kept, and why.
        kept = result.kept.setdefault(declaration.key(), {})
        for code, condition in conditions:
            for pk in candidates.filter(condition).values_list("pk", flat=True):
                kept.setdefault(pk, []).append(code)
    if not deleted:
        return
    deleted_ids = [row[0] for row in deleted]
    result.record_deleted(declaration.key(), [(row[0], row[1]) for row in deleted])
    recorded = _deleted_files_record(declaration, deleted, 2 + len(parent_columns), now)
    tombstone_ids.extend(recorded)
    result.files_recorded += len(recorded)

    declared = _deleted_models(declaration)
    for dependent in registry.descendants_first(declaration.key()):
        if dependent is declaration:
            _undeclared_dependents_delete(dependent.model, deleted_ids, declared)
            continue
        path = path_to_ancestor(dependent, declaration.key())
        rows = dependent.queryset().filter(_in_window(path, deleted_ids))
        _undeclared_dependents_delete(dependent.model, rows, declared)
        gone = delete_returning(rows, ("id", "controller_id", *_file_columns(dependent)))
        recorded = _deleted_files_record(dependent, gone, 2, now)
        tombstone_ids.extend(recorded)
        result.files_recorded += len(recorded)
        result.record_deleted(dependent.key(), [(row[0], row[1]) for row in gone])

    for index, (_attname, target) in enumerate(parents, start=2):
        parent_ids = sorted({row[index] for row in deleted if row[index] is not None})
        if parent_ids:
            _window_delete(
                declaration=target,
                window=Q(pk__in=parent_ids),
                now=now,
                only_due=True,
                report_kept=False,
                delete_left_parents=True,
                result=result,
                tombstone_ids=tombstone_ids,
            )


def _constraints_check() -> None:
    """Check the deferred foreign keys now: a window leaves no row pointing at a deleted one,
    whether or not the caller's transaction goes on."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _audit(result: DeletionResult, *, actor: Any, action: str, purpose: str, details: dict[str, Any]) -> None:
    """One event per record type and controller: what kind of rows went and how many."""
    per_controller: dict[int, dict[str, int]] = defaultdict(dict)
    for key, counts in result.deleted_by_controller.items():
        for controller_id, count in counts.items():
            per_controller[controller_id][key] = count
    for controller_id, counts in sorted(per_controller.items()):
        for key, count in sorted(counts.items()):
            audit_log(
                actor=actor,
                action=action,
                purpose=purpose,
                object_type=key,
                controller=controller_id,
                details={**details, "deleted": count},
            )


def delete_rows(
    *,
    declaration: type[PersonalDataType],
    pks: Sequence[int],
    now: dt.datetime,
    only_due: bool = False,
    report_kept: bool = True,
    delete_left_parents: bool = True,
    actor: Any = "purge",
    action: str = AuditAction.PURGE,
    purpose: str = AuditPurpose.RETENTION,
    audit_details: dict[str, Any] | None = None,
) -> DeletionResult:
    """Delete these rows of this declaration and their dependents (children first), except rows any
    keep reason keeps when the DELETE runs (re-checked inside the DELETE statement), with file tombstones written
    in the same transaction and the files deleted after commit. Idempotent.

    `only_due` also requires the declaration's retention rule to call the rows due (the purge).
    Records the deleted rows leave with nothing (a closed task, a customer) go too, unless
    `delete_left_parents` is False (the purge reaches them in their own turn). Inside a caller's
    transaction the files are deleted when it commits, and `files_deleted` is updated then.
    """
    if not pks:
        return DeletionResult()
    return _delete_window(
        declaration=declaration,
        window=Q(pk__in=list(pks)),
        now=now,
        only_due=only_due,
        report_kept=report_kept,
        delete_left_parents=delete_left_parents,
        audit={"actor": actor, "action": action, "purpose": purpose, "details": audit_details or {}},
    )


def delete_due_window(
    *,
    declaration: type[PersonalDataType],
    pk_from: int,
    pk_to: int,
    now: dt.datetime,
    controller_ids: Collection[int] | None = None,
) -> DeletionResult:
    """The purge's window: every row with `pk_from <= pk < pk_to` that is due at `now` (the age
    cut-off) and kept by nothing when its DELETE runs (of these controllers only, when given).

    The same code path as `delete_rows`, over a keyset window of the primary key instead of a list.
    """
    window = Q(pk__gte=pk_from, pk__lt=pk_to)
    if controller_ids is not None:
        window &= Q(controller_id__in=list(controller_ids))
    return _delete_window(
        declaration=declaration,
        window=window,
        now=now,
        only_due=True,
        report_kept=False,
        delete_left_parents=False,
        audit={"actor": "purge", "action": AuditAction.PURGE, "purpose": AuditPurpose.RETENTION, "details": {}},
    )


def _delete_window(
    *,
    declaration: type[PersonalDataType],
    window: Q,
    now: dt.datetime,
    only_due: bool,
    report_kept: bool,
    delete_left_parents: bool,
    audit: dict[str, Any],
) -> DeletionResult:
    result = DeletionResult()
    tombstone_ids: list[int] = []
    with unscoped(), transaction.atomic():
        _window_delete(
            declaration=declaration,
            window=window,
            now=now,
            only_due=only_due,
            report_kept=report_kept,
            delete_left_parents=delete_left_parents,
            result=result,
            tombstone_ids=tombstone_ids,
        )
        _constraints_check()
        _audit(result, **audit)
        if tombstone_ids:
            # files_deleted is set by the on-commit hook: at once without an outer transaction.
            transaction.on_commit(lambda ids=tombstone_ids, r=result: _files_after_commit(r, ids))
    return result


def _files_after_commit(result: DeletionResult, tombstone_ids: list[int]) -> None:
    with unscoped():
        result.files_deleted += tombstoned_files_delete(tombstone_ids)


def _upload_roots(file_field: models.FileField) -> str:
    """The top folder a field uploads into ("emails/%Y/%m/" -> "emails")."""
    upload_to = file_field.upload_to if isinstance(file_field.upload_to, str) else ""
    return upload_to.split("/", 1)[0] if "%" not in upload_to.split("/", 1)[0] else ""


def _storage_files(storage: Any, folder: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for directory in directories:
        yield from _storage_files(storage, f"{folder}/{directory}" if folder else directory)


def orphaned_files_sweep(*, now: dt.datetime, older_than: dt.timedelta) -> int:
    """Remove files under the declared file fields' folders that no row refers to and that are
    older than `older_than` (younger ones may belong to a row still being written)."""
    removed = 0
    with unscoped():
        for declaration in registry:
            for field_name in declaration.file_fields:
                file_field = declaration.model._meta.get_field(field_name)
                folder = _upload_roots(file_field)
                if not folder:
                    continue
                storage = file_field.storage
                names = list(_storage_files(storage, folder))
                for start in range(0, len(names), 1000):
                    chunk = names[start : start + 1000]
                    referenced = set(
                        declaration.queryset().filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True)
                    )
                    referenced |= set(FileTombstone.objects.filter(name__in=chunk).values_list("name", flat=True))
                    for name in chunk:
                        if name in referenced or storage.get_modified_time(name) > now - older_than:
                            continue
                        storage.delete(name)
                        removed += 1
    return removed
