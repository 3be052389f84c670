"""Customer pages: a customer with their timeline, and merging a duplicate into them."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contacts import selectors, services
from contacts.forms import MergeForm
from contacts.views.base import PURPOSE, audit_shown, can_write
from core.access import Action, Area, access_required
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction
from core.scoping import get_scoped_or_404


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_scoped_or_404(selectors.customers_visible(), pk=pk)
    timeline = selectors.customer_timeline(customer=customer, user=request.user)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=customer)
    audit_shown(request, timeline["contacts"])
    return render(
        request,
        "contacts/customer_detail.html",
        {
            "customer": customer,
            **timeline,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in timeline["contacts"]]),
            "merge_form": MergeForm(),
            "can_write": can_write(request),
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
