"""Reads of the contacts app: every list and page the API and the agent UI show.

All reads go through the scoped managers (policy P1): another controller's rows are simply not
there. Reads of contacts (and of what hangs off them) also go through the restriction rule
(core.restriction, art. 18): a restricted contact is there only for those who may see it.
Lists fetch a page in a fixed number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.models import (
    CallRecording,
    Channel,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    SavedInboxFilter,
    Task,
    TaskEvent,
    TaskNote,
    TaskState,
    TaskStatus,
)
from core.objection import for_legitimate_interest
from core.personal_data import registry
from core.scoping import get_scoped_or_404

# Name, email and subject search needs this many characters: shorter terms match half the table
# and no trigram index helps them.
SEARCH_MIN_LENGTH = 3

# A search term with fewer digits is not tried as a phone number (a house number, a year).
PHONE_MIN_DIGITS = 6

# A condition no row meets (Django sends no query at all for it).
MATCHES_NOTHING = Q(pk__in=[])


def contacts_visible(*, user: Any) -> QuerySet[Contact]:
    """Contacts of the active scope that `user` may read, with `has_recording`, newest first.
    Pages showing the controller's name select it; the API shows its slug from the user's own
    controller list."""
    return (
        Contact.objects.visible_to(user)
        .annotate(has_recording=Exists(CallRecording.all_controllers.filter(contact=OuterRef("pk"))))
        .order_by("-occurred_at", "-id")
    )


def contact_search_q(term: str) -> Q:
    """Contacts matching a search term on name, email, phone or subject.

    Name, email and subject use `icontains`, which PostgreSQL runs as `UPPER(col::text) LIKE
    UPPER(%s)`: migration 0002 builds trigram indexes on exactly `UPPER(col)`. A term that is a
    phone number matches the stored E.164 column exactly (B-tree index).
    """
    term = term.strip()
    condition = Q(name__icontains=term) | Q(subject__icontains=term) | Q(email_normalized__icontains=term)
    looks_like_phone = sum(ch.isdigit() for ch in term) >= PHONE_MIN_DIGITS
    phone = normalise_phone_or_blank(term) if looks_like_phone else ""
    if phone:
        condition |= Q(phone_e164=phone)
    return condition


def contact_email_q(raw: str) -> Q:
    """Exact match on the stored normalised email; a malformed value matches nothing."""
    email = normalise_email_or_blank(raw)
    return Q(email_normalized=email) if email else MATCHES_NOTHING


def contact_phone_q(raw: str) -> Q:
    """Exact match on the stored E.164 phone; a malformed value matches nothing."""
    phone = normalise_phone_or_blank(raw)
    return Q(phone_e164=phone) if phone else MATCHES_NOTHING


def contact_detail(*, pk: int, user: Any) -> Contact:
    """One contact with its email, attachments, recording and chat, for the contact page."""
    queryset = (
        contacts_visible(user=user)
        .select_related("controller", "customer", "task", "task__assignee", "agent", "email_message")
        .prefetch_related("email_message__attachments", "chat_messages")
    )
    return get_scoped_or_404(queryset, pk=pk)


def held_ids(model_key: str, ids: Iterable[int], *, now: dt.datetime | None = None) -> set[int]:
    """Of these rows, the ones under a legal hold: one query, or none while no app registers
    the `legal_hold` keep reason."""
    ids = list(ids)
    if not ids:
        return set()
    declaration = registry.get(model_key)
    condition = registry.keep_reason_q(declaration, "legal_hold", now or timezone.now())
    if condition is None:
        return set()
    return set(declaration.model._base_manager.filter(condition, pk__in=ids).values_list("pk", flat=True))


def customers_visible(*, user: Any) -> QuerySet[Customer]:
    """The customers `user` may read: their controllers' (the scope), a restricted one only for
    those who see restricted records (core.restriction)."""
    return (
        Customer.objects.visible_to(user)
        .select_related("controller")
        .prefetch_related(
            Prefetch("emails", queryset=CustomerEmail.all_controllers.order_by("email")),
            Prefetch("phones", queryset=CustomerPhone.all_controllers.order_by("phone")),
        )
        .order_by("-id")
    )


def customer_search_q(term: str) -> Q:
    """Customers matching a search term: a name containing it (trigram index on UPPER(name)), an
    email address equal to its normalised form, a phone number equal to its E.164 form (the
    unique indexes of the identifiers). Identifiers match exactly: a part of an address or a
    number matches half the table and no index helps it."""
    term = term.strip()
    condition = Q(name__icontains=term)
    email = normalise_email_or_blank(term) if "@" in term else ""
    if email:
        condition |= Q(Exists(CustomerEmail.all_controllers.filter(customer=OuterRef("pk"), email=email)))
    phone = normalise_phone_or_blank(term) if sum(ch.isdigit() for ch in term) >= PHONE_MIN_DIGITS else ""
    if phone:
        condition |= Q(Exists(CustomerPhone.all_controllers.filter(customer=OuterRef("pk"), phone=phone)))
    return condition


def customer_search(*, user: Any, term: str = "", exclude: Customer | None = None) -> QuerySet[Customer]:
    """The customer list: every visible customer newest first, or those matching `term`;
    `exclude` leaves one out (the customer a duplicate is being merged into)."""
    customers = customers_visible(user=user)
    if term.strip():
        customers = customers.filter(customer_search_q(term))
    if exclude is not None:
        customers = customers.filter(controller_id=exclude.controller_id).exclude(pk=exclude.pk)
    return customers


def customer_lookup(*, user: Any, phone: str = "", email: str = "") -> list[Customer]:
    """Customers with this phone or email (normalised, exact), for the call form's look-up."""
    condition = Q()
    phone = normalise_phone_or_blank(phone)
    email = normalise_email_or_blank(email)
    if phone:
        condition |= Q(Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), phone=phone)))
    if email:
        condition |= Q(Exists(CustomerEmail.objects.filter(customer=OuterRef("pk"), email=email)))
    if not condition:
        return []
    return list(customers_visible(user=user).filter(condition)[:5])


