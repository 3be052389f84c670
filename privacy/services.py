"""Writes of the privacy app: a request's life from receipt to its answer.

Invariants:
- nothing is exported or executed before the identity check is recorded (art. 12(6), P14): every
  path goes through `require_identity_checked`, and a database constraint refuses a request past
  `received` without `identity_verified_at`;
- a closed (completed or rejected) request changes no more;
- every step writes one audit event, with ids and codes only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose, Controller
from core.personal_data import registry
from privacy import deadlines
from privacy.models import (
    IdentifierKind,
    IdentityMethod,
    Letter,
    LetterKind,
    PrivacyRequest,
    RejectionReason,
    RequestChannel,
    RequestIdentifier,
    RequestKind,
    RequestStatus,
)

PURPOSE = AuditPurpose.DATA_SUBJECT_REQUEST


class InvalidRequest(ValueError):
    """Bad input the edge did not catch: answered 400 with the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _lock(request: PrivacyRequest) -> PrivacyRequest:
    """The row, locked for this transaction: two DPO clicks cannot both pass a state check."""
    return PrivacyRequest.all_controllers.select_for_update().get(pk=request.pk)


def require_open(request: PrivacyRequest) -> None:
    if not request.is_open:
        raise Conflict(_("The request is already closed."), code="request_closed")


def identity_not_checked_message() -> str:
    return _("The requester's identity has not been checked: nothing can be exported or executed yet.")


def require_identity_checked(request: PrivacyRequest) -> None:
    """Art. 12(6): nothing is handed out or changed before the requester's identity is checked."""
    if not request.identity_verified:
        raise Conflict(identity_not_checked_message(), code="identity_not_checked")


def _normalised(values: list[str], normalise: Any) -> list[str]:
    seen: list[str] = []
    for value in values:
        normalised = normalise(value)
        if normalised and normalised not in seen:
            seen.append(normalised)
    return seen


