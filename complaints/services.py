"""Writes of the complaints app: complaints and their handling, disclosures and legal holds.

Views, serializers and commands call these; each writes its timeline entry and audit event.

Complaint statuses (DESIGN.md, Domain) move only along ALLOWED_TRANSITIONS:

    received -> in_handling -> resolved -> closed
    received | in_handling | resolved -> withdrawn
    resolved -> in_handling   (reopened: the complainant disputes the resolution before closing)

Closed and withdrawn are final: the retention clock of the complaint runs from `closed_at`
(P8), and reopening a finished complaint would silently stop it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import (
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintKind,
    ComplaintStatus,
    Disclosure,
    HoldScope,
    LegalHold,
    RecipientType,
)
from contacts.identifiers import normalise_email, normalise_phone
from contacts.models import Contact, Customer, Task
from contacts.selectors import customer_match
from contacts.services import customer_create, customer_match_or_create
from core.access import NOT_ASSIGNABLE, Action, Area, can
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose, Controller
from core.objection import objection_inherited
from core.restriction import restricted_q, restriction_check_linkable, restriction_check_writable

S = ComplaintStatus

# An earlier date is a typing error (and before 1921 Helsinki time has an offset in seconds,
# which no ISO 8601 reader accepts).
EARLIEST_RECEIVED_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.IN_HANDLING, S.WITHDRAWN}),
    S.IN_HANDLING: frozenset({S.RESOLVED, S.WITHDRAWN}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_HANDLING, S.WITHDRAWN}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


def allowed_transitions(status: str) -> list[str]:
    """The statuses a complaint in `status` may move to, in the order of the workflow."""
    return [value for value in ComplaintStatus.values if value in ALLOWED_TRANSITIONS.get(status, ())]


def _same_controller(controller: Controller, field: str, objects: Sequence[Any]) -> None:
    for obj in objects:
        if obj is not None and obj.controller_id != controller.pk:
            raise ValidationError({field: _("Choose records of the same controller.")})


def _event(complaint: Complaint, *, kind: str, author: Any, text: str = "", **fields: Any) -> ComplaintEvent:
    return ComplaintEvent.all_controllers.create(
        controller_id=complaint.controller_id, complaint=complaint, kind=kind, author=author, text=text, **fields
    )


@dataclass(frozen=True)
class ComplainantDetails:
    """The complainant as given at intake (on a call, in a letter, at the front desk): matched to
    a customer of the controller by normalised email, then phone, or recorded as a new one."""

    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def given(self) -> bool:
        return any(value.strip() for value in (self.name, self.email, self.phone))


# Longest values a customer keeps (contacts.Customer.name; CustomerEmail; a phone as typed).
COMPLAINANT_LIMITS = {"name": 200, "email": 254, "phone": 40}


def complainant_details_errors(details: ComplainantDetails) -> dict[str, list[str]]:
    """What is wrong with the complainant's details, by field ("name", "email", "phone")."""
    errors: dict[str, list[str]] = {}
    for name, limit in COMPLAINANT_LIMITS.items():
        if len(getattr(details, name).strip()) > limit:
            errors[name] = [_("At most %(limit)s characters.") % {"limit": limit}]
    for name, normalise in (("email", normalise_email), ("phone", normalise_phone)):
        if name in errors:
            continue
        try:
            normalise(getattr(details, name))
        except ValidationError as error:
            errors[name] = list(error.messages)
    if not details.given:
        errors["name"] = [_("Give the complainant's name, email address or phone number.")]
    return errors


@dataclass(frozen=True)
class ComplainantMatch:
    customer: Customer
    created: bool


