"""The audit trail's one writer (policy P9): every view and job that shows, exports, changes or
deletes personal data calls `audit_log` (one record) or `audit_log_many` (a page of records).

Events name objects by type and id and never hold personal values: the `details` may carry only
numbers, booleans, ids and short codes, which is checked here.

Every event belongs to one controller (P1: a DPO reads the events of their own controllers and
nothing of the other's) or, with no controller, to the platform: a login of a user granted no
controller, the totals of a purge run. Platform events are read only by administrators (the
admin's "Platform audit events"); an event about several controllers is written once per
controller with what concerns that controller (`audit_log_per_controller`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from django.db import connection, models
from django.utils import timezone

from core.models import AuditAction, AuditEvent, AuditPurpose, Controller

_request_id: ContextVar[str] = ContextVar("audit_request_id", default="")

# A code is a short lowercase identifier such as "legal_hold"; anything freer could carry a name.
_CODE = re.compile(r"^[a-z0-9_.:-]{1,60}$")

# `Choices.values` builds a new list on every access; a list page checks each of its events.
_ACTIONS = frozenset(AuditAction.values)
_PURPOSES = frozenset(AuditPurpose.values)


def set_request_id(value: str) -> Any:
    return _request_id.set(value)


def reset_request_id(token: Any) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    return _request_id.get()


def _check_detail_value(key: str, value: Any) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str) and _CODE.match(value):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_detail_value(key, item)
        return
    if isinstance(value, Mapping):
        for inner_key, inner in value.items():
            _check_detail_value(f"{key}.{inner_key}", inner)
        return
    raise ValueError(
        f"Audit detail {key!r} must be a number, flag, id or short code, not free text: "
        "audit events never hold personal values."
    )


def object_label(obj_or_model: Any) -> str:
    return obj_or_model._meta.label_lower


def _event(
    *,
    actor: Any,
    action: AuditAction | str,
    purpose: AuditPurpose | str,
    object_type: str,
    object_id: Any,
    controller_id: int | None,
    details: Mapping[str, Any] | None,
) -> AuditEvent:
    if action not in _ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    if purpose not in _PURPOSES:
        raise ValueError(f"Unknown audit purpose {purpose!r}")
    details = dict(details or {})
    for key, value in details.items():
        _check_detail_value(key, value)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        actor=actor if is_user else None,
        actor_kind="user" if is_user else (actor if isinstance(actor, str) else "system"),
        action=action,
        purpose=purpose,
        controller_id=controller_id,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        request_id=current_request_id(),
        details=details,
    )


def _controller_id_of(obj: Any, controller: Controller | int | None) -> int | None:
    if isinstance(controller, Controller):
        return controller.pk
    if controller is not None:
        return int(controller)
    return getattr(obj, "controller_id", None)


def audit_log(
    *,
    actor: Any,
    action: AuditAction | str,
    purpose: AuditPurpose | str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = None,
    controller: Controller | int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. `actor` is a user, or a short name for a job ("purge")."""
    if obj is not None:
        object_type = object_type or object_label(obj)
        object_id = obj.pk if object_id is None else object_id
    event = _event(
        actor=actor,
        action=action,
        purpose=purpose,
        object_type=object_type,
        object_id=object_id,
        controller_id=_controller_id_of(obj, controller),
        details=details,
    )
    event.save(force_insert=True)
    return event


def audit_log_per_controller(
    *,
    actor: Any,
    action: AuditAction | str,
    purpose: AuditPurpose | str,
    details_by_controller: Mapping[int, Mapping[str, Any] | None],
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: Any = None,
) -> list[AuditEvent]:
    """One event for each controller, each with the details that concern that controller only,
    in one INSERT: something that spans controllers (a login of a user granted both, a purge
    run) without one controller's DPO learning the other's figures. No controllers, no events."""
    if obj is not None:
        object_type = object_type or object_label(obj)
        object_id = obj.pk if object_id is None else object_id
    events = [
        _event(
            actor=actor,
            action=action,
            purpose=purpose,
            object_type=object_type,
            object_id=object_id,
            controller_id=int(controller_id),
            details=details,
        )
        for controller_id, details in sorted(details_by_controller.items())
    ]
    return AuditEvent.objects.bulk_create(events)


def audit_log_many(
    *,
    actor: Any,
    action: AuditAction | str,
    purpose: AuditPurpose | str,
    objects: Iterable[models.Model],
    details: Mapping[str, Any] | None = None,
) -> list[AuditEvent]:
    """One event per object shown (a list page, a search result), written in one INSERT."""
    events = [
        _event(
            actor=actor,
            action=action,
            purpose=purpose,
            object_type=object_label(obj),
            object_id=obj.pk,
            controller_id=getattr(obj, "controller_id", None),
            details=details,
        )
        for obj in objects
    ]
    return AuditEvent.objects.bulk_create(events)


def audit_log_page(
    *,
    actor: Any,
    action: AuditAction | str,
    purpose: AuditPurpose | str,
    objects: Iterable[models.Model],
    details: Mapping[str, Any] | None = None,
) -> int:
    """The events of `audit_log_many` (one per record shown) in one set-based INSERT.

    For list pages and search results on PostgreSQL, where building a model instance per event
    costs more than the page itself; elsewhere the same events through `audit_log_many`.
    Returns the number of events written.
    """
    objects = list(objects)
    if not objects:
        return 0
    if connection.vendor != "postgresql":
        return len(audit_log_many(actor=actor, action=action, purpose=purpose, objects=objects, details=details))
    # One event validated as audit_log_many would, then the per-row values as arrays.
    template = _event(
        actor=actor,
        action=action,
        purpose=purpose,
        object_type=object_label(objects[0]),
        object_id=None,
        controller_id=None,
        details=details,
    )
    # The model's own table name; every value is a parameter.
    statement = (
        f'INSERT INTO "{AuditEvent._meta.db_table}" (at, actor_id, actor_kind, action, purpose, '  # nosec  # noqa: S608
        "controller_id, object_type, object_id, request_id, details) "
        "SELECT %s, %s, %s, %s, %s, row.controller_id, row.object_type, row.object_id, %s, %s::jsonb "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS row(controller_id, object_type, object_id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                timezone.now(),
                template.actor_id,
                template.actor_kind,
                template.action,
                template.purpose,
                template.request_id,
                json.dumps(template.details),
                [getattr(obj, "controller_id", None) for obj in objects],
                [object_label(obj) for obj in objects],
                [str(obj.pk) for obj in objects],
            ],
        )
    return len(objects)
