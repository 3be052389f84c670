"""Executing a request once its identity check is recorded and its matches reviewed.

Invariants:
- `require_identity_checked` first, on every kind: nothing is changed for an unchecked requester;
- then `require_matches_reviewed`, on every kind: no execution without discovery, and without
  the DPO's review of what it found (409 `discovery_required`);
- only the records acted on (kept by the DPO and found through a verified identifier) are
  touched, and only at the request's controller;
- an access request never completes with an empty copy while records match: matches waiting for
  an identifier's verification are a conflict (409 `unverified_identifiers`), not "no data";
- records are changed through their declarations (restriction and objection flags, exported
  fields), never by naming a model;
- recipients of changed records are listed for notification (art. 19) before anything changes,
  so that an erased record's recipients are still known.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.objection import objection_values
from core.personal_data import registry
from privacy.discovery import included_records, require_matches_reviewed, waiting_for_verification
from privacy.letters import letter_generate
from privacy.models import (
    LetterKind,
    NotificationStatus,
    PrivacyRequest,
    RecipientNotification,
    RequestKind,
    RestrictionBasis,
)
from privacy.services import InvalidRequest, request_complete, require_identity_checked, require_open

PURPOSE = AuditPurpose.DATA_SUBJECT_REQUEST


def _locked(request: PrivacyRequest) -> PrivacyRequest:
    request = PrivacyRequest.all_controllers.select_for_update().get(pk=request.pk)
    require_identity_checked(request)
    require_open(request)
    require_matches_reviewed(request)
    return request


def require_something_to_answer(request: PrivacyRequest) -> None:
    """Records the DPO keeps but that were found only through identifiers not yet verified: the
    answer would leave them out, so "nothing held" would be untrue. Verify or exclude them first."""
    if not included_records(request) and waiting_for_verification(request):
        raise Conflict(
            _(
                "Records were found only through email addresses or phone numbers not yet verified: verify "
                "them, or exclude the records, before answering."
            ),
            code="unverified_identifiers",
        )


def request_execute(*, request: PrivacyRequest, actor: Any, data: dict[str, Any]) -> PrivacyRequest:
    """Carry out the request according to its kind."""
    require_identity_checked(request)
    require_open(request)
    require_matches_reviewed(request)
    if request.kind in (RequestKind.ACCESS, RequestKind.PORTABILITY):
        from privacy.exports import export_start, no_data_answer

        with transaction.atomic():
            request = _locked(request)
            require_something_to_answer(request)
            if not included_records(request):
                no_data_answer(request=request, actor=actor)
                return request
        export_start(request=request, actor=actor)
    elif request.kind == RequestKind.RECTIFICATION:
        request_rectify(request=request, actor=actor, changes=data.get("changes") or [], reason=data.get("reason", ""))
    elif request.kind == RequestKind.RESTRICTION:
        request_restrict(request=request, actor=actor, basis=data.get("basis", ""))
    elif request.kind == RequestKind.OBJECTION:
        request_object(request=request, actor=actor, compelling_grounds=data.get("compelling_grounds", ""))
    elif request.kind == RequestKind.ERASURE:
        from privacy.erasure import request_erase

        request_erase(request=request, actor=actor)
    request.refresh_from_db()
    return request


def notifications_create(*, request: PrivacyRequest, records: dict[str, list[int]]) -> list[RecipientNotification]:
    """Art. 19: one item per recipient and record type of the records about to change."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for key, pks in records.items():
        for recipient in registry.recipients_for(registry.get(key), pks):
            item = grouped.setdefault((recipient.name, key), {"type": recipient.recipient_type, "ids": set()})
            item["ids"].add(recipient.record_id)
    created = []
    for (name, key), item in grouped.items():
        notification, _created = RecipientNotification.all_controllers.get_or_create(
            request=request,
            controller_id=request.controller_id,
            recipient_name=name,
            record_type=key,
            defaults={"recipient_type": item["type"], "record_ids": sorted(item["ids"])},
        )
        created.append(notification)
    return created