def complainant_match_or_create(*, controller: Controller, details: ComplainantDetails) -> ComplainantMatch:
    """The customer these details belong to (by email, then phone: contacts' matching rule), with
    identifiers not yet known added to it; or a new customer. A name alone matches nobody."""
    errors = complainant_details_errors(details)
    if errors:
        # The form and the serializer show these by field first; this is the services' own check.
        raise ValidationError({"complainant_details": [text for texts in errors.values() for text in texts]})
    existing = customer_match(controller=controller, email=details.email, phone=details.phone)
    if not details.email.strip() and not details.phone.strip():
        return ComplainantMatch(customer_create(controller=controller, name=details.name), created=True)
    customer = customer_match_or_create(
        controller=controller, name=details.name, email=details.email, phone=details.phone
    )
    assert customer is not None  # an email or a phone was given and is valid
    return ComplainantMatch(customer, created=existing is None)


@transaction.atomic
def complaint_create(
    *,
    controller: Controller,
    actor: Any,
    subject: str,
    kind: str = ComplaintKind.COMPLAINT,
    description: str = "",
    channel: str = "",
    complainant: Customer | None = None,
    complainant_details: ComplainantDetails | None = None,
    contacts: Sequence[Contact] = (),
    tasks: Sequence[Task] = (),
    received_at: dt.datetime | None = None,
) -> Complaint:
    """A new complaint or feedback, `received`; its linked records are of the same controller.

    The complainant is a customer chosen by the caller, or found or created from the details
    given at intake (`complainant_details`), never both.
    """
    if not subject.strip():
        raise ValidationError({"subject": _("Give the complaint a subject.")})
    if channel and channel not in ComplaintChannel.values:
        raise ValidationError({"channel": _("Choose how the complaint came in.")})
    if received_at is not None and received_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"received_at": _("A complaint cannot be received in the future.")})
    if received_at is not None and received_at < EARLIEST_RECEIVED_AT:
        raise ValidationError({"received_at": _("Check the date: it is before the year 2000.")})
    if complainant is not None and complainant_details is not None:
        raise ValidationError(
            {"complainant_details": _("Give either the complainant's details or a customer, not both.")}
        )
    _same_controller(controller, "complainant", [complainant])
    _same_controller(controller, "contacts", contacts)
    _same_controller(controller, "tasks", tasks)
    # Art. 18: a restricted contact is not used, so not made into (or part of) a complaint.
    restriction_check_writable(*contacts)
    complainant_created = False
    if complainant_details is not None:
        found = complainant_match_or_create(controller=controller, details=complainant_details)
        complainant, complainant_created = found.customer, found.created
        if complainant_created:
            audit_log(actor=actor, action=AuditAction.CREATE, purpose=AuditPurpose.COMPLAINT_HANDLING, obj=complainant)
    complaint = Complaint.all_controllers.create(
        controller=controller,
        kind=kind,
        subject=subject.strip()[:300],
        description=description,
        channel=channel,
        complainant=complainant,
        created_by=actor,
        received_at=received_at or timezone.now(),
        processing_objected=objection_inherited(complainant),
    )
    complaint.contacts.set(contacts)
    complaint.tasks.set(tasks)
    _event(complaint, kind=ComplaintEventKind.TRANSITION, author=actor, to_status=ComplaintStatus.RECEIVED)
    audit_log(
        actor=actor,
        action=AuditAction.CREATE,
        purpose=AuditPurpose.COMPLAINT_HANDLING,
        obj=complaint,
        details={
            "kind": complaint.kind,
            "contacts": [c.pk for c in contacts],
            "tasks": [t.pk for t in tasks],
            "complainant": complainant.pk if complainant else None,
            "complainant_created": complainant_created,
        },
    )
    return complaint


def complaint_from_contact(
    *, contact: Contact, actor: Any, subject: str, kind: str = ComplaintKind.COMPLAINT, description: str = ""
) -> Complaint:
    """An agent turns a contact into a complaint in one step: the contact (and its task) linked,
    the complainant the contact's customer, received when the contact came in."""
    return complaint_create(
        controller=contact.controller,
        actor=actor,
        subject=subject,
        kind=kind,
        description=description,
        channel=contact.channel,
        complainant=contact.customer,
        contacts=[contact],
        tasks=[contact.task] if contact.task_id else [],
        received_at=contact.occurred_at,
    )


