"""The privacy app's own records, declared once (see core.personal_data).

A privacy request holds the subject's identifiers; it is kept three years after completion to
show what was done (accountability, art. 5(2)), and it is never matched as the subject's data
by another request (`subject_discovery = False`). Generated exports are deleted after 7 days.

The keep reason `open_privacy_request` keeps the records matched by an open access,
portability, restriction or objection request from the purge until the request completes.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import subject_history
from core.access import Area
from core.personal_data import KeepReason, LegalBasis, PersonalDataType, Purpose, Retention, registry
from core.subject_history import HistoryEntry
from privacy.models import (
    KINDS_KEEPING_MATCHES,
    OPEN_STATUSES,
    Letter,
    LetterDelivery,
    PrivacyRequest,
    RecipientNotification,
    Redaction,
    RequestExport,
    RequestIdentifier,
    RequestMatch,
)

REQUEST_PURPOSES = (Purpose.ACCOUNTABILITY,)
REQUEST_BASES = (LegalBasis.LEGAL_OBLIGATION,)


@registry.register
class PrivacyRequestData(PersonalDataType):
    model = PrivacyRequest
    verbose_name = _("Data-subject requests")
    description = _("Requests under the data-protection rights, how they were checked, answered and executed.")
    categories = (_("name"), _("email address"), _("phone number"), _("identity check"), _("answer"))
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    retention = Retention(
        setting="RETENTION_PRIVACY_REQUEST_DAYS",
        date_field="completed_at",
        description=_("Three years after the request was completed, to show how it was answered."),
    )
    export_fields = ("kind", "status", "received_at", "due_at", "completed_at")
    subject_discovery = False


@registry.register
class RequestIdentifierData(PersonalDataType):
    model = RequestIdentifier
    verbose_name = _("Email addresses and phone numbers of data-subject requests")
    categories = (_("email address"), _("phone number"), _("identity check"))
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    parent = "privacy.privacyrequest"
    parent_path = "request"
    subject_discovery = False


@registry.register
class RequestExportData(PersonalDataType):
    model = RequestExport
    verbose_name = _("Generated copies for data-subject requests")
    categories = (_("copy of the subject's data"),)
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    retention = Retention(
        setting="RETENTION_EXPORT_DAYS",
        date_field="created_at",
        description=_("Seven days after the copy was made."),
    )
    file_fields = ("file",)
    subject_discovery = False


@registry.register
class LetterData(PersonalDataType):
    model = Letter
    verbose_name = _("Letters answering data-subject requests")
    categories = (_("name"), _("answer"))
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    parent = "privacy.privacyrequest"
    parent_path = "request"
    subject_discovery = False


@registry.register
class LetterDeliveryData(PersonalDataType):
    model = LetterDelivery
    verbose_name = _("Letters sent by email")
    categories = (_("email address"),)
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    parent = "privacy.letter"
    parent_path = "letter"
    subject_discovery = False


@registry.register
class RedactionData(PersonalDataType):
    model = Redaction
    verbose_name = _("Redactions of access copies")
    categories = (_("reason for withholding"),)
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    parent = "privacy.privacyrequest"
    parent_path = "request"
    subject_discovery = False


@registry.register
class RecipientNotificationData(PersonalDataType):
    model = RecipientNotification
    verbose_name = _("Notifications to recipients (art. 19)")
    categories = (_("recipient"),)
    purposes = REQUEST_PURPOSES
    legal_bases = REQUEST_BASES
    parent = "privacy.privacyrequest"
    parent_path = "request"
    subject_discovery = False


registry.exempt(RequestMatch, "record types and ids only; deleted with its request")


def _matched_by_open_request(declaration: type[PersonalDataType], now: dt.datetime) -> Q | None:
    """Rows matched (and not excluded) by an open access, portability, restriction or objection
    request: the purge keeps them until the request completes."""
    if not declaration.subject_discovery:
        return None
    matched = RequestMatch.objects.filter(
        record_type=declaration.key(),
        included=True,
        request__status__in=OPEN_STATUSES,
        request__kind__in=KINDS_KEEPING_MATCHES,
    ).values("record_id")
    return Q(pk__in=matched)


OPEN_PRIVACY_REQUEST = registry.register_keep_reason(
    KeepReason(
        code="open_privacy_request",
        label=_("matched by an open data-subject request"),
        q=_matched_by_open_request,
    )
)


def _requests_of_subject(*, controller_id: int, emails: list[str], phones: list[str]) -> list[HistoryEntry]:
    """The customer page's privacy requests (for the DPO): those naming one of the person's
    addresses or numbers at the controller, by the identifiers stored normalised."""
    requests = (
        PrivacyRequest.objects.filter(controller_id=controller_id, identifiers__value__in=[*emails, *phones])
        .distinct()
        .order_by("-received_at")[:100]
    )
    return [
        HistoryEntry(
            at=request.received_at,
            label=request.get_kind_display(),
            status=request.get_status_display(),
            url=reverse("privacy:request_detail", args=[request.pk]),
            obj=request,
        )
        for request in requests
    ]


subject_history.register(_requests_of_subject, area=Area.DATA_PROTECTION)
