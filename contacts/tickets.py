"""Tickets: the writes of a customer-service task's life, and its rules, in one place.

- The state (new, open, waiting for customer, solved) decides the status the retention rule
  reads (P7): solved is `closed`, every other state `open` (STATE_STATUS).
- Due times come from the administrators' service levels (SlaPolicy) per controller and channel,
  counted from the moment the ticket is opened.
- A contact from the customer joining a ticket that waits for them, or is solved, opens it again;
  our first outbound contact is the first response.
- Every change of state, assignee or priority and every merge leaves a TaskEvent for the timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.models import (
    Channel,
    Contact,
    Customer,
    Direction,
    SlaPolicy,
    Task,
    TaskEvent,
    TaskEventKind,
    TaskNote,
    TaskPriority,
    TaskState,
    TaskStatus,
)
from core.errors import Conflict
from core.models import Controller
from core.restriction import restriction_check_linkable, restriction_check_unreferenced, restriction_check_writable

STATE_STATUS = {
    TaskState.NEW: TaskStatus.OPEN,
    TaskState.OPEN: TaskStatus.OPEN,
    TaskState.WAITING: TaskStatus.OPEN,
    TaskState.SOLVED: TaskStatus.CLOSED,
}

# States a contact from the customer takes a ticket out of: it needs our attention again.
REOPENED_BY_CUSTOMER = (TaskState.WAITING, TaskState.SOLVED)

NOTE_MAX_LENGTH = 20_000


def task_due_times(
    *, controller_id: int, channel: str, opened_at: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """First response and resolution due for a ticket of this channel opened now; none without
    a service level for the controller and channel."""
    if not channel:
        return None, None
    policy = SlaPolicy.objects.filter(controller_id=controller_id, channel=channel).first()
    if policy is None:
        return None, None
    return (
        opened_at + dt.timedelta(minutes=policy.first_response_minutes),
        opened_at + dt.timedelta(minutes=policy.resolution_minutes),
    )


def _event(task: Task, kind: str, *, actor: Any = None, from_value: Any = "", to_value: Any = "") -> TaskEvent:
    return TaskEvent.all_controllers.create(
        controller_id=task.controller_id,
        task=task,
        kind=kind,
        actor=actor,
        from_value="" if from_value is None else str(from_value),
        to_value="" if to_value is None else str(to_value),
    )


def _locked(task: Task) -> Task:
    # Claim the row, so that two agents changing one ticket at once see each other's change.
    return Task.all_controllers.select_for_update().get(pk=task.pk)


def _same_controller(task_controller_id: int, *related: Any) -> None:
    for row in related:
        if row is not None and getattr(row, "controller_id", task_controller_id) != task_controller_id:
            raise ValueError("A ticket and its customer belong to the same controller.")


@transaction.atomic
def task_create(
    *,
    controller: Controller,
    title: str,
    customer: Customer | None = None,
    assignee: Any = None,
    channel: Channel | str = "",
    priority: int = TaskPriority.NORMAL,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> Task:
    """A new ticket, due by the service level of its channel."""
    _same_controller(controller.pk, customer)
    now = now or timezone.now()
    first_response_due, resolution_due = task_due_times(controller_id=controller.pk, channel=channel, opened_at=now)
    task = Task.all_controllers.create(
        controller=controller,
        title=title.strip()[:300],
        customer=customer,
        assignee=assignee,
        channel=channel,
        priority=priority,
        created_at=now,
        first_response_due=first_response_due,
        resolution_due=resolution_due,
    )
    _event(task, TaskEventKind.CREATED, actor=actor, to_value=task.state)
    return task


@transaction.atomic
def task_create_from_contact(*, contact: Contact, actor: Any, title: str = "") -> Task:
    """A ticket for a contact that has none: its customer, its channel, the contact joins it."""
    contact_locked = Contact.all_controllers.select_for_update().get(pk=contact.pk)
    if contact_locked.task_id is not None:
        raise Conflict(_("The contact already belongs to a ticket."), code="contact_has_task")
    restriction_check_writable(contact_locked)
    task = task_create(
        controller=contact.controller,
        title=title or contact.subject or str(_("(no subject)")),
        customer=contact.customer,
        channel=contact.channel,
        actor=actor,
        now=contact.occurred_at if contact.occurred_at < timezone.now() else None,
    )
    Contact.all_controllers.filter(pk=contact.pk).update(task=task)
    contact.task = task
    task_contact_linked(task=task, contact=contact)
    return task


@transaction.atomic
def task_update(*, task: Task, changes: dict[str, Any], actor: Any = None) -> Task:
    """Title, customer, assignee and priority; the state changes through `task_state_set`."""
    task = _locked(task)
    _same_controller(task.controller_id, changes.get("customer"))
    restriction_check_linkable(changes.get("customer"), linked_id=task.customer_id)
    if "assignee" in changes and changes["assignee"] != task.assignee:
        _event(
            task,
            TaskEventKind.ASSIGNED,
            actor=actor,
            from_value=task.assignee_id,
            to_value=getattr(changes["assignee"], "pk", None),
        )
    if "priority" in changes and changes["priority"] != task.priority:
        _event(task, TaskEventKind.PRIORITY, actor=actor, from_value=task.priority, to_value=changes["priority"])
    for field_name in ("title", "customer", "assignee", "priority"):
        if field_name in changes:
            setattr(task, field_name, changes[field_name])
    task.save(update_fields=["title", "customer", "assignee", "priority"])
    return task


def task_assign(*, task: Task, assignee: Any, actor: Any = None) -> Task:
    return task_update(task=task, changes={"assignee": assignee}, actor=actor)


def _state_apply(task: Task, state: str, *, actor: Any, now: dt.datetime | None = None) -> Task:
    # On a locked row, inside a transaction.
    previous = task.state
    task.state = state
    task.status = STATE_STATUS[TaskState(state)]
    if task.status == TaskStatus.CLOSED:
        task.closed_at = task.closed_at or now or timezone.now()
    else:
        task.closed_at = None
    task.save(update_fields=["state", "status", "closed_at"])
    _event(task, TaskEventKind.STATE, actor=actor, from_value=previous, to_value=state)
    return task


@transaction.atomic
def task_state_set(*, task: Task, state: TaskState | str, actor: Any = None, now: dt.datetime | None = None) -> Task:
    """Move a ticket to a state; the same state again changes nothing. A merged ticket stays solved."""
    task = _locked(task)
    if task.merged_into_id is not None:
        raise Conflict(_("The ticket was merged into another one."), code="task_merged")
    if task.state == state:
        return task
    return _state_apply(task, state, actor=actor, now=now)


@transaction.atomic
def task_close(*, task: Task, actor: Any = None, now: dt.datetime | None = None) -> Task:
    """Solve an open ticket; its contacts then age out under the 180-day rule (P7)."""
    task = _locked(task)
    if task.status != TaskStatus.OPEN:
        raise Conflict(_("The task is already closed."), code="task_closed")
    return _state_apply(task, TaskState.SOLVED, actor=actor, now=now)


@transaction.atomic
def task_reopen(*, task: Task, actor: Any = None) -> Task:
    task = _locked(task)
    if task.status != TaskStatus.CLOSED:
        raise Conflict(_("The task is already open."), code="task_open")
    if task.merged_into_id is not None:
        raise Conflict(_("The ticket was merged into another one."), code="task_merged")
    return _state_apply(task, TaskState.OPEN, actor=actor)


def task_contact_linked(*, task: Task, contact: Contact) -> None:
    """What a contact joining a ticket changes: the customer writing or calling again opens a
    waiting or solved ticket; our first outbound contact is the first response.

    Called where a contact gets its task (contacts.services.contact_record and contact_update),
    so every channel's ingestion goes through it.
    """
    with transaction.atomic():
        locked = _locked(task)  # the state as it is now, not as the caller last read it
        if contact.direction == Direction.INBOUND:
            if locked.state in REOPENED_BY_CUSTOMER and locked.merged_into_id is None:
                _state_apply(locked, TaskState.OPEN, actor=None)
        else:
            if locked.first_responded_at is None:
                locked.first_responded_at = contact.occurred_at
                locked.save(update_fields=["first_responded_at"])
            if locked.state == TaskState.NEW:
                _state_apply(locked, TaskState.OPEN, actor=contact.agent)
    task.state, task.status, task.closed_at = locked.state, locked.status, locked.closed_at
    task.first_responded_at = locked.first_responded_at


@transaction.atomic
def task_note_add(*, task: Task, author: Any, body: str) -> TaskNote:
    """An internal note: staff only, never sent to the customer."""
    body = body.strip()
    if not body:
        raise ValueError("A note needs a text.")
    return TaskNote.all_controllers.create(
        controller_id=task.controller_id, task=task, author=author, body=body[:NOTE_MAX_LENGTH]
    )


@transaction.atomic
def task_merge(*, source: Task, target: Task, actor: Any = None, now: dt.datetime | None = None) -> Task:
    """Fold `source` into `target` (same controller): its contacts, notes and timeline move to the
    target, and the source is solved, pointing at the target. The target must be open, so the
    contacts moved keep the protection of an open task (P7)."""
    if source.pk == target.pk:
        raise Conflict(_("A ticket cannot be merged with itself."), code="same_task")
    if source.controller_id != target.controller_id:
        raise ValueError("Only tickets of the same controller can be merged.")
    first, second = sorted([source.pk, target.pk])
    locked = {row.pk: row for row in Task.all_controllers.select_for_update().filter(pk__in=[first, second])}
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise Conflict(_("The ticket was merged into another one."), code="task_merged")
    if target.status != TaskStatus.OPEN:
        raise Conflict(_("Reopen the ticket to merge into it first."), code="task_closed")
    # Moving a restricted contact to another ticket is a change to it (art. 18).
    restriction_check_unreferenced(Contact, task=source)
    Contact.all_controllers.filter(task=source).update(task=target)
    TaskNote.all_controllers.filter(task=source).update(task=target)
    TaskEvent.all_controllers.filter(task=source).update(task=target)
    if target.customer_id is None and source.customer_id is not None:
        target.customer_id = source.customer_id
    target.priority = max(target.priority, source.priority)
    target.save(update_fields=["customer", "priority"])
    _event(target, TaskEventKind.MERGED, actor=actor, from_value=source.pk, to_value=target.pk)
    if source.status == TaskStatus.OPEN:
        _state_apply(source, TaskState.SOLVED, actor=actor, now=now)
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    _event(source, TaskEventKind.MERGED, actor=actor, from_value=source.pk, to_value=target.pk)
    return target