@transaction.atomic
def complaint_transition(*, complaint: Complaint, to: str, actor: Any, note: str = "") -> Complaint:
    """Move a complaint to status `to`, stamping the time; an illegal move is a Conflict (409),
    and so is any move of a restricted complaint (art. 18)."""
    restriction_check_writable(complaint)
    if to not in ComplaintStatus.values:
        raise ValidationError({"to": _("Unknown status “%(status)s”.") % {"status": to}})
    current = complaint.status
    if to not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(
            _("A complaint that is “%(current)s” cannot become “%(to)s”; allowed: %(allowed)s.")
            % {
                "current": ComplaintStatus(current).label,
                "to": ComplaintStatus(to).label,
                "allowed": ", ".join(str(ComplaintStatus(s).label) for s in allowed_transitions(current)) or "—",
            },
            code="illegal_transition",
        )
    if to == ComplaintStatus.RESOLVED and not complaint.resolution.strip():
        raise Conflict(_("Write the resolution before marking the complaint resolved."), code="resolution_missing")
    now = timezone.now()
    stamps: dict[str, Any] = {"status": to}
    if to == ComplaintStatus.IN_HANDLING:
        stamps["handling_started_at"] = complaint.handling_started_at or now
        stamps["resolved_at"] = None  # reopened: resolved again later
    elif to == ComplaintStatus.RESOLVED:
        stamps["resolved_at"] = now
    else:  # closed or withdrawn: the retention clock starts (P8)
        stamps["closed_at"] = now
    # Claim the row in its current status: of two concurrent moves, exactly one wins.
    if not Complaint.all_controllers.filter(pk=complaint.pk, status=current).update(**stamps):
        raise Conflict(_("The complaint was changed meanwhile; reload it and try again."), code="stale")
    for name, value in stamps.items():
        setattr(complaint, name, value)
    _event(
        complaint,
        kind=ComplaintEventKind.TRANSITION,
        author=actor,
        text=note,
        from_status=current,
        to_status=to,
        at=now,
    )
    audit_log(
        actor=actor,
        action=AuditAction.TRANSITION,
        purpose=AuditPurpose.COMPLAINT_HANDLING,
        obj=complaint,
        details={"from": current, "to": to},
    )
    return complaint


def _check_handler(complaint: Complaint, handler: Any) -> None:
    if handler is None:
        return
    if complaint.controller_id not in handler.controller_ids() or not can(handler, Area.COMPLAINTS, Action.CHANGE):
        raise ValidationError({"handler": NOT_ASSIGNABLE})


@transaction.atomic
def complaint_assign(*, complaint: Complaint, handler: Any, actor: Any) -> Complaint:
    """Give the complaint a handler (None: unassigned); the timeline and audit trail say who."""
    restriction_check_writable(complaint)
    _check_handler(complaint, handler)
    if complaint.handler_id == (handler.pk if handler else None):
        return complaint
    complaint.handler = handler
    complaint.save(update_fields=["handler"])
    _event(complaint, kind=ComplaintEventKind.ASSIGNMENT, author=actor, text=handler.get_username() if handler else "")
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        purpose=AuditPurpose.COMPLAINT_HANDLING,
        obj=complaint,
        details={"fields": ["handler"], "handler": handler.pk if handler else None},
    )
    return complaint


@transaction.atomic
def complaint_note_add(*, complaint: Complaint, text: str, actor: Any) -> ComplaintEvent:
    """An internal note on the complaint's timeline."""
    restriction_check_writable(complaint)
    if not text.strip():
        raise ValidationError({"text": _("Write the note.")})
    event = _event(complaint, kind=ComplaintEventKind.NOTE, author=actor, text=text.strip())
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        purpose=AuditPurpose.COMPLAINT_HANDLING,
        obj=complaint,
        details={"note": event.pk},
    )
    return event