def notification_update(
    *, notification: RecipientNotification, actor: Any, status: NotificationStatus | str, reason: str = ""
) -> RecipientNotification:
    if status not in NotificationStatus.values or status == NotificationStatus.PENDING:
        raise InvalidRequest("status", _("Choose sent, impossible or disproportionate."))
    reason = (reason or "").strip()
    if status != NotificationStatus.SENT and not reason:
        raise InvalidRequest("reason", _("Say why the recipient cannot be told."))
    notification.status = status
    notification.reason = reason
    notification.updated_at = timezone.now()
    notification.updated_by = actor
    notification.save(update_fields=["status", "reason", "updated_at", "updated_by"])
    audit_log(
        actor=actor,
        action=AuditAction.SEND,
        purpose=PURPOSE,
        object_type="privacy.recipientnotification",
        object_id=notification.pk,
        controller=notification.request.controller_id,
        details={"status": status},
    )
    return notification


def _flag_records(
    request: PrivacyRequest, records: dict[str, list[int]], attribute: str, value: bool
) -> dict[str, int]:
    changed = {}
    for key, pks in records.items():
        declaration = registry.get(key)
        field_name = getattr(declaration, attribute)
        if not field_name:
            continue
        changed[key] = (
            declaration.queryset().filter(controller_id=request.controller_id, pk__in=pks).update(**{field_name: value})
        )
    return changed


@transaction.atomic
def request_restrict(*, request: PrivacyRequest, actor: Any, basis: str) -> PrivacyRequest:
    """Art. 18: the matched records become restricted (read-only, hidden from agents, kept from
    the purge while it lasts); the basis of 18(1) is recorded."""
    request = _locked(request)
    if basis not in RestrictionBasis.values:
        raise InvalidRequest("basis", _("Choose the basis of the restriction (art. 18(1))."))
    records = included_records(request)
    notifications_create(request=request, records=records)
    changed = _flag_records(request, records, "restriction_field", True)
    request.restriction_basis = basis
    request.restriction_active = True
    request.save(update_fields=["restriction_basis", "restriction_active"])
    request_complete(request=request, report={"restricted": changed}, actor=actor)
    audit_log(actor=actor, action=AuditAction.RESTRICT, purpose=PURPOSE, obj=request, details={"records": changed})
    letter_generate(request=request, kind=LetterKind.RESTRICTION, actor=actor)
    return request


@transaction.atomic
def request_restriction_lift(*, request: PrivacyRequest, actor: Any) -> PrivacyRequest:
    """Art. 18(3): the subject is told before a restriction is lifted, so the notice letter must
    exist first. Records another active restriction covers stay restricted."""
    request = PrivacyRequest.all_controllers.select_for_update().get(pk=request.pk)
    if not request.restriction_active:
        raise Conflict(_("No restriction of this request is in force."), code="not_restricted")
    if not request.letters.filter(kind=LetterKind.RESTRICTION_LIFT).exists():
        raise Conflict(
            _("Generate the notice letter to the subject before lifting the restriction (art. 18(3))."),
            code="notice_letter_missing",
        )
    records = included_records(request)
    others = PrivacyRequest.all_controllers.filter(
        controller_id=request.controller_id, restriction_active=True
    ).exclude(pk=request.pk)
    still_restricted: dict[str, set[int]] = defaultdict(set)
    for other in others:
        for key, pks in included_records(other).items():
            still_restricted[key].update(pks)
    to_lift = {key: [pk for pk in pks if pk not in still_restricted[key]] for key, pks in records.items()}
    changed = _flag_records(request, to_lift, "restriction_field", False)
    request.restriction_active = False
    request.restriction_lifted_at = timezone.now()
    request.save(update_fields=["restriction_active", "restriction_lifted_at"])
    audit_log(
        actor=actor, action=AuditAction.LIFT_RESTRICTION, purpose=PURPOSE, obj=request, details={"records": changed}
    )
    return request


def _records_objected(request: PrivacyRequest, records: dict[str, list[int]], actor: Any) -> dict[str, int]:
    now, changed = timezone.now(), {}
    for key, pks in records.items():
        declaration = registry.get(key)
        values = objection_values(declaration, actor=actor, at=now)
        if values:
            rows = declaration.queryset().filter(controller_id=request.controller_id, pk__in=pks)
            # A record that objected before keeps when and by whom that was recorded.
            changed[key] = rows.filter(**{declaration.objection_field: False}).update(**values)
    return changed


