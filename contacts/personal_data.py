"""The personal data of the contacts app, declared once (see core.personal_data).

The 180-day rule of the policy (P7) is the `retention` of `ContactData`: the purge, its dry
run, the dashboard, the access letter and the art. 30 record all read it from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.models import (
    CallRecording,
    Channel,
    ChatAuthor,
    ChatMessage,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Direction,
    EmailAttachment,
    EmailMessage,
    Mailbox,
    ResponseTemplate,
    SavedInboxFilter,
    SlaPolicy,
    Task,
    TaskEvent,
    TaskNote,
    TaskStatus,
)
from core.personal_data import (
    KeepReason,
    LegalBasis,
    PersonalDataType,
    Purpose,
    RecipientCategory,
    Retention,
    registry,
)

CUSTOMER_SERVICE_PURPOSES = (
    Purpose.IDENTIFY_CUSTOMER,
    Purpose.HANDLE_SERVICE,
    Purpose.KEEP_IN_TOUCH,
    Purpose.VERIFY_CONTENT,
    Purpose.QUALITY,
    Purpose.DEVELOPMENT,
)
CUSTOMER_SERVICE_BASES = (LegalBasis.CONTRACT, LegalBasis.LEGITIMATE_INTEREST)

# Requests and holds name a subject by email and phone: they are matched in the stored forms.
registry.register_identifier_normalisers(email=normalise_email_or_blank, phone=normalise_phone_or_blank)
# A customer is one person as known to a controller: records of different customers carrying the
# same address or number show that it is shared.
registry.register_person_record("contacts.customer")

# The processors contacts arrive and leave through (P6): named in access copies and in the record
# of processing, from here.
for _code, _label in (
    ("email", _("Email service provider (receiving and sending customer-service email)")),
    ("telephony", _("Telephony service provider (calls and call recordings)")),
    ("chat", _("Web chat service provider (chats started on retta.fi)")),
):
    registry.register_recipient_category(RecipientCategory(code=_code, label=_label, processor=True))

OPEN_TASK = KeepReason(
    code="open_task",
    label=_("linked to an open customer-service task"),
    q=lambda declaration, now: Q(task__status=TaskStatus.OPEN) if declaration.model is Contact else None,
)


@registry.register
class ContactData(PersonalDataType):
    model = Contact
    verbose_name = _("Customer-service contacts (emails, calls, chats)")
    description = _("Date and time of the contact and the customer's name, phone number and email address.")
    categories = (_("name"), _("email address"), _("phone number"), _("time of contact"), _("subject and notes"))
    purposes = CUSTOMER_SERVICE_PURPOSES
    legal_bases = CUSTOMER_SERVICE_BASES
    retention = Retention(
        setting="RETENTION_CONTACT_DAYS",
        date_field="occurred_at",
        description=_("180 days from the contact, longer only while its task or complaint is open."),
    )
    email_paths = ("email_normalized",)
    phone_paths = ("phone_e164",)
    name_paths = ("name",)
    export_fields = (
        "channel",
        "direction",
        "occurred_at",
        "name",
        "email",
        "phone",
        "subject",
        "body",
        "task_id",
        "customer_id",
    )
    # What the customer gave: their contact details, and what they wrote. A call's subject and
    # notes are the agent's; an outbound contact (a reply, a call made) is our staff's.
    portable_fields = ("channel", "occurred_at", "name", "email", "phone", "subject", "body")
    staff_fields = {"subject": Q(channel=Channel.CALL), "body": Q(channel=Channel.CALL)}
    scope_paths = {"contacts.contact": "pk", "contacts.task": "task", "contacts.customer": "customer"}
    restriction_field = "restricted"
    objection_field = "processing_objected"

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q(direction=Direction.INBOUND)

    @classmethod
    def keep_reasons(cls) -> Sequence[KeepReason]:
        return (OPEN_TASK,)


@registry.register
class EmailMessageData(PersonalDataType):
    model = EmailMessage
    verbose_name = _("Email messages")
    description = _("The email as received or sent: the original message, its text and headers.")
    categories = (_("email contents"), _("email headers"))
    purposes = CUSTOMER_SERVICE_PURPOSES
    legal_bases = CUSTOMER_SERVICE_BASES
    parent = "contacts.contact"
    parent_path = "contact"
    file_fields = ("raw",)
    export_fields = (
        "message_id",
        "in_reply_to",
        "from_header",
        "to_header",
        "text_body",
        "html_body",
        "raw",
        "send_status",
        "sent_at",
    )
    portable_fields = ("from_header", "to_header", "text_body", "html_body", "raw")
    summary_fields = ("from_header", "to_header", "text_body", "send_status", "sent_at")

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q(contact__direction=Direction.INBOUND)


@registry.register
class EmailAttachmentData(PersonalDataType):
    model = EmailAttachment
    verbose_name = _("Email attachments")
    categories = (_("email attachments"),)
    purposes = CUSTOMER_SERVICE_PURPOSES
    legal_bases = CUSTOMER_SERVICE_BASES
    parent = "contacts.emailmessage"
    parent_path = "email"
    file_fields = ("file",)
    export_fields = ("filename", "content_type", "size_bytes", "file")
    portable_fields = ("filename", "content_type", "file")

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q(email__contact__direction=Direction.INBOUND)


@registry.register
class CallRecordingData(PersonalDataType):
    model = CallRecording
    verbose_name = _("Call recordings")
    categories = (_("call recordings"),)
    purposes = (Purpose.VERIFY_CONTENT, Purpose.QUALITY, Purpose.HANDLE_SERVICE)
    legal_bases = CUSTOMER_SERVICE_BASES
    parent = "contacts.contact"
    parent_path = "contact"
    file_fields = ("file",)
    export_fields = ("content_type", "size_bytes", "duration_seconds", "file")
    # A recording of the call with the customer, who is its source; not portable, since it holds
    # the agent's voice and words as much as the customer's.

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q()


@registry.register
class ChatMessageData(PersonalDataType):
    model = ChatMessage
    verbose_name = _("Chat messages")
    categories = (_("chat messages"),)
    purposes = CUSTOMER_SERVICE_PURPOSES
    legal_bases = CUSTOMER_SERVICE_BASES
    parent = "contacts.contact"
    parent_path = "contact"
    export_fields = ("position", "at", "author", "text")
    portable_fields = ("at", "text")

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q(author=ChatAuthor.VISITOR)


@registry.register
class TaskData(PersonalDataType):
    """A task's title may name the customer; a closed task goes once its contacts are gone."""

    model = Task
    verbose_name = _("Customer-service tasks")
    categories = (_("task title"),)
    purposes = (Purpose.HANDLE_SERVICE,)
    legal_bases = (LegalBasis.CONTRACT,)
    retention = Retention(
        setting="RETENTION_CONTACT_DAYS",
        date_field="closed_at",
        description=_("Deleted with the last of its contacts once it is closed."),
    )
    email_paths = ("customer__emails__email",)
    phone_paths = ("customer__phones__phone",)
    export_fields = ("title", "state", "priority", "channel", "status", "created_at", "closed_at")
    scope_paths = {"contacts.task": "pk", "contacts.customer": "customer"}

    @classmethod
    def due_q(cls, now: dt.datetime) -> Q:
        has_contacts = Exists(Contact.all_controllers.filter(task=OuterRef("pk")))
        return Q(status=TaskStatus.CLOSED) & ~Q(has_contacts)


