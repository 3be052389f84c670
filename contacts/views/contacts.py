"""Contact pages: the list and search, a contact with its email or recording, attachments,
relinking a contact to its customer, and logging a call."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts import selectors, services
from contacts.email_html import email_render
from contacts.forms import CallForm, ContactFilterForm, RelinkForm
from contacts.models import Channel, Contact, EmailAttachment
from contacts.views.base import PURPOSE, audit_shown, can_write, list_page
from contacts.views.replies import reply_retry_url
from core.access import Action, Area, access_required
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction
from core.scoping import get_scoped_or_404


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    form = ContactFilterForm(request.GET or None, user=request.user)
    contacts = selectors.contacts_visible(user=request.user).select_related("controller")
    if form.is_bound:
        contacts = form.filter(contacts) if form.is_valid() else contacts.none()
    page = list_page(request, contacts)
    audit_shown(request, page.rows, action=AuditAction.SEARCH if form.searched else AuditAction.VIEW)
    return render(
        request,
        "contacts/contact_list.html",
        {
            "form": form,
            "page": page,
            "held": selectors.held_ids("contacts.contact", [row.pk for row in page.rows]),
        },
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_detail(pk=pk, user=request.user)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=PURPOSE, obj=contact)
    email = getattr(contact, "email_message", None) if contact.channel == Channel.EMAIL else None
    rendered = email_render(html_body=email.html_body, text_body=email.text_body) if email else None
    return render(
        request,
        "contacts/contact_detail.html",
        {
            "contact": contact,
            "email": email,
            "rendered": rendered,
            "held": selectors.held_ids("contacts.contact", [contact.pk]),
            "relink_form": RelinkForm(user=request.user),
            "retry_url": reply_retry_url(request.user, contact) if email and email.send_status else "",
            "can_write": can_write(request),
        },
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_scoped_or_404(EmailAttachment.objects.visible_to(request.user), pk=pk)
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
    contact = get_scoped_or_404(Contact.objects.visible_to(request.user), pk=pk)
    form = RelinkForm(request.POST, user=request.user)
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
        if request.POST.get("return_to") == "inbox":
            return redirect("contacts:inbox")
        if contact.customer_id:
            return redirect("contacts:customer_detail", pk=contact.customer_id)
        return redirect("contacts:contact_detail", pk=contact.pk)
    return_to = "inbox" if request.POST.get("return_to") == "inbox" else ""
    return render(
        request,
        "contacts/call_form.html",
        {"form": form, "return_to": return_to},
        status=400 if form.is_bound else 200,
    )


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: the customers with the phone number being typed, as the agent types it."""
    customers = selectors.customer_lookup(
        user=request.user, phone=request.GET.get("phone", ""), email=request.GET.get("email", "")
    )
    audit_shown(request, customers, action=AuditAction.SEARCH)
    return render(request, "contacts/partials/customer_match.html", {"customers": customers})