@transaction.atomic
def request_object(*, request: PrivacyRequest, actor: Any, compelling_grounds: str = "") -> PrivacyRequest:
    """Art. 21: unless compelling grounds are claimed (recorded and stated in the letter), the
    records drop out of legitimate-interest uses at once."""
    request = _locked(request)
    compelling_grounds = (compelling_grounds or "").strip()
    records = included_records(request)
    changed = {} if compelling_grounds else _records_objected(request, records, actor)
    request.compelling_grounds = compelling_grounds
    request.save(update_fields=["compelling_grounds"])
    request_complete(
        request=request, report={"objected": changed, "compelling_grounds": bool(compelling_grounds)}, actor=actor
    )
    audit_log(actor=actor, action=AuditAction.OBJECT, purpose=PURPOSE, obj=request, details={"records": changed})
    letter_generate(request=request, kind=LetterKind.OBJECTION, actor=actor)
    return request


def _rectifiable(declaration: Any, field_name: str) -> models.Field | None:
    if field_name not in declaration.export_fields or "__" in field_name:
        return None
    try:
        field = declaration.model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001 (an unknown name is simply not rectifiable)
        return None
    if isinstance(field, models.CharField | models.TextField) and not field.choices:
        return field
    return None


@transaction.atomic
def request_rectify(
    *, request: PrivacyRequest, actor: Any, changes: list[dict[str, Any]], reason: str
) -> PrivacyRequest:
    """Art. 16: correct or complete matched records, each change with the recorded reason.

    A stored normalised form kept beside a field (`email_normalized`, `phone_e164`) is
    recomputed, so that the record is still found by its corrected identifier."""
    request = _locked(request)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("reason", _("Give the reason for the rectification."))
    if not changes:
        raise InvalidRequest("changes", _("List at least one change."))
    records = included_records(request)
    planned = []
    for index, change in enumerate(changes):
        key, pk, field_name = change.get("record_type"), change.get("record_id"), change.get("field")
        if key not in records or pk not in records[key]:
            raise InvalidRequest(
                "changes", _("Change %(n)s: the record is not among this request's matches.") % {"n": index + 1}
            )
        declaration = registry.get(key)
        field = _rectifiable(declaration, field_name or "")
        value = change.get("value")
        if field is None or not isinstance(value, str):
            raise InvalidRequest("changes", _("Change %(n)s: this field cannot be rectified.") % {"n": index + 1})
        if field.max_length and len(value) > field.max_length:
            raise InvalidRequest("changes", _("Change %(n)s: the value is too long.") % {"n": index + 1})
        planned.append((declaration, pk, field_name, value))
    notifications_create(request=request, records={d.key(): [pk] for d, pk, _f, _v in planned})
    done = []
    for declaration, pk, field_name, value in planned:
        update = {field_name: value}
        names = {f.name for f in declaration.model._meta.concrete_fields}
        if f"{field_name}_normalized" in names:
            update[f"{field_name}_normalized"] = registry.normalise_email(value)
        if f"{field_name}_e164" in names:
            update[f"{field_name}_e164"] = registry.normalise_phone(value)
        declaration.queryset().filter(controller_id=request.controller_id, pk=pk).update(**update)
        audit_log(
            actor=actor,
            action=AuditAction.RECTIFY,
            purpose=PURPOSE,
            object_type=declaration.key(),
            object_id=pk,
            controller=request.controller_id,
            details={"field": field_name, "request": request.pk},
        )
        done.append(
            {
                "record_type": declaration.key(),
                "record_type_name": str(declaration.verbose_name),
                "record_id": pk,
                "field": field_name,
            }
        )
    request.rectification_reason = reason
    request.save(update_fields=["rectification_reason"])
    request_complete(request=request, report={"rectified": done}, actor=actor)
    letter_generate(request=request, kind=LetterKind.RECTIFICATION, actor=actor)
    return request
