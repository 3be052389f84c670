"""Ticket pages: the task lists, a new ticket (from scratch or from a contact), a ticket with its
timeline, internal notes, state and priority, assigning, merging, closing and reopening."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts import selectors, tickets
from contacts.forms import TaskAssignForm, TaskCreateForm, TaskMergeForm, TaskNoteForm, TaskTriageForm
from contacts.models import Contact, Task, TaskStatus
from contacts.views.base import PURPOSE, audit_shown, can_write, list_page
from core.access import Action, Area, access_required
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction
from core.scoping import get_scoped_or_404

TASK_VIEWS = {"mine", "open", "closed"}


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "mine" if can_write(request) else "open")
    if show not in TASK_VIEWS:
        show = "open"
    if show == "mine":
        tasks = selectors.tasks_open(assignee=request.user)
    elif show == "open":
        tasks = selectors.tasks_open()
    else:
        tasks = selectors.tasks_visible().filter(status=TaskStatus.CLOSED)
    page = list_page(request, tasks)
    audit_shown(request, page.rows)
    return render(
        request,
        "contacts/task_list.html",
        {"page": page, "show": show, "held": selectors.held_ids("contacts.task", [row.pk for row in page.rows])},
    )


def _task_page(request: HttpRequest, task: Task, *, status: int = 200, **forms: Any) -> HttpResponse:
    timeline = selectors.task_timeline(task=task, user=request.user)
    contacts = [entry.row for entry in timeline if entry.kind == "contact"]
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=task)
    audit_shown(request, contacts)
    email_contact = next(
        (row for row in reversed(contacts) if row.channel == "email" and row.direction == "inbound"), None
    )
    return render(
        request,
        "contacts/task_detail.html",
        {
            "task": task,
            "timeline": timeline,
            "contacts": contacts,
            "reply_contact": email_contact,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in contacts]),
            "task_held": bool(selectors.held_ids("contacts.task", [task.pk])),
            "assign_form": TaskAssignForm(task=task, initial={"assignee": task.assignee_id}),
            "note_form": forms.get("note_form") or TaskNoteForm(),
            "triage_form": forms.get("triage_form")
            or TaskTriageForm(initial={"state": task.state, "priority": task.priority}),
            "merge_form": forms.get("merge_form") or TaskMergeForm(user=request.user),
            "can_write": can_write(request),
        },
        status=status,
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, get_scoped_or_404(selectors.tasks_visible(), pk=pk))


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest) -> HttpResponse:
    form = TaskCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        task = tickets.task_create(
            controller=data["controller"],
            title=data["title"],
            customer=data["customer"],
            channel=data["channel"],
            priority=data["priority"],
            assignee=request.user,
            actor=request.user,
        )
        audit_log(actor=request.user, action=AuditAction.CREATE, purpose=PURPOSE, obj=task)
        messages.success(request, _("The ticket is created."))
        return redirect("contacts:task_detail", pk=task.pk)
    return render(request, "contacts/task_new.html", {"form": form}, status=400 if form.is_bound else 200)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_from_contact(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_scoped_or_404(Contact, pk=pk)
    try:
        task = tickets.task_create_from_contact(contact=contact, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("contacts:contact_detail", pk=contact.pk)
    audit_log(actor=request.user, action=AuditAction.CREATE, purpose=PURPOSE, obj=task, details={"contact": contact.pk})
    messages.success(request, _("The ticket is created."))
    return redirect("contacts:task_detail", pk=task.pk)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_note(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_scoped_or_404(selectors.tasks_visible(), pk=pk)
    form = TaskNoteForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, status=400, note_form=form)
    note = tickets.task_note_add(task=task, author=request.user, body=form.cleaned_data["body"])
    audit_log(actor=request.user, action=AuditAction.CREATE, purpose=PURPOSE, obj=note, details={"task": task.pk})
    messages.success(request, _("The note is saved."))
    return redirect("contacts:task_detail", pk=task.pk)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_triage(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_scoped_or_404(selectors.tasks_visible(), pk=pk)
    form = TaskTriageForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, status=400, triage_form=form)
    try:
        with transaction.atomic():
            task = tickets.task_update(
                task=task, changes={"priority": form.cleaned_data["priority"]}, actor=request.user
            )
            task = tickets.task_state_set(task=task, state=form.cleaned_data["state"], actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("contacts:task_detail", pk=task.pk)
    audit_log(
        actor=request.user,
        action=AuditAction.CHANGE,
        purpose=PURPOSE,
        obj=task,
        details={"fields": ["priority", "state"], "state": task.state, "priority": task.priority},
    )
    messages.success(request, _("The ticket is updated."))
    return redirect("contacts:task_detail", pk=task.pk)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_merge(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_scoped_or_404(selectors.tasks_visible(), pk=pk)
    form = TaskMergeForm(request.POST, user=request.user)
    if form.is_valid() and form.cleaned_data["target"].controller_id != source.controller_id:
        form.add_error("target", _("Choose a ticket of the same controller."))
    if not form.is_valid():
        return _task_page(request, source, status=400, merge_form=form)
    try:
        target = tickets.task_merge(source=source, target=form.cleaned_data["target"], actor=request.user)
    except Conflict as conflict:
        form.add_error("target", conflict.message)
        return _task_page(request, source, status=409, merge_form=form)
    audit_log(actor=request.user, action=AuditAction.MERGE, purpose=PURPOSE, obj=target, details={"merged": source.pk})
    messages.success(request, _("The tickets are merged."))
    return redirect("contacts:task_detail", pk=target.pk)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_scoped_or_404(Task, pk=pk)
    form = TaskAssignForm(request.POST, task=task)
    if not form.is_valid():
        messages.error(request, _("Choose an agent of the task's controller."))
        return redirect("contacts:task_detail", pk=task.pk)
    task = tickets.task_assign(task=task, assignee=form.cleaned_data["assignee"], actor=request.user)
    audit_log(
        actor=request.user,
        action=AuditAction.CHANGE,
        purpose=PURPOSE,
        obj=task,
        details={"fields": ["assignee"], "assignee": task.assignee_id},
    )
    messages.success(request, _("The task is assigned."))
    return redirect("contacts:task_detail", pk=task.pk)


def _task_transition(request: HttpRequest, pk: int, service: Any, to: str, done: str) -> HttpResponse:
    task = get_scoped_or_404(Task, pk=pk)
    try:
        task = service(task=task, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("contacts:task_detail", pk=task.pk)
    audit_log(actor=request.user, action=AuditAction.TRANSITION, purpose=PURPOSE, obj=task, details={"to": to})
    messages.success(request, done)
    return redirect("contacts:task_detail", pk=task.pk)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_transition(request, pk, tickets.task_close, TaskStatus.CLOSED, _("The task is closed."))


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_transition(request, pk, tickets.task_reopen, TaskStatus.OPEN, _("The task is open again."))
