"""The personal data of the complaints app (P3, P6, P8), declared once (see core.personal_data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from django.db.models import Exists, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.holds import LEGAL_HOLD_CODE, legal_hold_keeps
from complaints.models import FINISHED_STATUSES, Complaint, ComplaintEvent, ComplaintKind, Disclosure, LegalHold
from core.personal_data import (
    KeepReason,
    LegalBasis,
    PersonalDataType,
    Purpose,
    Recipient,
    RecipientCategory,
    Retention,
    registry,
)

COMPLAINT_PURPOSES = (Purpose.HANDLE_COMPLAINT, Purpose.LEGAL_REMEDIES)
COMPLAINT_BASES = (LegalBasis.CONTRACT, LegalBasis.LEGITIMATE_INTEREST)

COMPLAINT_RETENTION = Retention(
    setting="RETENTION_COMPLAINT_DAYS",
    date_field="closed_at",
    description=_("Three years after it was closed: the general limitation period for legal claims."),
)
FEEDBACK_RETENTION = Retention(
    setting="RETENTION_FEEDBACK_DAYS",
    date_field="closed_at",
    description=_("30 days after it was handled and closed."),
)


def _open_complaints() -> Q:
    return ~Q(status__in=FINISHED_STATUSES)


def _open_complaint_keeps(declaration: type[PersonalDataType], now: dt.datetime) -> Q | None:
    """A complaint not yet closed keeps its contacts, tasks and complainant (P7)."""
    key = declaration.key()
    if key == "contacts.contact":
        return Q(Exists(Complaint.all_controllers.filter(_open_complaints(), contacts=OuterRef("pk"))))
    if key == "contacts.task":
        return Q(Exists(Complaint.all_controllers.filter(_open_complaints(), tasks=OuterRef("pk"))))
    if key == "contacts.customer":
        # Any complaint, open or finished, still names its complainant.
        return Q(Exists(Complaint.all_controllers.filter(complainant=OuterRef("pk"))))
    return None


registry.register_keep_reason(
    KeepReason(code="open_complaint", label=_("linked to a complaint not yet closed"), q=_open_complaint_keeps)
)
# Holds and requests scoped to a complaint reach the contacts and tasks linked to it.
registry.add_scope_path("contacts.contact", "complaints.complaint", "complaints")
registry.add_scope_path("contacts.task", "complaints.complaint", "complaints")
# A hold on a complaint reaches its complainant too ("the complaint and everything linked to it").
registry.add_scope_path("contacts.customer", "complaints.complaint", "complaints")

# Legal holds (complaints.holds): the purge, erasure and badges ask only this keep reason.
LEGAL_HOLD = registry.register_keep_reason(
    KeepReason(code=LEGAL_HOLD_CODE, label=_("under an active legal hold"), q=legal_hold_keeps)
)


@registry.register
class ComplaintData(PersonalDataType):
    model = Complaint
    verbose_name = _("Complaints and feedback")
    description = _("The complaint or feedback, its handling notes and resolution.")
    categories = (_("complainant's identity"), _("description of the matter"), _("handling and resolution"))
    purposes = COMPLAINT_PURPOSES
    legal_bases = COMPLAINT_BASES
    retention = COMPLAINT_RETENTION
    email_paths = ("complainant__emails__email",)
    phone_paths = ("complainant__phones__phone",)
    name_paths = ("complainant__name",)
    export_fields = (
        "kind",
        "status",
        "channel",
        "subject",
        "description",
        "resolution",
        "received_at",
        "resolved_at",
        "closed_at",
    )
    # The matter as the complainant described it; its handling and resolution are our staff's.
    portable_fields = ("channel", "description", "received_at")
    staff_fields = {"resolution": Q()}
    scope_paths = {"complaints.complaint": "pk", "contacts.customer": "complainant"}
    restriction_field = "restricted"
    objection_field = "processing_objected"
    erasure_waits_for_retention = True

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q()

    @classmethod
    def due_q(cls, now: dt.datetime) -> Q:
        return (Q(kind=ComplaintKind.COMPLAINT) & COMPLAINT_RETENTION.due_q(now)) | (
            Q(kind=ComplaintKind.FEEDBACK) & FEEDBACK_RETENTION.due_q(now)
        )

    @classmethod
    def retention_rules(cls) -> list[tuple[str | Promise, Retention]]:
        return [(_("Complaints"), COMPLAINT_RETENTION), (_("Feedback"), FEEDBACK_RETENTION)]


@registry.register
class ComplaintEventData(PersonalDataType):
    model = ComplaintEvent
    verbose_name = _("Complaint notes and status changes")
    categories = (_("handling notes"),)
    purposes = COMPLAINT_PURPOSES
    legal_bases = COMPLAINT_BASES
    parent = "complaints.complaint"
    parent_path = "complaint"
    export_fields = ("kind", "from_status", "to_status", "text", "at")


@registry.register
class DisclosureData(PersonalDataType):
    """The disclosure log is kept as long as a complaint could be: it shows who received what."""

    model = Disclosure
    verbose_name = _("Disclosures to third parties")
    categories = (_("recipient and what was disclosed"),)
    purposes = (Purpose.LEGAL_REMEDIES, Purpose.ACCOUNTABILITY)
    legal_bases = (LegalBasis.LEGITIMATE_INTEREST, LegalBasis.LEGAL_OBLIGATION)
    retention = Retention(
        setting="RETENTION_COMPLAINT_DAYS",
        date_field="disclosed_at",
        description=_("Three years after the disclosure."),
    )
    email_paths = ("contacts__email_normalized", "complaint__complainant__emails__email")
    phone_paths = ("contacts__phone_e164", "complaint__complainant__phones__phone")
    export_fields = ("recipient_type", "recipient_name", "legal_basis", "description", "disclosed_at")
    scope_paths = {"complaints.complaint": "complaint", "contacts.contact": "contacts"}


@registry.register
class LegalHoldData(PersonalDataType):
    """A subject hold names the subject's email addresses and phone numbers. A released hold is
    kept for the legal-claims period as evidence of what was kept and why; an active one never
    goes (its `released_at` is empty)."""

    model = LegalHold
    verbose_name = _("Legal holds")
    description = _("Matters for which records are kept for possible legal claims, and their scope.")
    categories = (_("email address"), _("phone number"), _("matter and reason"))
    purposes = (Purpose.LEGAL_REMEDIES, Purpose.ACCOUNTABILITY)
    legal_bases = (LegalBasis.LEGITIMATE_INTEREST, LegalBasis.LEGAL_OBLIGATION)
    source = _("Retta's data protection officer.")
    retention = Retention(
        setting="RETENTION_COMPLAINT_DAYS",
        date_field="released_at",
        description=_("Three years after the hold was released."),
    )
    export_fields = ("matter", "scope", "placed_at", "released_at")


# Who data may be disclosed to (P6), as the disclosure log records them: named in access copies
# and in the record of processing.
for _code, _label in (
    ("group_company", _("Retta group companies, for developing operations and using legal remedies")),
    ("insurer_or_counsel", _("Insurance companies and legal counsel, when legal claims require it")),
    ("authority", _("Authorities, as the law requires")),
):
    registry.register_recipient_category(RecipientCategory(code=_code, label=_label))

# The disclosure log answers who a record was disclosed to (P6): named in access copies and
# notified on rectification, erasure and restriction (art. 19). Paths from a disclosure to the
# records it covers, per declaration key.
DISCLOSED_RECORD_PATHS = {"contacts.contact": "contacts", "complaints.complaint": "complaint"}


@registry.register_recipients_provider
def disclosure_recipients(declaration: type[PersonalDataType], pks: Sequence[int]) -> Iterator[Recipient]:
    """Recipients of the given rows, from the disclosure log, in one query."""
    path = DISCLOSED_RECORD_PATHS.get(declaration.key())
    if path is None:
        return
    rows = (
        Disclosure.all_controllers.filter(**{f"{path}__in": list(pks)})
        .values_list("pk", "recipient_name", "recipient_type", "legal_basis", "disclosed_at", path)
        .order_by("disclosed_at", "pk")
    )
    for disclosure_id, name, recipient_type, legal_basis, disclosed_at, record_id in rows:
        yield Recipient(
            name=name,
            recipient_type=recipient_type,
            record_type=declaration.key(),
            record_id=record_id,
            disclosed_at=disclosed_at,
            legal_basis=legal_basis,
            disclosure_id=disclosure_id,
        )
