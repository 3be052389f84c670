"""Deleting personal data: the one code path of the nightly purge and of erasure.

Invariants:
1. Set-based SQL. Rows go by DELETE statements over a window of ids, compiled from querysets;
   never `QuerySet.delete()` (Django's Collector loads every row and sends signals) and no
   `post_delete` receivers on personal-data models.
2. Children before parents. A declaration's dependents (`registry.descendants_first`) and the
   undeclared rows that cascade from them (many-to-many links) go first, in the same transaction.
3. A kept row is never deleted. The rows of the window are locked, and every keep reason of the
   registry (and any reference that protects a row) is evaluated again inside the DELETE of the
   parent rows. If a hold or a restriction committed meanwhile drops a row there, the window
   rolls back and is retried, so its children are never deleted without it.
4. Files. Each file of a deleted row is recorded as a FileTombstone in the deleting transaction
   and removed from storage after the commit, then its tombstone. A crash in between leaves
   tombstones that `tombstones_sweep` finishes; nothing is lost and nothing deleted twice.
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
from django.db.models import Exists, OuterRef, Q
from django.db.models.sql import DeleteQuery
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

# How often a window whose rows changed under it (a hold placed meanwhile) is tried again.
_WINDOW_ATTEMPTS = 5


@dataclass
class DeletionResult:
    deleted: dict[str, list[int]] = field(default_factory=dict)  # declaration key -> ids deleted
    kept: dict[str, dict[int, list[str]]] = field(default_factory=dict)  # key -> id -> reason codes
    files_deleted: int = 0
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

    @property
    def deleted_count(self) -> int:
        return sum(len(ids) for ids in self.deleted.values())


class _WindowChanged(Exception):
    """Rows of the window changed between the lock and the DELETE: roll back and retry."""


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


def keep_conditions(declaration: type[PersonalDataType], now: dt.datetime) -> list[tuple[str, Q]]:
    """Each keep-reason code with the rows of `declaration` it keeps at `now`.

    Read from the registry, so a reason another app registers (a legal hold, an open privacy
    request) is honoured without this module knowing it. Reasons of dependent records are lifted
    to their parent: a held attachment keeps its email and its contact.
    """
    by_code: dict[str, Q] = {}
    for dependent in registry.descendants_first(declaration.key()):
        for reason, condition in registry.keep_conditions(dependent, now):
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


def _raw_delete(queryset: models.QuerySet) -> int:
    return queryset._raw_delete(queryset.db)


def _undeclared_dependents_delete(model: type[models.Model], rows: models.QuerySet, declared: set) -> None:
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
        related_manager = relation.related_model._base_manager
        referring = related_manager.filter(**{f"{relation.field.name}__in": rows.values("pk")})
        if relation.on_delete is models.CASCADE:
            _undeclared_dependents_delete(relation.related_model, referring, declared)
            _raw_delete(referring)
        elif relation.on_delete is models.SET_NULL:
            referring.update(**{relation.field.name: None})
    for through in through_models:
        for link in through._meta.fields:
            if link.is_relation and link.remote_field.model is model:
                _raw_delete(through._base_manager.filter(**{f"{link.name}__in": rows.values("pk")}))


def _tombstones_record(declaration: type[PersonalDataType], rows: models.QuerySet, now: dt.datetime) -> list[int]:
    """Tombstones for the files of these rows, written before the rows go (same transaction)."""
    tombstones: list[FileTombstone] = []
    for field_name in declaration.file_fields:
        label = f"{declaration.key()}.{field_name}"
        names = rows.exclude(**{field_name: ""}).exclude(**{f"{field_name}__isnull": True})
        tombstones.extend(
            FileTombstone(field=label, name=name, recorded_at=now) for name in names.values_list(field_name, flat=True)
        )
    if not tombstones:
        return []
    created = FileTombstone.objects.bulk_create(tombstones)
    if created and created[0].pk is None:  # a backend without RETURNING on bulk inserts
        names = [t.name for t in tombstones]
        return list(FileTombstone.objects.filter(name__in=names).values_list("pk", flat=True))
    return [t.pk for t in created]


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
    """Delete one window of rows and their dependents; must run inside a transaction."""
    conditions = keep_conditions(declaration, now)
    keep = any_keep_q(conditions)
    candidates = declaration.queryset().filter(window)
    if only_due:
        due = declaration.due_q(now)
        candidates = candidates.filter(due) if due is not None else candidates.none()
    deletable = candidates.filter(~keep) if keep is not None else candidates

    if report_kept and keep is not None:
        kept = result.kept.setdefault(declaration.key(), {})
        for code, condition in conditions:
            for pk in candidates.filter(condition).values_list("pk", flat=True):
                kept.setdefault(pk, []).append(code)

    parents = _forward_parents(declaration) if delete_left_parents else []
    locked = list(
        deletable.select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", *[attname for attname, _target in parents])
    )
    if not locked:
        return
    ids = [row[0] for row in locked]

    declared = _deleted_models(declaration)
    for dependent in registry.descendants_first(declaration.key()):
        path = path_to_ancestor(dependent, declaration.key())
        rows = dependent.queryset().filter(**{f"{path}__in": ids})
        _undeclared_dependents_delete(dependent.model, rows, declared)
        tombstone_ids.extend(_tombstones_record(dependent, rows, now))
        if dependent is declaration:
            # The keep conditions again, inside the DELETE itself: a hold committed since the
            # lock wins, and the window is retried without the row.
            rows = deletable.filter(pk__in=ids)
        deleted = delete_returning(rows, ("id", "controller_id"))
        if dependent is declaration and len(deleted) != len(ids):
            raise _WindowChanged
        result.record_deleted(dependent.key(), deleted)

    for index, (_attname, target) in enumerate(parents, start=1):
        parent_ids = sorted({row[index] for row in locked if row[index] is not None})
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
    keep reason keeps at `now` (re-checked inside the DELETE statement), with file tombstones written
    in the same transaction and the files deleted after commit. Idempotent.

    `only_due` also requires the declaration's retention rule to call the rows due (the purge).
    Records the deleted rows leave with nothing (a closed task, a customer) go too, unless
    `delete_left_parents` is False (the purge reaches them in their own turn). Inside a caller's
    transaction the files are deleted when it commits, and `files_deleted` is updated then.
    """
    if not pks:
        return DeletionResult()
    return _delete_window_with_retries(
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
    """The purge's window: every row with `pk_from <= pk < pk_to` that is due and not kept at `now`
    (of these controllers only, when given).

    The same code path as `delete_rows`, over a keyset window of the primary key instead of a list.
    """
    window = Q(pk__gte=pk_from, pk__lt=pk_to)
    if controller_ids is not None:
        window &= Q(controller_id__in=list(controller_ids))
    return _delete_window_with_retries(
        declaration=declaration,
        window=window,
        now=now,
        only_due=True,
        report_kept=False,
        delete_left_parents=False,
        audit={"actor": "purge", "action": AuditAction.PURGE, "purpose": AuditPurpose.RETENTION, "details": {}},
    )


def _delete_window_with_retries(
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
    with unscoped():
        for attempt in range(1, _WINDOW_ATTEMPTS + 1):
            attempt_result = DeletionResult()
            tombstone_ids: list[int] = []
            try:
                with transaction.atomic():
                    _window_delete(
                        declaration=declaration,
                        window=window,
                        now=now,
                        only_due=only_due,
                        report_kept=report_kept,
                        delete_left_parents=delete_left_parents,
                        result=attempt_result,
                        tombstone_ids=tombstone_ids,
                    )
                    _audit(attempt_result, **audit)
                    if tombstone_ids:
                        transaction.on_commit(lambda ids=tombstone_ids, r=result: _files_after_commit(r, ids))
            except _WindowChanged:
                if attempt == _WINDOW_ATTEMPTS:
                    raise
                continue
            # files_deleted is set by the on-commit hook: at once without an outer transaction.
            result.merge(attempt_result)
            return result
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