def customer_match(*, controller: Any, email: str = "", phone: str = "") -> Customer | None:
    """The customer of this controller that these identifiers belong to: by normalised email
    first, then by phone (the matching rule of P2). None when neither is known or given.

    Reads the given controller's rows explicitly, so services may ask inside any scope.
    """
    email = normalise_email_or_blank(email)
    phone = normalise_phone_or_blank(phone)
    if email:
        found = CustomerEmail.all_controllers.filter(controller=controller, email=email).select_related("customer")
        customer = next((row.customer for row in found[:1]), None)
        if customer is not None:
            return customer
    if phone:
        found = CustomerPhone.all_controllers.filter(controller=controller, phone=phone).select_related("customer")
        return next((row.customer for row in found[:1]), None)
    return None


def customer_timeline(*, customer: Customer, user: Any, limit: int = 200) -> dict[str, Any]:
    """What the customer page shows: contacts, tasks and complaints, each in one query.

    Complaints are reached through the reverse relation of Complaint.complainant, so this app
    needs no import of the complaints app.
    """
    contacts = list(contacts_visible(user=user).filter(customer=customer).select_related("task")[:limit])
    tasks = list(Task.objects.filter(customer=customer).select_related("assignee").order_by("-created_at")[:limit])
    complaints: list[Any] = []
    manager = getattr(customer, "complaints", None)
    if manager is not None:
        complaints = list(manager.visible_to(user).order_by("-received_at")[:limit])
    return {"contacts": contacts, "tasks": tasks, "complaints": complaints}


def tasks_visible() -> QuerySet[Task]:
    return Task.objects.select_related("controller", "customer", "assignee").order_by("-created_at", "-id")


def tasks_open(*, assignee: Any = None) -> QuerySet[Task]:
    tasks = tasks_visible().filter(status=TaskStatus.OPEN)
    return tasks.filter(assignee=assignee) if assignee is not None else tasks


