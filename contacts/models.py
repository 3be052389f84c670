"""Customers, contacts (email, call, chat) and customer-service tasks (policy P2).

Every row carries its controller (P1) and is read through the scoped manager of
core.scoping. Lookups use stored normalised columns (lower-cased email, E.164 phone) with
B-tree indexes and exact equality.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contacts.macros import placeholders_check
from core.scoping import ControllerScopedModel


class Customer(ControllerScopedModel):
    """A person as known to one controller. Matched by normalised email or phone."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    # Set by the privacy machinery through the declaration (art. 18): the person's record, with
    # their addresses and numbers, is kept but neither shown to staff other than the DPO nor changed.
    restricted = models.BooleanField(_("processing restricted"), default=False)
    # The person objected to legitimate-interest uses (art. 21, core.objection): who recorded it
    # and when. Their records carry the flag too, and new ones are born with it.
    processing_objected = models.BooleanField(_("objected to legitimate-interest uses"), default=False)
    processing_objected_at = models.DateTimeField(_("objection recorded at"), null=True, blank=True)
    processing_objected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("objection recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["controller", "name"], name="contacts_customer_name_idx")]

    def __str__(self) -> str:
        return self.name or _("Customer %(id)s") % {"id": self.pk}


class CustomerEmail(ControllerScopedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails", verbose_name=_("customer"))
    email = models.CharField(_("email address (normalised)"), max_length=254)

    class Meta:
        verbose_name = _("customer email address")
        verbose_name_plural = _("customer email addresses")
        constraints = [
            # Matching: one customer per address at a controller.
            models.UniqueConstraint(fields=["controller", "email"], name="contacts_customeremail_unique_email"),
        ]

    def __str__(self) -> str:
        return self.email


class CustomerPhone(ControllerScopedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones", verbose_name=_("customer"))
    phone = models.CharField(_("phone number (E.164)"), max_length=20)

    class Meta:
        verbose_name = _("customer phone number")
        verbose_name_plural = _("customer phone numbers")
        constraints = [
            models.UniqueConstraint(fields=["controller", "phone"], name="contacts_customerphone_unique_phone"),
        ]

    def __str__(self) -> str:
        return self.phone


class TaskStatus(models.TextChoices):
    """What the retention rule reads (P7): an open task keeps its contacts."""

    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class TaskState(models.TextChoices):
    """Where a ticket is in its work. Every state but `solved` is status `open`
    (contacts.tickets.TASK_STATUS_OF_STATE; the constraint contacts_task_state_matches_status)."""

    NEW = "new", pgettext_lazy("ticket state", "New")
    OPEN = "open", pgettext_lazy("ticket state", "Open")
    WAITING = "waiting", _("Waiting for customer")
    SOLVED = "solved", _("Solved")


class TaskPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CALL = "call", _("Call")
    CHAT = "chat", _("Chat")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class SlaPolicy(models.Model):
    """How soon a ticket of a channel gets its first response and its resolution, per controller.

    Configuration set by administrators, not personal data. A ticket takes its due times from the
    policy of its controller and channel when it is opened (contacts.tickets.task_due_times).
    """

    controller = models.ForeignKey(
        "core.Controller", on_delete=models.PROTECT, related_name="+", verbose_name=_("controller")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        constraints = [
            models.UniqueConstraint(fields=["controller", "channel"], name="contacts_slapolicy_one_per_channel"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0, resolution_minutes__gte=F("first_response_minutes")),
                name="contacts_slapolicy_resolution_after_first_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.controller} · {self.get_channel_display()}"


class Task(ControllerScopedModel):
    """A customer-service task (ticket) grouping contacts; open tasks keep their contacts (P7)."""

    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TaskPriority.choices, default=TaskPriority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks", verbose_name=_("customer")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("merged into")
    )
    # The inbox order, kept by the database itself so that no write can forget it: new email and
    # chat first, then other new tickets, then open, then waiting for the customer.
    inbox_rank = models.GeneratedField(
        expression=Case(
            When(Q(state=TaskState.NEW, channel__in=[Channel.EMAIL, Channel.CHAT]), then=Value(0)),
            When(state=TaskState.NEW, then=Value(1)),
            When(state=TaskState.OPEN, then=Value(2)),
            When(state=TaskState.WAITING, then=Value(3)),
            default=Value(4),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("inbox order"),
    )
    # The next deadline: the first response until there is one, then the resolution.
    due_at = models.GeneratedField(
        expression=Case(
            When(first_responded_at__isnull=True, then=F("first_response_due")),
            default=F("resolution_due"),
        ),
        output_field=models.DateTimeField(),
        db_persist=True,
        verbose_name=_("due"),
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=TaskStatus.OPEN, closed_at__isnull=True)
                | Q(status=TaskStatus.CLOSED, closed_at__isnull=False),
                name="contacts_task_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.CLOSED, state=TaskState.SOLVED)
                | (Q(status=TaskStatus.OPEN) & ~Q(state=TaskState.SOLVED)),
                name="contacts_task_state_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status=TaskStatus.CLOSED),
                name="contacts_task_merged_is_closed",
            ),
        ]
        indexes = [
            # "My open tasks" and the purge's open-task check.
            models.Index(fields=["controller", "status", "assignee"], name="contacts_task_status_idx"),
            # The inbox (contacts.selectors.inbox_tasks): open tickets in inbox order, walked in
            # index order and filtered by controller and assignee until a page is full.
            models.Index(
                fields=["inbox_rank", "-priority", "due_at", "id"],
                condition=Q(status=TaskStatus.OPEN),
                name="contacts_task_inbox_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TaskNote(ControllerScopedModel):
    """An internal note on a ticket: staff only, never sent to the customer."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="notes", verbose_name=_("task"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        indexes = [
            # The ticket page's notes, in order.
            models.Index(fields=["task", "created_at"], name="contacts_tasknote_task_idx"),
        ]

    def __str__(self) -> str:
        return f"note {self.pk}"


class TaskEventKind(models.TextChoices):
    CREATED = "created", _("Ticket created")
    STATE = "state", _("State changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY = "priority", _("Priority changed")
    MERGED = "merged", _("Merged")


class TaskEvent(ControllerScopedModel):
    """A change in a ticket's life: created, its state, assignee or priority changed, merged.

    The timeline shows these with the ticket's contacts and notes (contacts.selectors.task_timeline).
    Values are codes and ids only (a state, a priority, a user id, a ticket number), never what a
    customer said.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events", verbose_name=_("task"))
    kind = models.CharField(_("kind"), max_length=10, choices=TaskEventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_value = models.CharField(_("from"), max_length=20, blank=True)
    to_value = models.CharField(_("to"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [
            # The ticket page's timeline, in order.
            models.Index(fields=["task", "at"], name="contacts_taskevent_task_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class SavedInboxFilter(models.Model):
    """A filter of the inbox an agent saved under a label: theirs only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    label = models.CharField(_("label"), max_length=100)
    query = models.CharField(_("filter"), max_length=500)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved inbox filter")
        verbose_name_plural = _("saved inbox filters")
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["user", "label"], name="contacts_savedinboxfilter_unique_label"),
        ]

    def __str__(self) -> str:
        return self.label


class Contact(ControllerScopedModel):
    """One contact event: an email, a call or a chat, as the customer gave their details."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    occurred_at = models.DateTimeField(_("occurred at"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("email address"), max_length=254, blank=True)
    email_normalized = models.CharField(_("email address (normalised)"), max_length=254, blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    phone_e164 = models.CharField(_("phone number (E.164)"), max_length=20, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body = models.TextField(_("body or notes"), blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts", verbose_name=_("task")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts", verbose_name=_("customer")
    )
    # Set by the privacy machinery through the declaration (art. 18 and art. 21).
    restricted = models.BooleanField(_("processing restricted"), default=False)
    processing_objected = models.BooleanField(_("objected to legitimate-interest uses"), default=False)
    # The customer wrote a personal identity code, masked on arrival (core.personal_identity_code).
    personal_identity_code_masked = models.BooleanField(_("a personal identity code was masked"), default=False)
    chat_session_id = models.CharField(_("chat session"), max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            # A chat session posted again updates its contact, never duplicates it.
            models.UniqueConstraint(
                fields=["controller", "chat_session_id"],
                condition=Q(chat_session_id__isnull=False),
                name="contacts_contact_unique_chat_session",
            ),
        ]
        indexes = [
            # Contact list per controller, newest first; date filters; purge age scan.
            models.Index(fields=["controller", "-occurred_at"], name="contacts_contact_recent_idx"),
            models.Index(fields=["occurred_at"], name="contacts_contact_occurred_idx"),
            # Filters email= and phone= and subject discovery: exact equality on normalised values.
            models.Index(fields=["email_normalized"], name="contacts_contact_email_idx"),
            models.Index(fields=["phone_e164"], name="contacts_contact_phone_idx"),
        ]

    def __str__(self) -> str:
        # Shown in choice lists: local time, in the format of the language in use.
        when = date_format(timezone.localtime(self.occurred_at), "SHORT_DATETIME_FORMAT")
        return f"{self.get_channel_display()} {when}"


class SendStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", pgettext_lazy("status of a message", "Sent")
    FAILED = "failed", _("Sending failed")


class EmailMessage(ControllerScopedModel):
    """The email behind an email contact: the raw message kept, bodies parsed for display."""

    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="email_message", verbose_name=_("contact")
    )
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True)
    references = models.TextField(_("References"), blank=True)
    from_header = models.CharField(pgettext_lazy("email header", "From"), max_length=998, blank=True)
    to_header = models.TextField(pgettext_lazy("email header", "To"), blank=True)
    raw = models.FileField(_("raw message"), upload_to="emails/%Y/%m/", max_length=300)
    size_bytes = models.PositiveIntegerField(_("size in bytes"), default=0)
    text_body = models.TextField(_("plain-text body"), blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    parse_problems = models.TextField(_("parse problems"), blank=True)
    # A message is the same as one stored before when its Message-ID and its exact bytes are:
    # mailers reuse Message-IDs and a forward keeps the original's, so the id alone is not enough.
    raw_sha256 = models.CharField(_("SHA-256 of the raw message"), max_length=64, blank=True)
    # Another, different message with this Message-ID was stored before (at this controller):
    # its variants are the messages of the controller sharing `message_id`.
    message_id_reused = models.BooleanField(_("Message-ID shared with an earlier message"), default=False)
    # Outbound replies only: the state of sending through the email backend.
    send_status = models.CharField(_("send status"), max_length=10, choices=SendStatus.choices, blank=True)
    send_error = models.TextField(_("last sending error"), blank=True)
    send_attempts = models.PositiveSmallIntegerField(_("sending attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email message")
        verbose_name_plural = _("email messages")
        constraints = [
            # The same message twice (Message-ID and bytes) stores once per controller; a different
            # message reusing a Message-ID is stored too. Without an id, the ingestion looks the
            # bytes up (contacts_email_sha256_idx).
            models.UniqueConstraint(
                fields=["controller", "message_id", "raw_sha256"],
                condition=~Q(message_id=""),
                name="contacts_emailmessage_unique_message",
            ),
            models.CheckConstraint(
                condition=~Q(send_status=SendStatus.SENT) | Q(sent_at__isnull=False),
                name="contacts_emailmessage_sent_at_when_sent",
            ),
        ]
        indexes = [
            # De-duplication of messages without a Message-ID (ingestion).
            models.Index(fields=["controller", "raw_sha256"], name="contacts_email_sha256_idx"),
        ]

    def __str__(self) -> str:
        return self.message_id or f"email {self.pk}"


class EmailAttachment(ControllerScopedModel):
    email = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("email message")
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    size_bytes = models.PositiveIntegerField(_("size in bytes"), default=0)
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/", max_length=300)

    class Meta:
        verbose_name = _("email attachment")
        verbose_name_plural = _("email attachments")

    def __str__(self) -> str:
        return self.filename or f"attachment {self.pk}"


class CallRecording(ControllerScopedModel):
    contact = models.OneToOneField(
        Contact, on_delete=models.CASCADE, related_name="recording", verbose_name=_("contact")
    )
    file = models.FileField(_("audio file"), upload_to="recordings/%Y/%m/", max_length=300)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    duration_seconds = models.PositiveIntegerField(_("duration in seconds"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("call recording")
        verbose_name_plural = _("call recordings")

    def __str__(self) -> str:
        return f"recording {self.pk}"


class ChatAuthor(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    AGENT = "agent", _("Agent")


class ChatMessage(ControllerScopedModel):
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="chat_messages", verbose_name=_("contact")
    )
    position = models.PositiveIntegerField(_("position"))
    at = models.DateTimeField(_("sent at"))
    author = models.CharField(_("author"), max_length=10, choices=ChatAuthor.choices)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["contact", "position"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "position"], name="contacts_chatmessage_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.author} {self.at:%H:%M}"


class Mailbox(models.Model):
    """A customer-service mailbox: mail to its address belongs to its controller (P1).

    Configuration, not personal data. With IMAP enabled, the periodic poll fetches its unseen
    messages and ingests each one (contacts.tasks.mailbox_poll).
    """

    address = models.EmailField(_("address"), unique=True, help_text=_("Stored in lower case."))
    controller = models.ForeignKey(
        "core.Controller", on_delete=models.PROTECT, related_name="+", verbose_name=_("controller")
    )
    imap_enabled = models.BooleanField(_("poll over IMAP"), default=False)
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_username = models.CharField(_("IMAP user name"), max_length=255, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_poll_error = models.TextField(_("last polling error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(imap_enabled=False) | (~Q(imap_host="") & ~Q(imap_username="")),
                name="contacts_mailbox_imap_needs_host_and_user",
            ),
            # Recipients are matched in lower case (contacts.ingestion.mailbox_controller_for).
            models.CheckConstraint(condition=Q(address=Lower("address")), name="contacts_mailbox_address_lower_case"),
        ]

    def __str__(self) -> str:
        return self.address


class ResponseTemplate(models.Model):
    """A prepared answer (macro) of one controller in one language, with placeholders
    (contacts.macros). Configuration written by administrators, no customer's data."""

    controller = models.ForeignKey(
        "core.Controller", on_delete=models.PROTECT, related_name="+", verbose_name=_("controller")
    )
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(
        _("text"),
        help_text=_("Placeholders: {customer_name}, {agent_name}, {ticket_id}, {subject}, {controller_name}."),
    )
    active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        constraints = [
            models.UniqueConstraint(
                fields=["controller", "language", "name"], name="contacts_responsetemplate_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def clean(self) -> None:
        try:
            placeholders_check(self.body)
        except ValidationError as error:
            raise ValidationError({"body": error.messages}) from None