@transaction.atomic
def request_create(
    *,
    controller: Controller,
    kind: RequestKind | str,
    actor: Any,
    name: str = "",
    email: str = "",
    phone: str = "",
    other_emails: list[str] | None = None,
    other_phones: list[str] | None = None,
    received_at: dt.datetime | None = None,
    channel: RequestChannel | str = RequestChannel.EMAIL,
    language: str = "fi",
    details: str = "",
    include_consultation_history: bool = False,
    source_record_type: str = "",
    source_record_id: int | None = None,
) -> PrivacyRequest:
    """Record a request as received; its due date follows from the moment of receipt. Each email
    address and phone number given becomes an identifier of its own, not yet verified."""
    emails = _normalised([email, *(other_emails or [])], registry.normalise_email)
    phones = _normalised([phone, *(other_phones or [])], registry.normalise_phone)
    if email and not registry.normalise_email(email):
        raise InvalidRequest("email", _("Enter a valid email address."))
    if phone and not registry.normalise_phone(phone):
        raise InvalidRequest("phone", _("Enter a valid phone number."))
    if any(value and not registry.normalise_email(value) for value in other_emails or []):
        raise InvalidRequest("emails", _("Enter a valid email address."))
    if any(value and not registry.normalise_phone(value) for value in other_phones or []):
        raise InvalidRequest("phones", _("Enter a valid phone number."))
    if not emails and not phones:
        raise InvalidRequest("email", _("Give at least an email address or a phone number of the subject."))
    received_at = received_at or timezone.now()
    due = deadlines.due_date(received_at)
    request = PrivacyRequest.all_controllers.create(
        controller=controller,
        kind=kind,
        name=name.strip()[:200],
        email=emails[0] if emails else "",
        phone=phones[0] if phones else "",
        received_at=received_at,
        due_at=due,
        original_due_at=due,
        channel=channel,
        language=language,
        details=details,
        include_consultation_history=include_consultation_history,
        source_record_type=source_record_type,
        source_record_id=source_record_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    staff = actor if getattr(actor, "is_authenticated", False) else None
    RequestIdentifier.all_controllers.bulk_create(
        [
            RequestIdentifier(
                request=request,
                controller=controller,
                kind=kind_,
                value=value,
                added_at=request.created_at,
                added_by=staff,
            )
            for kind_, values in ((IdentifierKind.EMAIL, emails), (IdentifierKind.PHONE, phones))
            for value in values
        ]
    )
    audit_log(actor=actor, action=AuditAction.CREATE, purpose=PURPOSE, obj=request, details={"kind": request.kind})
    return request


# The record type an incoming email arrives as: a contact, found through the registry.
INCOMING_EMAIL_RECORD_TYPE = "contacts.contact"


def request_create_from_record(
    *,
    controller: Controller,
    kind: RequestKind | str,
    actor: Any,
    record_id: int,
    record_type: str = INCOMING_EMAIL_RECORD_TYPE,
    language: str = "fi",
) -> PrivacyRequest:
    """Open a request from an incoming email in one click: the sender's name, address and phone
    and the time of arrival come from the record, read through its declaration."""
    declaration = registry.get(record_type)
    paths = [*declaration.name_paths[:1], *declaration.email_paths[:1], *declaration.phone_paths[:1]]
    row = declaration.queryset().filter(controller=controller, pk=record_id).first()
    if row is None:
        raise InvalidRequest("from_contact", _("No such contact at this controller."))
    values = declaration.queryset().filter(pk=row.pk).values(*paths).first() or {}
    exported = declaration.export_row(row)
    received_at = row_time(declaration, row) or timezone.now()
    return request_create(
        controller=controller,
        kind=kind,
        actor=actor,
        name=values.get(declaration.name_paths[0], "") if declaration.name_paths else "",
        email=values.get(declaration.email_paths[0], "") if declaration.email_paths else "",
        phone=values.get(declaration.phone_paths[0], "") if declaration.phone_paths else "",
        received_at=received_at,
        channel=RequestChannel.EMAIL,
        language=language,
        details=str(exported.get("subject") or "")[:500],
        source_record_type=record_type,
        source_record_id=row.pk,
    )


def row_time(declaration: Any, row: Any) -> dt.datetime | None:
    """When a record came about: its retention clock's date field (a contact's occurred_at)."""
    if declaration.retention is None:
        return None
    value = getattr(row, declaration.retention.date_field, None)
    return value if isinstance(value, dt.datetime) else None


# What a check proves about the addresses and numbers a requester names (art. 12(6)). A reply from
# an address proves that address, a call-back that number. Strong electronic identification and
# an identity document prove who the person is, but not that an address or number is theirs.
# "Other" proves what the DPO lists, explained in the note.
IDENTIFIERS_PROVEN_BY: dict[str, frozenset[str]] = {
    IdentityMethod.EMAIL_ON_FILE: frozenset({IdentifierKind.EMAIL}),
    IdentityMethod.CALLBACK_ON_FILE: frozenset({IdentifierKind.PHONE}),
    IdentityMethod.STRONG_ELECTRONIC: frozenset(),
    IdentityMethod.DOCUMENT_SEEN: frozenset(),
    IdentityMethod.OTHER: frozenset({IdentifierKind.EMAIL, IdentifierKind.PHONE}),
}
_CANNOT_PROVE = {
    IdentityMethod.EMAIL_ON_FILE: _("A reply from an email address proves that address only, not a phone number."),
    IdentityMethod.CALLBACK_ON_FILE: _("A call-back proves that phone number only, not an email address."),
    IdentityMethod.STRONG_ELECTRONIC: _(
        "A strong electronic identification proves who the person is, not that an email address or phone "
        "number is theirs: verify those by a reply or a call-back."
    ),
    IdentityMethod.DOCUMENT_SEEN: _(
        "An identity document proves who the person is, not that an email address or phone number is "
        "theirs: verify those by a reply or a call-back."
    ),
}


def identifier_normalised(value: str) -> tuple[str, str]:
    """(kind, stored form) of an address or number as written; the form is "" when malformed."""
    value = (value or "").strip()
    if "@" in value:
        return IdentifierKind.EMAIL, registry.normalise_email(value)
    return IdentifierKind.PHONE, registry.normalise_phone(value)


def _identifier_of(identifiers: list[RequestIdentifier], value: str) -> RequestIdentifier | None:
    """The identifier a value names, in whatever form it was written."""
    kind, normalised = identifier_normalised(value)
    return next((i for i in identifiers if normalised and i.kind == kind and i.value == normalised), None)


def identifiers_proven_by_default(*, method: str, identifiers: list[RequestIdentifier]) -> list[RequestIdentifier]:
    """Without a list: a reply proves the first address given, a call-back the first number."""
    kinds = {IdentityMethod.EMAIL_ON_FILE: IdentifierKind.EMAIL, IdentityMethod.CALLBACK_ON_FILE: IdentifierKind.PHONE}
    kind = kinds.get(method)
    first = next((i for i in identifiers if i.kind == kind), None)
    return [first] if first else []


@transaction.atomic
def request_verify_identity(
    *,
    request: PrivacyRequest,
    actor: Any,
    method: IdentityMethod | str,
    note: str = "",
    identifiers: list[str] | None = None,
) -> PrivacyRequest:
    """Record an identity check: the first one checks the person (art. 12(6)) and lets work begin;
    each check also verifies the identifiers it proves (`identifiers`, as values; by default the
    address replied from or the number called back). Later checks verify further identifiers."""
    request = _lock(request)
    require_open(request)
    if method not in IdentityMethod.values:
        raise InvalidRequest("method", _("Choose a method from the list."))
    note = (note or "").strip()
    if method == IdentityMethod.OTHER and not note:
        raise InvalidRequest("note", _("Explain how the identity was established."))
    known = list(request.identifiers.all())
    if identifiers is None:
        proven = identifiers_proven_by_default(method=method, identifiers=known)
    else:
        proven = []
        for value in identifiers:
            identifier = _identifier_of(known, str(value).strip())
            if identifier is None:
                raise InvalidRequest(
                    "identifiers",
                    _("%(value)s is not an email address or phone number of this request.") % {"value": value},
                )
            if identifier not in proven:
                proven.append(identifier)
    for identifier in proven:
        if identifier.kind not in IDENTIFIERS_PROVEN_BY[method]:
            raise InvalidRequest("identifiers", _CANNOT_PROVE[method])
    newly_proven = [identifier for identifier in proven if not identifier.verified]
    if request.identity_verified and not newly_proven:
        raise Conflict(_("The identity check is already recorded."), code="identity_already_checked")
    now = timezone.now()
    RequestIdentifier.all_controllers.filter(pk__in=[i.pk for i in newly_proven]).update(
        verification_method=method, verification_note=note, verified_at=now, verified_by=actor
    )
    if not request.identity_verified:
        request.identity_method = method
        request.identity_note = note
        request.identity_verified_at = now
        request.identity_verified_by = actor
        request.status = RequestStatus.VERIFIED
        request.save(
            update_fields=["identity_method", "identity_note", "identity_verified_at", "identity_verified_by", "status"]
        )
    audit_log(
        actor=actor,
        action=AuditAction.VERIFY_IDENTITY,
        purpose=PURPOSE,
        obj=request,
        details={"method": method, "identifiers": sorted(i.pk for i in newly_proven)},
    )
    return request


@transaction.atomic
def request_identifier_add(*, request: PrivacyRequest, actor: Any, value: str) -> RequestIdentifier:
    """The subject names a further address or number: added unverified, and found records go into
    the answer only once it is verified. The records must be searched again (discovery_required)."""
    request = _lock(request)
    require_open(request)
    kind, normalised = identifier_normalised(value)
    if not normalised:
        raise InvalidRequest("value", _("Enter a valid email address or phone number."))
    if request.identifiers.filter(kind=kind, value=normalised).exists():
        raise InvalidRequest("value", _("This request already has that email address or phone number."))
    identifier = RequestIdentifier.all_controllers.create(
        request=request, controller_id=request.controller_id, kind=kind, value=normalised, added_by=actor
    )
    # The first address or number of its kind is also the request's own (lists, lookups).
    field_name = "email" if kind == IdentifierKind.EMAIL else "phone"
    if not getattr(request, field_name):
        setattr(request, field_name, normalised)
        request.save(update_fields=[field_name])
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        purpose=PURPOSE,
        obj=request,
        details={"identifier_added": identifier.pk, "kind": kind},
    )
    return identifier


