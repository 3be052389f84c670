"""Reads of the complaints app, all through the controller-scoped managers (P1) and the
restriction rule (core.restriction, art. 18): a restricted complaint or contact is there only for
those who may see it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, Disclosure, LegalHold
from complaints.services import ComplainantDetails
from contacts.models import Contact
from contacts.selectors import customer_match
from core.access import Action, Area
from core.objection import for_legitimate_interest
from core.scoping import get_scoped_or_404
from core.selectors import staff_with_access


def complaint_queue(*, user: Any) -> QuerySet[Complaint]:
    """The handlers' queue: every complaint of the active controllers `user` may see, oldest first."""
    return (
        Complaint.objects.visible_to(user)
        .select_related("controller", "handler", "complainant", "created_by")
        .order_by("received_at", "id")
    )


def complaint_queue_filtered(
    *,
    user: Any,
    status: list[str] | None = None,
    kind: str = "",
    controller: Any = None,
    handler: Any = None,
    unassigned: bool = False,
    older_than_days: int | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Complaint]:
    """The queue with the handlers' filters; age counts from when the complaint was received."""
    queryset = complaint_queue(user=user)
    if status:
        queryset = queryset.filter(status__in=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    if controller is not None:
        queryset = queryset.filter(controller=controller)
    if unassigned:
        queryset = queryset.filter(handler__isnull=True)
    elif handler is not None:
        queryset = queryset.filter(handler=handler)
    if older_than_days is not None:
        queryset = queryset.filter(received_at__lte=(now or timezone.now()) - dt.timedelta(days=older_than_days))
    return queryset


def complaint_detail(pk: Any, *, user: Any) -> Complaint:
    """One complaint `user` may see, with the linked contacts they may see (the timeline)."""
    return get_scoped_or_404(
        Complaint.objects.visible_to(user)
        .select_related("controller", "handler", "complainant", "created_by")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.visible_to(user).select_related("email_message").order_by("occurred_at", "id"),
            ),
            "tasks",
        ),
        pk=pk,
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # "contact", "event", "disclosure", "hold_placed", "hold_released"
    item: Any


def complaint_timeline(complaint: Complaint) -> list[TimelineEntry]:
    """Everything that happened to a complaint, in time order: its contacts, notes, status
    changes and assignments, disclosures, and holds placed and released."""
    entries = [TimelineEntry(contact.occurred_at, "contact", contact) for contact in complaint.contacts.all()]
    events = ComplaintEvent.objects.filter(complaint=complaint).select_related("author")
    entries += [TimelineEntry(event.at, "event", event) for event in events]
    disclosures = Disclosure.objects.filter(complaint=complaint).select_related("disclosed_by")
    entries += [TimelineEntry(d.disclosed_at, "disclosure", d) for d in disclosures]
    for hold in LegalHold.objects.filter(complaint=complaint).select_related("placed_by", "released_by"):
        entries.append(TimelineEntry(hold.placed_at, "hold_placed", hold))
        if hold.released_at:
            entries.append(TimelineEntry(hold.released_at, "hold_released", hold))
    return sorted(entries, key=lambda entry: entry.at)


def disclosure_log() -> QuerySet[Disclosure]:
    """The disclosure log. Its rows name contacts and complaints: the serializer and the page
    leave out those the reader may not see (core.restriction)."""
    return Disclosure.objects.select_related("controller", "disclosed_by", "complaint").prefetch_related("contacts")


def legal_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.select_related(
        "controller", "complaint", "task", "placed_by", "released_by"
    ).prefetch_related("contacts")


def complaint_handlers(controller_ids: list[int]) -> QuerySet:
    """Users who may handle complaints of these controllers (for the handler filter)."""
    return staff_with_access(Area.COMPLAINTS, Action.CHANGE, controller_ids=controller_ids)


@dataclass(frozen=True)
class ComplainantPreview:
    """What recording a complaint will do with the complainant's details, shown before saving."""

    given: bool
    customer: Any = None  # the customer they match; None: a new customer is made
    controller: Any = None
    errors: bool = False  # the details or the controller are not valid yet
    identifiers: bool = False  # False for a name alone, which matches nobody


def complainant_preview(*, controller: Any, details: ComplainantDetails) -> ComplainantPreview:
    """The customer of the controller the details match, by the rule recording uses
    (complaints.services.complainant_match_or_create)."""
    return ComplainantPreview(
        given=details.given,
        customer=customer_match(controller=controller, email=details.email, phone=details.phone),
        controller=controller,
        identifiers=bool(details.email.strip() or details.phone.strip()),
    )


def complaint_statistics(*, since: dt.datetime, controller: Any = None) -> list[dict[str, Any]]:
    """Complaints and feedback received since `since`, counted by month (in TIME_ZONE, Helsinki) and kind,
    for reports and the development of the service (legitimate interest, P3): a subject who
    objected is not counted (core.objection), nor a restricted complaint (kept, not used).
    Rows: {"month": date, "kind": str, "count": int}, oldest month first."""
    complaints = Complaint.objects.filter(received_at__gte=since, restricted=False)
    complaints = for_legitimate_interest(complaints, subject_path="complainant")
    if controller is not None:
        complaints = complaints.filter(controller=controller)
    return list(
        complaints.annotate(month=TruncMonth("received_at"))
        .values("month", "kind")
        .annotate(count=Count("id"))
        .order_by("month", "kind")
    )