@registry.register
class TaskNoteData(PersonalDataType):
    """Internal notes may say anything about the customer; they live and die with their ticket."""

    model = TaskNote
    verbose_name = _("Internal notes on tasks")
    categories = (_("internal notes"),)
    purposes = (Purpose.HANDLE_SERVICE,)
    legal_bases = (LegalBasis.CONTRACT,)
    parent = "contacts.task"
    parent_path = "task"
    export_fields = ("body", "created_at")


@registry.register
class TaskEventData(PersonalDataType):
    """The timeline of a ticket (state, assignee, priority, merges): codes only, kept with it."""

    model = TaskEvent
    verbose_name = _("Task timeline")
    categories = (_("task history"),)
    purposes = (Purpose.HANDLE_SERVICE,)
    legal_bases = (LegalBasis.CONTRACT,)
    parent = "contacts.task"
    parent_path = "task"
    export_fields = ("kind", "at", "from_value", "to_value")


@registry.register
class CustomerData(PersonalDataType):
    """A customer with no contacts, tasks or complaints left is deleted (retention table)."""

    model = Customer
    verbose_name = _("Customers")
    categories = (_("name"), _("email addresses"), _("phone numbers"))
    purposes = (Purpose.IDENTIFY_CUSTOMER, Purpose.KEEP_IN_TOUCH)
    legal_bases = CUSTOMER_SERVICE_BASES
    retention = Retention(
        setting="RETENTION_CONTACT_DAYS",
        date_field="created_at",
        description=_("Deleted when no contacts, tasks, complaints or holds refer to the customer."),
    )
    email_paths = ("emails__email",)
    phone_paths = ("phones__phone",)
    name_paths = ("name",)
    export_fields = ("name", "created_at", "processing_objected", "processing_objected_at")
    portable_fields = ("name",)
    restriction_field = "restricted"
    objection_field = "processing_objected"
    objection_at_field = "processing_objected_at"
    objection_by_field = "processing_objected_by"

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q()

    scope_paths = {"contacts.customer": "pk"}

    @classmethod
    def due_q(cls, now: dt.datetime) -> Q:
        # Other apps' references (complaints) are keep reasons registered by those apps.
        return ~Q(Exists(Contact.all_controllers.filter(customer=OuterRef("pk")))) & ~Q(
            Exists(Task.all_controllers.filter(customer=OuterRef("pk")))
        )


@registry.register
class CustomerEmailData(PersonalDataType):
    model = CustomerEmail
    verbose_name = _("Customer email addresses")
    categories = (_("email address"),)
    purposes = (Purpose.IDENTIFY_CUSTOMER, Purpose.KEEP_IN_TOUCH)
    legal_bases = CUSTOMER_SERVICE_BASES
    parent = "contacts.customer"
    parent_path = "customer"
    email_paths = ("email",)
    export_fields = ("email",)
    portable_fields = ("email",)

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q()


@registry.register
class CustomerPhoneData(PersonalDataType):
    model = CustomerPhone
    verbose_name = _("Customer phone numbers")
    categories = (_("phone number"),)
    purposes = (Purpose.IDENTIFY_CUSTOMER, Purpose.KEEP_IN_TOUCH)
    legal_bases = CUSTOMER_SERVICE_BASES
    parent = "contacts.customer"
    parent_path = "customer"
    phone_paths = ("phone",)
    export_fields = ("phone",)
    portable_fields = ("phone",)

    @classmethod
    def provided_by_subject_q(cls) -> Q:
        return Q()


# A mailbox is configuration: an address of the controller's own customer service and its IMAP
# settings, no data of any customer.
registry.exempt(Mailbox, "customer-service mailbox configuration; holds no customer data")
registry.exempt(ResponseTemplate, "prepared answers with placeholders; holds no customer data")
registry.exempt(SlaPolicy, "service levels per controller and channel; configuration, no customer data")
registry.exempt(SavedInboxFilter, "an agent's saved inbox filter; no customer data")