@transaction.atomic
def request_extend(
    *, request: PrivacyRequest, actor: Any, reason: str, due_at: dt.date | None = None, now: dt.datetime | None = None
) -> PrivacyRequest:
    """Art. 12(3): once, before the original due date, by at most two further months, with a
    reason told to the subject (the extension letter is generated here)."""
    now = now or timezone.now()
    request = _lock(request)
    require_open(request)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("reason", _("Give the reason for the extension: it is told to the subject."))
    if request.extended_at is not None:
        raise Conflict(_("The deadline has already been extended once."), code="already_extended")
    if deadlines.today_in_helsinki(now) > request.original_due_at:
        raise Conflict(_("The original due date has passed: it can no longer be extended."), code="too_late")
    latest = deadlines.latest_extended_due_date(request.original_due_at)
    due_at = due_at or latest
    if due_at <= request.original_due_at or due_at > latest:
        raise InvalidRequest(
            "due_at",
            _("The new due date must be after %(original)s and at most %(latest)s.")
            % {"original": request.original_due_at.isoformat(), "latest": latest.isoformat()},
        )
    request.due_at = due_at
    request.extension_reason = reason
    request.extended_at = now
    request.extended_by = actor
    request.save(update_fields=["due_at", "extension_reason", "extended_at", "extended_by"])
    audit_log(actor=actor, action=AuditAction.EXTEND, purpose=PURPOSE, obj=request)
    from privacy.letters import letter_generate

    letter_generate(request=request, kind=LetterKind.EXTENSION, actor=actor)
    return request