def _contacts_keeping_restricted(complaint: Complaint, contacts: Sequence[Contact]) -> list[Contact]:
    """The new set of linked contacts: a restricted contact already linked stays linked (its
    reader may not even see it), one not linked yet is a Conflict."""
    linked = list(Contact.all_controllers.filter(restricted_q(Contact) or Q(pk__in=[]), complaints=complaint))
    linked_ids = {contact.pk for contact in linked}
    restriction_check_writable(*(contact for contact in contacts if contact.pk not in linked_ids))
    return [*{contact.pk: contact for contact in [*contacts, *linked]}.values()]


EDITABLE_FIELDS = ("kind", "subject", "description", "channel", "resolution", "complainant")


@transaction.atomic
def complaint_update(
    *,
    complaint: Complaint,
    actor: Any,
    contacts: Sequence[Contact] | None = None,
    tasks: Sequence[Task] | None = None,
    **fields: Any,
) -> Complaint:
    """Change a complaint's details (not its status: that is `complaint_transition`). A restricted
    complaint is read-only, and restricted contacts are neither linked nor unlinked (art. 18)."""
    restriction_check_writable(complaint)
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"handler"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if complaint.status in (ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN):
        raise Conflict(_("A closed or withdrawn complaint can no longer be changed."), code="finished")
    if "subject" in fields and not str(fields["subject"]).strip():
        raise ValidationError({"subject": _("Give the complaint a subject.")})
    if fields.get("channel") and fields["channel"] not in ComplaintChannel.values:
        raise ValidationError({"channel": _("Choose how the complaint came in.")})
    _same_controller(complaint.controller, "complainant", [fields.get("complainant")])
    restriction_check_linkable(fields.get("complainant"), linked_id=complaint.complainant_id)
    _same_controller(complaint.controller, "contacts", contacts or ())
    _same_controller(complaint.controller, "tasks", tasks or ())
    if "handler" in fields:
        complaint_assign(complaint=complaint, handler=fields.pop("handler"), actor=actor)
    changed = [name for name, value in fields.items() if getattr(complaint, name) != value]
    for name in changed:
        setattr(complaint, name, fields[name])
    if changed:
        complaint.save(update_fields=changed)
    if contacts is not None:
        complaint.contacts.set(_contacts_keeping_restricted(complaint, contacts))
        changed.append("contacts")
    if tasks is not None:
        complaint.tasks.set(tasks)
        changed.append("tasks")
    if changed:
        audit_log(
            actor=actor,
            action=AuditAction.CHANGE,
            purpose=AuditPurpose.COMPLAINT_HANDLING,
            obj=complaint,
            details={"fields": changed},
        )
    return complaint


@transaction.atomic
def disclosure_record(
    *,
    controller: Controller,
    actor: Any,
    recipient_type: str,
    recipient_name: str,
    legal_basis: str,
    description: str,
    complaint: Complaint | None = None,
    contacts: Sequence[Contact] = (),
    disclosed_at: dt.datetime | None = None,
) -> Disclosure:
    """Log one disclosure of personal data to a recipient (P6); an audit event of its own."""
    errors = {}
    if recipient_type not in RecipientType.values:
        errors["recipient_type"] = _("Choose a recipient type.")
    for name, value in (("recipient_name", recipient_name), ("legal_basis", legal_basis), ("description", description)):
        if not value.strip():
            errors[name] = _("This field is required.")
    if errors:
        raise ValidationError(errors)
    _same_controller(controller, "complaint", [complaint])
    _same_controller(controller, "contacts", contacts)
    if disclosed_at is not None and disclosed_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"disclosed_at": _("A disclosure cannot be in the future.")})
    disclosure = Disclosure.all_controllers.create(
        controller=controller,
        recipient_type=recipient_type,
        recipient_name=recipient_name.strip()[:200],
        legal_basis=legal_basis.strip()[:300],
        description=description.strip(),
        complaint=complaint,
        disclosed_at=disclosed_at or timezone.now(),
        disclosed_by=actor,
    )
    disclosure.contacts.set(contacts)
    audit_log(
        actor=actor,
        action=AuditAction.DISCLOSE,
        purpose=AuditPurpose.LEGAL_CLAIMS,
        obj=disclosure,
        details={
            "recipient_type": recipient_type,
            "complaint": complaint.pk if complaint else None,
            "contacts": [contact.pk for contact in contacts],
        },
    )
    return disclosure


