"""A complaint handler answers the complainant by email from the complaint page.

The answer goes out through the contacts app's one outbound path (saved as an outbound email
contact, sent after commit by the Celery task, at most once, failures kept and retried) and is
linked to the complaint, so it is on the complaint's timeline and kept as long as the complaint
keeps its contacts (P7, P8).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from complaints.models import FINISHED_STATUSES, Complaint
from contacts.models import Contact, CustomerEmail
from contacts.replies import OutgoingAttachment, outbound_email_create, reply_subject
from core.models import AuditPurpose
from core.restriction import is_restricted


def complainant_email(complaint: Complaint) -> str:
    """The address the answer goes to: the complainant's first known address, '' without one."""
    if complaint.complainant_id is None:
        return ""
    row = CustomerEmail.all_controllers.filter(customer_id=complaint.complainant_id).order_by("pk").first()
    return row.email if row else ""


def complaint_reply_create(
    *, complaint: Complaint, actor: Any, body: str, attachments: Sequence[OutgoingAttachment] = ()
) -> Contact:
    """Save the handler's answer to the complainant and queue it. ValidationError when there is
    no one to send it to, the complaint or its complainant is restricted, the complaint is
    finished, or the answer is empty."""
    if is_restricted(complaint.complainant):
        # Art. 18: the person's address is kept, not used.
        raise ValidationError(
            {"body": [_("Processing of the complainant's data is restricted: they cannot be answered.")]}
        )
    to = complainant_email(complaint)
    if not to:
        raise ValidationError({"body": [_("The complainant has no email address: add one on the customer page.")]})
    if complaint.status in FINISHED_STATUSES:
        raise ValidationError({"body": [_("This complaint is finished; it can no longer be answered here.")]})
    if complaint.restricted:
        # Art. 18: restricted data is only kept, not used.
        raise ValidationError({"body": [_("Processing of this complaint is restricted: it cannot be answered.")]})
    if not body.strip():
        raise ValidationError({"body": [_("Write the answer.")]})
    with transaction.atomic():
        reply = outbound_email_create(
            controller=complaint.controller,
            to=to,
            name=complaint.complainant.name if complaint.complainant else "",
            subject=reply_subject(complaint.subject),
            body=body,
            agent=actor,
            customer=complaint.complainant,
            attachments=attachments,
            audit_details={"complaint": complaint.pk},
            purpose=AuditPurpose.COMPLAINT_HANDLING,
        )
        complaint.contacts.add(reply)
    return reply