def quality_sample(*, now: dt.datetime, days: int, size: int, controller: Any = None) -> list[Contact]:
    """A random sample of the contacts of the last `days` whose task is closed, for quality review
    (a legitimate-interest use, P3): never a contact of a subject who objected (core.objection),
    nor a restricted one (kept, not used). The date bound keeps the random ordering to one
    recent slice of contacts_contact_recent_idx."""
    contacts = Contact.objects.filter(
        occurred_at__gte=now - dt.timedelta(days=days), task__status=TaskStatus.CLOSED, restricted=False
    )
    contacts = for_legitimate_interest(contacts, subject_path="customer")
    if controller is not None:
        contacts = contacts.filter(controller=controller)
    return list(contacts.select_related("controller", "task", "customer", "agent").order_by("?")[:size])


# -- tickets: the timeline of one, and the inbox ------------------------------------------------
@dataclass(frozen=True)
class TimelineEntry:
    """One line of a ticket's timeline: a contact, an internal note or an event."""

    at: dt.datetime
    kind: str  # "contact", "note", or a TaskEventKind
    row: Any


def task_timeline(*, task: Task, user: Any, limit: int = 500) -> list[TimelineEntry]:
    """Everything that happened in a ticket, oldest first: its contacts, notes and events, each
    in one query."""
    contacts = contacts_visible(user=user).filter(task=task).select_related("agent", "email_message")[:limit]
    notes = TaskNote.objects.filter(task=task).select_related("author").order_by("created_at")[:limit]
    events = TaskEvent.objects.filter(task=task).select_related("actor").order_by("at", "pk")[:limit]
    entries = [TimelineEntry(at=row.occurred_at, kind="contact", row=row) for row in contacts]
    entries += [TimelineEntry(at=row.created_at, kind="note", row=row) for row in notes]
    entries += [TimelineEntry(at=row.at, kind=row.kind, row=row) for row in events]
    return sorted(entries, key=lambda entry: entry.at)


class InboxShow:
    """Whose tickets the inbox lists."""

    QUEUE = "queue"  # unassigned and mine: the agent's default
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"
    CHOICES = (QUEUE, MINE, UNASSIGNED, ALL)


# The inbox counts in the navigation stop here ("99+"): a count never scans the whole queue.
INBOX_COUNT_CAP = 99


def inbox_tasks(
    *,
    user: Any,
    show: str = InboxShow.QUEUE,
    state: str = "",
    channel: str = "",
    priority: int | None = None,
    controller_id: int | None = None,
) -> QuerySet[Task]:
    """Open tickets in inbox order: new email and chat first, then other new tickets, open ones,
    those waiting for the customer; within each the most urgent, then the earliest due.

    The order is the index contacts_task_inbox_idx, so a page is read by walking it.
    """
    tasks = Task.objects.filter(status=TaskStatus.OPEN)
    if show == InboxShow.QUEUE:
        tasks = tasks.filter(Q(assignee__isnull=True) | Q(assignee=user))
    elif show == InboxShow.MINE:
        tasks = tasks.filter(assignee=user)
    elif show == InboxShow.UNASSIGNED:
        tasks = tasks.filter(assignee__isnull=True)
    if state:
        tasks = tasks.filter(state=state)
    if channel:
        tasks = tasks.filter(channel=channel)
    if priority:
        tasks = tasks.filter(priority=priority)
    if controller_id:
        tasks = tasks.filter(controller_id=controller_id)
    return tasks.select_related("controller", "customer", "assignee").order_by(
        "inbox_rank", "-priority", "due_at", "id"
    )


def inbox_counts(*, user: Any) -> dict[str, int]:
    """Open tickets that are the user's and that nobody has yet, each counted up to
    INBOX_COUNT_CAP + 1 (shown as "99+")."""
    open_tasks = Task.objects.filter(status=TaskStatus.OPEN)

    def capped(queryset: QuerySet[Task]) -> int:
        return len(queryset.values_list("pk", flat=True)[: INBOX_COUNT_CAP + 1])

    return {
        "mine": capped(open_tasks.filter(assignee=user)),
        "unassigned": capped(open_tasks.filter(assignee__isnull=True)),
    }


def saved_inbox_filters(*, user: Any) -> list[SavedInboxFilter]:
    return list(SavedInboxFilter.objects.filter(user=user).order_by("label"))


INBOX_CHANNELS = (Channel.EMAIL, Channel.CHAT, Channel.CALL)
INBOX_STATES = (TaskState.NEW, TaskState.OPEN, TaskState.WAITING)
