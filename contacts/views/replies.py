"""Answering by email: the reply page of an email contact (a response template may fill the
answer, files may be attached), and the delivery state of a reply, polled until it is sent or
has failed, with a retry. Saved at once, sent by a Celery task (contacts.replies)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contacts.forms import ReplyForm
from contacts.macros import macro_values, macros_for
from contacts.models import Channel, Contact, Direction, EmailMessage
from contacts.replies import reply_create, reply_retry
from contacts.views.base import can_write
from core.access import Action, Area, access_required, can
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.scoping import get_scoped_or_404

# The reply's page of the other apps allowed to resend it (a complaint's reply: complaints),
# by URL name with the reply's contact id; registered by those apps' url modules.
RETRY_ROUTES: list[tuple[Area, str, str]] = []


def reply_retry_url(user: Any, reply: Contact) -> str:
    """Where this user may ask a failed reply to be sent again: the agents' retry, or the one of
    another app the reply belongs to (a complaint). '' when they may not."""
    if can(user, Area.CUSTOMER_SERVICE, Action.CHANGE):
        return reverse("contacts:reply_retry", args=[reply.pk])
    for area, relation, url_name in RETRY_ROUTES:
        if can(user, area, Action.CHANGE) and getattr(reply, relation).exists():
            return reverse(url_name, args=[reply.pk])
    return ""


def reply_form_context(
    *, form: ReplyForm, controller: Any, customer_name: str, agent: Any, ticket_id: Any, subject: str
) -> dict[str, Any]:
    """What a reply form shows besides its fields: the templates, filled in for this answer."""
    values = macro_values(
        customer_name=customer_name, agent=agent, ticket_id=ticket_id, subject=subject, controller=controller
    )
    return {"form": form, "macros": macros_for(controller_id=controller.pk, values=values, language=get_language())}


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def contact_reply(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_scoped_or_404(
        Contact.objects.visible_to(request.user).select_related("email_message", "task", "controller"), pk=pk
    )
    form = ReplyForm(request.POST if request.method == "POST" else None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply = reply_create(
                contact=contact,
                agent=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            form.add_error("body", error.message_dict.get("body", error.messages))
        except Conflict as conflict:
            form.add_error("body", conflict.message)
        else:
            messages.success(request, _("The answer was saved and is being sent."))
            # Back to the ticket, where the answer shows how its sending goes.
            if reply.task_id:
                return redirect("contacts:task_detail", pk=reply.task_id)
            return redirect("contacts:contact_detail", pk=reply.pk)
    replies = (
        EmailMessage.objects.filter(contact__task_id=contact.task_id, contact__direction=Direction.OUTBOUND)
        .select_related("contact")
        .order_by("-contact__occurred_at")
        if contact.task_id
        else EmailMessage.objects.none()
    )
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        purpose=AuditPurpose.CUSTOMER_SERVICE,
        obj=contact,
        details={"page": "reply"},
    )
    context = reply_form_context(
        form=form,
        controller=contact.controller,
        customer_name=contact.name,
        agent=request.user,
        ticket_id=contact.task_id,
        subject=contact.subject,
    )
    return render(
        request,
        "contacts/contact_reply.html",
        {**context, "contact": contact, "replies": replies, "retry_allowed": can_write(request)},
        status=400 if form.errors else 200,
    )


def _outbound_reply(pk: int) -> Contact:
    return get_scoped_or_404(
        Contact.objects.select_related("email_message").filter(channel=Channel.EMAIL, direction=Direction.OUTBOUND),
        pk=pk,
        email_message__isnull=False,
    )


def reply_status_response(request: HttpRequest, reply: Contact) -> HttpResponse:
    return render(
        request,
        "contacts/partials/reply_status.html",
        {"message": reply.email_message, "retry_url": reply_retry_url(request.user, reply)},
    )


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def reply_status(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the delivery state of one reply (queued, sent, failed), polled while queued."""
    return reply_status_response(request, _outbound_reply(pk))


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_POST
def reply_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    reply = _outbound_reply(pk)
    try:
        reply_retry(reply=reply, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    reply.email_message.refresh_from_db()
    if request.headers.get("HX-Request"):
        return reply_status_response(request, reply)
    if reply.task_id:
        return redirect("contacts:task_detail", pk=reply.task_id)
    return redirect("contacts:contact_detail", pk=reply.pk)
