"""Customer pages: the list and its search, a customer with their timeline, editing a customer,
and merging a duplicate found by search into them (after a confirmation page)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from contacts import selectors, services
from contacts.forms import CustomerForm, CustomerSearchForm, MergeForm
from contacts.views.base import PURPOSE, audit_shown, can_write, list_page
from core import subject_history
from core.access import Action, Area, access_required, can, sees_restricted_content
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction
from core.scoping import get_scoped_or_404

MERGE_RESULTS = 10


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    """Every customer of the user's controllers, newest first, or those a search finds."""
    form = CustomerSearchForm(request.GET or None)
    term = form.term
    page = list_page(request, selectors.customer_search(user=request.user, term=term))
    audit_shown(request, page.rows, action=AuditAction.SEARCH if term else AuditAction.VIEW)
    template = "contacts/partials/customer_rows.html" if request.headers.get("HX-Request") else None
    return render(
        request,
        template or "contacts/customer_list.html",
        {"form": form, "page": page, "searched": bool(term)},
        status=400 if form.errors else 200,
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(selectors.customers_visible(user=request.user), pk=pk)
    timeline = selectors.customer_timeline(customer=customer, user=request.user)
    # Records other apps keep about the person (privacy requests, for the DPO only).
    history = subject_history.entries_for(
        user=request.user,
        controller_id=customer.controller_id,
        emails=[row.email for row in customer.emails.all()],
        phones=[row.phone for row in customer.phones.all()],
    )
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=customer)
    audit_shown(request, timeline["contacts"])
    audit_shown(request, [entry.obj for entry in history])
    return render(
        request,
        "contacts/customer_detail.html",
        {
            "customer": customer,
            **timeline,
            "history": history,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in timeline["contacts"]]),
            "sees_restricted": sees_restricted_content(request.user),
            "can_see_complaints": can(request.user, Area.COMPLAINTS, Action.READ),
            "can_write": can_write(request),
        },
    )


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(selectors.customers_visible(user=request.user), pk=pk)
    initial = {
        "name": customer.name,
        "emails": "\n".join(row.email for row in customer.emails.all()),
        "phones": "\n".join(row.phone for row in customer.phones.all()),
    }
    form = CustomerForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.customer_update(
                customer=customer, name=data["name"], emails=data["emails"], phones=data["phones"]
            )
        except Conflict as conflict:
            form.add_error(None, conflict.message)
        else:
            if changed:
                audit_log(
                    actor=request.user,
                    action=AuditAction.CHANGE,
                    purpose=PURPOSE,
                    obj=customer,
                    details={"fields": sorted(changed)},
                )
            messages.success(request, _("The customer is saved."))
            return redirect("contacts:customer_detail", pk=customer.pk)
    if request.method == "GET":
        audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=customer)
    return render(
        request, "contacts/customer_form.html", {"customer": customer, "form": form}, status=400 if form.errors else 200
    )


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_GET
def customer_merge_search(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx, from the customer page: the other customers of the same controller a search finds,
    each with a link to the merge confirmation."""
    target = get_scoped_or_404(selectors.customers_visible(user=request.user), pk=pk)
    form = CustomerSearchForm(request.GET or None)
    found = []
    if form.term:
        found = list(selectors.customer_search(user=request.user, term=form.term, exclude=target)[:MERGE_RESULTS])
    audit_shown(request, found, action=AuditAction.SEARCH)
    return render(
        request,
        "contacts/partials/merge_candidates.html",
        {"target": target, "found": found, "searched": bool(form.term), "form": form},
    )


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def customer_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET ?duplicate=: a page naming both customers and what moves; POST with the confirmation
    merges. A duplicate of another controller, or the customer itself, is refused."""
    target = get_scoped_or_404(selectors.customers_visible(user=request.user), pk=pk)
    form = MergeForm(request.POST if request.method == "POST" else None, user=request.user)
    duplicate = None
    if request.method == "POST":
        form.is_valid()
        duplicate = form.cleaned_data.get("duplicate")
    else:
        probe = MergeForm({"duplicate": request.GET.get("duplicate", ""), "confirm": "on"}, user=request.user)
        if probe.is_valid():
            duplicate = probe.cleaned_data["duplicate"]
            form = MergeForm(initial={"duplicate": duplicate.pk}, user=request.user)
    if duplicate is None or duplicate.controller_id != target.controller_id or duplicate.pk == target.pk:
        messages.error(request, _("Choose another customer of the same controller."))
        return redirect("contacts:customer_detail", pk=target.pk)
    if request.method == "POST" and form.is_valid():
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
    duplicate = get_scoped_or_404(selectors.customers_visible(user=request.user), pk=duplicate.pk)
    moving = selectors.customer_timeline(customer=duplicate, user=request.user)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=duplicate, details={"page": "merge"})
    return render(
        request,
        "contacts/customer_merge.html",
        {"target": target, "duplicate": duplicate, "moving": moving, "form": form},
        status=400 if form.errors else 200,
    )