@transaction.atomic
def request_reject(
    *, request: PrivacyRequest, actor: Any, reason: RejectionReason | str, justification: str
) -> tuple[PrivacyRequest, Letter]:
    """Art. 12(4)-(5): refuse with a reason, and tell the subject of the Ombudsman and the courts."""
    request = _lock(request)
    require_open(request)
    if reason not in RejectionReason.values:
        raise InvalidRequest("reason", _("Choose a reason from the list."))
    justification = (justification or "").strip()
    if not justification:
        raise InvalidRequest("justification", _("Give the justification: it is told to the subject."))
    request.rejection_reason = reason
    request.rejection_justification = justification
    request.status = RequestStatus.REJECTED
    request.completed_at = timezone.now()
    request.save(update_fields=["rejection_reason", "rejection_justification", "status", "completed_at"])
    audit_log(actor=actor, action=AuditAction.REJECT, purpose=PURPOSE, obj=request, details={"reason": reason})
    from privacy.letters import letter_generate

    letter = letter_generate(request=request, kind=LetterKind.REJECTION, actor=actor)
    return request, letter


def request_update_notes(*, request: PrivacyRequest, actor: Any, notes: str, assignee: Any = None) -> PrivacyRequest:
    request.notes = notes
    request.assignee = assignee
    request.save(update_fields=["notes", "assignee"])
    audit_log(actor=actor, action=AuditAction.CHANGE, purpose=PURPOSE, obj=request)
    return request


def request_complete(*, request: PrivacyRequest, report: dict[str, Any] | None = None, actor: Any = None) -> None:
    """Close the request as answered; the three-year accountability clock starts now."""
    fields = ["status", "completed_at"]
    request.status = RequestStatus.COMPLETED
    request.completed_at = timezone.now()
    if report is not None:
        request.execution_report = report
        request.executed_at = request.completed_at
        request.executed_by = actor if getattr(actor, "is_authenticated", False) else None
        fields += ["execution_report", "executed_at", "executed_by"]
    request.save(update_fields=fields)
