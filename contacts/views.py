"""The agent UI: short function views that read through selectors, validate a form, call a
service and redirect or render. Every page showing personal data writes audit events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts import selectors, services
from contacts.email_html import email_render
from contacts.forms import CallForm, ContactFilterForm, MergeForm, RelinkForm, TaskAssignForm
from contacts.models import Channel, Contact, EmailAttachment, Task, TaskStatus
from core.access import Action, Area, access_required, can, sees_restricted_content
from core.audit import audit_log, audit_log_page
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.scoping import get_scoped_or_404

PAGE_SIZE = 50
PURPOSE = AuditPurpose.CUSTOMER_SERVICE


@dataclass
class ListPage:
    """One page of a big list, without counting the table: a next page exists if one more row does."""

    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _list_page(request: HttpRequest, queryset: QuerySet, size: int = PAGE_SIZE) -> ListPage:
    try:
        number = max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        number = 1
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return ListPage(rows=rows[:size], number=number, has_next=len(rows) > size)


def _can_write(request: HttpRequest) -> bool:
    return can(request.user, Area.CUSTOMER_SERVICE, Action.CHANGE)


def _audit_shown(request: HttpRequest, rows: list[Any], *, action: str = AuditAction.VIEW) -> None:
    if rows:
        audit_log_page(actor=request.user, action=action, purpose=PURPOSE, objects=rows)


# -- contacts --------------------------------------------------------------------------------------
@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET or None, user=request.user)
    contacts = selectors.contacts_visible().select_related("controller")
    if form.is_bound:
        contacts = form.filter(contacts) if form.is_valid() else contacts.none()
    page = _list_page(request, contacts)
    _audit_shown(request, page.rows, action=AuditAction.SEARCH if form.searched else AuditAction.VIEW)
    return render(
        request,
        "contacts/contact_list.html",
        {
            "form": form,
            "page": page,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in page.rows]),
            "sees_restricted": sees_restricted_content(request.user),
        },
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_detail(pk=pk)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=contact)
    hidden = contact.restricted and not sees_restricted_content(request.user)
    email = getattr(contact, "email_message", None) if contact.channel == Channel.EMAIL else None
    rendered = email_render(html_body=email.html_body, text_body=email.text_body) if email and not hidden else None
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": contact,
            "hidden": hidden,
            "email": email,
            "rendered": rendered,
            "held": selectors.held_ids("contacts.contact", [contact.pk]),
            "relink_form": RelinkForm(),
            "can_write": _can_write(request),
        },
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_scoped_or_404(EmailAttachment.objects.select_related("email__contact"), pk=pk)
    if attachment.email.contact.restricted and not sees_restricted_content(request.user):
        raise PermissionDenied
    audit_log(actor=request.user, action=AuditAction.DOWNLOAD, purpose=PURPOSE, obj=attachment)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename or f"attachment-{attachment.pk}",
        content_type="application/octet-stream",
    )


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def contact_relink(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_scoped_or_404(Contact, pk=pk)
    form = RelinkForm(request.POST)
    if not form.is_valid() or form.cleaned_data["customer"].controller_id != contact.controller_id:
        messages.error(request, _("Choose a customer of the same controller."))
        return redirect("contacts:contact_detail", pk=contact.pk)
    customer = form.cleaned_data["customer"]
    try:
        services.contact_relink(contact=contact, customer=customer)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("contacts:contact_detail", pk=contact.pk)
    audit_log(
        actor=request.user,
        action=AuditAction.CHANGE,
        purpose=PURPOSE,
        obj=contact,
        details={"fields": ["customer"], "customer": customer.pk},
    )
    messages.success(request, _("The contact now belongs to this customer."))
    return redirect("contacts:customer_detail", pk=customer.pk)


# -- logging a call --------------------------------------------------------------------------------
@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def call_new(request: HttpRequest) -> HttpResponse:
    form = CallForm(request.POST or None, user=request.user, initial={"task": request.GET.get("task")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = services.contact_record(
            controller=data["controller"],
            channel=Channel.CALL,
            occurred_at=timezone.now(),
            direction=data["direction"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            subject=data["subject"],
            body=data["body"],
            agent=request.user,
            task=data["task"],
        )
        audit_log(actor=request.user, action=AuditAction.CREATE, purpose=PURPOSE, obj=contact)
        messages.success(request, _("The call is saved."))
        if contact.customer_id:
            return redirect("contacts:customer_detail", pk=contact.customer_id)
        return redirect("contacts:contact_detail", pk=contact.pk)
    return render(request, "contacts/call_form.html", {"form": form}, status=400 if form.is_bound else 200)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: the customers with the phone number being typed, as the agent types it."""
    customers = selectors.customer_lookup(phone=request.GET.get("phone", ""), email=request.GET.get("email", ""))
    _audit_shown(request, customers, action=AuditAction.SEARCH)
    return render(request, "contacts/partials/customer_match.html", {"customers": customers})


# -- customers -------------------------------------------------------------------------------------
@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(selectors.customers_visible(), pk=pk)
    timeline = selectors.customer_timeline(customer=customer)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=customer)
    _audit_shown(request, timeline["contacts"])
    return render(
        request,
        "contacts/customer_detail.html",
        {
            "customer": customer,
            **timeline,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in timeline["contacts"]]),
            "sees_restricted": sees_restricted_content(request.user),
            "merge_form": MergeForm(),
            "can_write": _can_write(request),
        },
    )


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_scoped_or_404(selectors.customers_visible(), pk=pk)
    form = MergeForm(request.POST)
    if not form.is_valid() or form.cleaned_data["duplicate"].controller_id != target.controller_id:
        messages.error(request, _("Choose another customer of the same controller."))
        return redirect("contacts:customer_detail", pk=target.pk)
    duplicate = form.cleaned_data["duplicate"]
    duplicate_id = duplicate.pk
    try:
        services.customer_merge(target=target, duplicate=duplicate)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("contacts:customer_detail", pk=target.pk)
    audit_log(
        actor=request.user, action=AuditAction.MERGE, purpose=PURPOSE, obj=target, details={"merged": duplicate_id}
    )
    messages.success(request, _("The customers are merged."))
    return redirect("contacts:customer_detail", pk=target.pk)


# -- tasks -----------------------------------------------------------------------------------------
TASK_VIEWS = {"mine", "open", "closed"}


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "mine" if _can_write(request) else "open")
    if show not in TASK_VIEWS:
        show = "open"
    if show == "mine":
        tasks = selectors.tasks_open(assignee=request.user)
    elif show == "open":
        tasks = selectors.tasks_open()
    else:
        tasks = selectors.tasks_visible().filter(status=TaskStatus.CLOSED)
    page = _list_page(request, tasks)
    _audit_shown(request, page.rows)
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
    _audit_shown(request, contacts)
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
            "can_write": _can_write(request),
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
    task = services.task_assign(task=task, assignee=form.cleaned_data["assignee"])
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
        task = service(task=task)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("contacts:task_detail", pk=task.pk)
    audit_log(actor=request.user, action=AuditAction.TRANSITION, purpose=PURPOSE, obj=task, details={"to": to})
    messages.success(request, done)
    return redirect("contacts:task_detail", pk=task.pk)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_transition(request, pk, services.task_close, TaskStatus.CLOSED, _("The task is closed."))


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_transition(request, pk, services.task_reopen, TaskStatus.OPEN, _("The task is open again."))
