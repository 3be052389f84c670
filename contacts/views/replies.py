"""The reply page: an agent answers an email contact (P2). Saved at once, sent by a Celery task;
the page shows the sending state of every reply in the task."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from contacts.models import Contact, Direction, EmailMessage
from contacts.replies import reply_create
from core.access import Action, Area, access_required
from core.audit import audit_log
from core.errors import Conflict
from core.forms import RefusesPersonalIdentityCodes
from core.models import AuditAction, AuditPurpose
from core.scoping import get_scoped_or_404


class ReplyForm(RefusesPersonalIdentityCodes, forms.Form):
    body = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 12}), max_length=50000)


@access_required(Area.CUSTOMER_SERVICE, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def contact_reply(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_scoped_or_404(Contact.objects.visible_to(request.user).select_related("email_message", "task"), pk=pk)
    form = ReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reply_create(contact=contact, agent=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error("body", error.message_dict.get("body", error.messages))
        except Conflict as conflict:
            form.add_error("body", conflict.message)
        else:
            messages.success(request, _("The answer was saved and is being sent."))
            return redirect("contacts:contact_reply", pk=contact.pk)
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
    return render(request, "contacts/contact_reply.html", {"contact": contact, "form": form, "replies": replies})
