"""Task pages: the task lists, a task with its contacts, assigning, closing and reopening."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contacts import selectors, tickets
from contacts.forms import TaskAssignForm
from contacts.models import Task, TaskStatus
from contacts.views.base import PURPOSE, audit_shown, can_write, list_page
from core.access import Action, Area, access_required, sees_restricted_content
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


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_scoped_or_404(selectors.tasks_visible(), pk=pk)
    contacts = list(selectors.contacts_visible().filter(task=task)[:200])
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=task)
    audit_shown(request, contacts)
    return render(
        request,
        "contacts/task_detail.html",
        {
            "task": task,
            "contacts": contacts,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in contacts]),
            "task_held": bool(selectors.held_ids("contacts.task", [task.pk])),
            "sees_restricted": sees_restricted_content(request.user),
            "assign_form": TaskAssignForm(task=task, initial={"assignee": task.assignee_id}),
            "can_write": can_write(request),
        },
    )


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
