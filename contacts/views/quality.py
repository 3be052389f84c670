"""The quality sample: contacts picked at random for a quality review of customer service.

A legitimate-interest use (P3, P4): subjects who objected are left out (core.objection). Who
reviews: the roles that may read customer-service records (core.access, Area.CUSTOMER_SERVICE:
agents, complaint handlers, the DPO); the sample shows nothing they could not open already.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from contacts import selectors
from contacts.forms import QualitySampleForm
from core.access import Area, access_required
from core.audit import audit_log_page
from core.models import AuditAction, AuditPurpose


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def quality_sample(request: HttpRequest) -> HttpResponse:
    form = QualitySampleForm(request.GET)
    if not form.is_valid():
        return render(request, "contacts/quality_sample.html", {"form": form, "contacts": []}, status=400)
    controller = form.cleaned_data["controller"]
    if controller is not None and controller.pk not in request.user.controller_ids():
        raise Http404
    contacts = selectors.quality_sample(
        now=timezone.now(),
        days=form.cleaned_data["days"] or form.fields["days"].initial,
        size=form.cleaned_data["size"] or form.fields["size"].initial,
        controller=controller,
    )
    if contacts:
        audit_log_page(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.QUALITY, objects=contacts)
    return render(request, "contacts/quality_sample.html", {"form": form, "contacts": contacts})