def _normalised(values: Sequence[str], normalise: Any, field: str) -> list[str]:
    result = []
    for value in values:
        try:
            normalised = normalise(value)
        except ValidationError as error:
            raise ValidationError({field: error.messages}) from None
        if normalised and normalised not in result:
            result.append(normalised)
    return result


@transaction.atomic
def legal_hold_place(
    *,
    controller: Controller,
    actor: Any,
    matter: str,
    reason: str,
    scope: str,
    complaint: Complaint | None = None,
    task: Task | None = None,
    contacts: Sequence[Contact] = (),
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
) -> LegalHold:
    """Place a legal hold (DPO only: the views check the role). Everything in scope is kept from
    the purge and from erasure until released (keep reason `legal_hold`, complaints.holds)."""
    errors: dict[str, Any] = {}
    if not matter.strip():
        errors["matter"] = _("Name the matter the hold is for.")
    if not reason.strip():
        errors["reason"] = _("Give the reason for the hold.")
    if scope not in HoldScope.values:
        errors["scope"] = _("Choose what the hold covers.")
    elif scope == HoldScope.COMPLAINT and complaint is None:
        errors["complaint"] = _("Choose the complaint to hold.")
    elif scope == HoldScope.TASK and task is None:
        errors["task"] = _("Choose the task to hold.")
    elif scope == HoldScope.CONTACTS and not contacts:
        errors["contacts"] = _("Choose the contacts to hold.")
    if errors:
        raise ValidationError(errors)
    subject_emails: list[str] = []
    subject_phones: list[str] = []
    if scope == HoldScope.SUBJECT:
        subject_emails = _normalised(emails, normalise_email, "emails")
        subject_phones = _normalised(phones, normalise_phone, "phones")
        if not subject_emails and not subject_phones:
            raise ValidationError({"emails": _("Give the subject's email address or phone number.")})
    # Only the scope object of the chosen kind is kept, so a form sending more cannot widen a hold.
    complaint = complaint if scope == HoldScope.COMPLAINT else None
    task = task if scope == HoldScope.TASK else None
    contacts = list(contacts) if scope == HoldScope.CONTACTS else []
    _same_controller(controller, "complaint", [complaint])
    _same_controller(controller, "task", [task])
    _same_controller(controller, "contacts", contacts)
    hold = LegalHold.all_controllers.create(
        controller=controller,
        matter=matter.strip()[:300],
        reason=reason.strip(),
        scope=scope,
        complaint=complaint,
        task=task,
        subject_emails=subject_emails,
        subject_phones=subject_phones,
        placed_by=actor,
    )
    hold.contacts.set(contacts)
    audit_log(
        actor=actor,
        action=AuditAction.PLACE_HOLD,
        purpose=AuditPurpose.LEGAL_CLAIMS,
        obj=hold,
        details={
            "scope": scope,
            "complaint": complaint.pk if complaint else None,
            "task": task.pk if task else None,
            "contacts": [contact.pk for contact in contacts],
        },
    )
    return hold


@transaction.atomic
def legal_hold_release(*, hold: LegalHold, actor: Any, reason: str) -> LegalHold:
    """Release a hold: its records fall back to their retention rules. Twice is a Conflict."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for releasing the hold.")})
    now = timezone.now()
    released = LegalHold.all_controllers.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=now, released_by=actor, release_reason=reason.strip()
    )
    if not released:
        raise Conflict(_("This legal hold has already been released."), code="already_released")
    hold.released_at, hold.released_by, hold.release_reason = now, actor, reason.strip()
    audit_log(
        actor=actor,
        action=AuditAction.RELEASE_HOLD,
        purpose=AuditPurpose.LEGAL_CLAIMS,
        obj=hold,
        details={"scope": hold.scope},
    )
    return hold
