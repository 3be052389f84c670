"""Feedback and complaints (policy P3, P8) and the disclosure log (P6, GDPR art. 19)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ControllerScopedModel


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    FEEDBACK = "feedback", _("Feedback")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_HANDLING = "in_handling", _("In handling")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ComplaintChannel(models.TextChoices):
    """How a complaint or feedback reached Retta. The first three are the contact channels
    (contacts.Channel), so a complaint made from a contact keeps its contact's channel."""

    EMAIL = "email", _("Email")
    CALL = "call", _("Call")
    CHAT = "chat", _("Chat")
    LETTER = "letter", _("Letter")
    IN_PERSON = "in_person", _("In person")
    WEB_FORM = "web_form", _("Web form")
    OTHER = "other", _("Other")


# A complaint in one of these states is finished: its retention clock runs from closed_at.
# A tuple, not a set: migrations serialise it, and a set's order changes between runs.
FINISHED_STATUSES = (ComplaintStatus.CLOSED, ComplaintStatus.WITHDRAWN)


class Complaint(ControllerScopedModel):
    kind = models.CharField(_("kind"), max_length=10, choices=ComplaintKind.choices, default=ComplaintKind.COMPLAINT)
    status = models.CharField(
        _("status"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    complainant = models.ForeignKey(
        "contacts.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("complainant"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ComplaintChannel.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_complaints",
        verbose_name=_("handler"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", blank=True, related_name="complaints", verbose_name=_("linked contacts")
    )
    tasks = models.ManyToManyField(
        "contacts.Task", blank=True, related_name="complaints", verbose_name=_("linked tasks")
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    handling_started_at = models.DateTimeField(_("handling started at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Set when the complaint is closed or withdrawn: the retention clock starts here (P8).
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    restricted = models.BooleanField(_("processing restricted"), default=False)
    processing_objected = models.BooleanField(_("objected to legitimate-interest uses"), default=False)

    class Meta:
        verbose_name = _("complaint or feedback")
        verbose_name_plural = _("complaints and feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FINISHED_STATUSES, closed_at__isnull=False)
                | (~Q(status__in=FINISHED_STATUSES) & Q(closed_at__isnull=True)),
                name="complaints_complaint_closed_at_iff_finished",
            ),
            # Blank only for complaints recorded before the channel was asked for.
            models.CheckConstraint(
                condition=Q(channel="") | Q(channel__in=ComplaintChannel.values),
                name="complaints_complaint_channel_known",
            ),
        ]
        indexes = [
            # The handlers' queue: by status, oldest first.
            models.Index(fields=["controller", "status", "received_at"], name="complaints_queue_idx"),
            # The purge: finished complaints by closing date.
            models.Index(fields=["closed_at"], name="complaints_closed_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class ComplaintEventKind(models.TextChoices):
    NOTE = "note", _("Note")
    TRANSITION = "transition", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")


class ComplaintEvent(ControllerScopedModel):
    """The complaint's timeline: internal notes, status changes and assignments."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ComplaintEventKind.choices)
    from_status = models.CharField(_("from status"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, choices=ComplaintStatus.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["complaint", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class RecipientType(models.TextChoices):
    GROUP_COMPANY = "group_company", _("Retta group company")
    INSURER = "insurer", _("Insurance company")
    LEGAL_COUNSEL = "legal_counsel", _("Legal counsel")
    AUTHORITY = "authority", _("Authority")
    PROCESSOR = "processor", _("Processor")


class Disclosure(ControllerScopedModel):
    """One handing-over of personal data to a recipient (P6); recipients are named in access
    copies and notified of rectification, erasure and restriction (art. 19)."""

    recipient_type = models.CharField(_("recipient type"), max_length=20, choices=RecipientType.choices)
    recipient_name = models.CharField(_("recipient"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    description = models.TextField(_("what was disclosed"))
    # The entry outlives the complaint it concerned (accountability, P6): when the complaint's
    # retention ends, the reference is cleared and the entry stays for its own period.
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disclosures",
        verbose_name=_("complaint"),
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", blank=True, related_name="disclosures", verbose_name=_("disclosed contacts")
    )
    disclosed_at = models.DateTimeField(_("disclosed at"), default=timezone.now)
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("disclosed by")
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        ordering = ["-disclosed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.recipient_name} {self.disclosed_at:%Y-%m-%d}"


class HoldScope(models.TextChoices):
    COMPLAINT = "complaint", _("A complaint and everything linked to it")
    TASK = "task", _("A customer-service task")
    CONTACTS = "contacts", _("Chosen contacts")
    SUBJECT = "subject", _("A data subject at the controller")


class LegalHold(ControllerScopedModel):
    """A legal hold (P7, P8): everything in its scope is kept from the purge and from erasure
    until the DPO releases it. A subject hold matches by normalised identifiers when asked, so it
    also covers the subject's records created after it was placed."""

    matter = models.CharField(_("matter"), max_length=300)
    reason = models.TextField(_("reason"))
    scope = models.CharField(_("scope"), max_length=10, choices=HoldScope.choices)
    # A released hold keeps nothing: its complaint or task goes when its retention ends and the
    # reference is cleared; an active hold must name its object (check constraint below), and its
    # object is never deleted (the keep reason `legal_hold`).
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("complaint"),
    )
    task = models.ForeignKey(
        "contacts.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("task"),
    )
    contacts = models.ManyToManyField(
        "contacts.Contact", blank=True, related_name="legal_holds", verbose_name=_("contacts")
    )
    # Normalised (lower-cased email, E.164 phone) by contacts.identifiers when placed.
    subject_emails = models.JSONField(_("subject's email addresses"), default=list, blank=True)
    subject_phones = models.JSONField(_("subject's phone numbers"), default=list, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("placed by")
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at", "-id"]
        constraints = [
            # A released hold may have lost its complaint or task to the purge; an active one not.
            models.CheckConstraint(
                condition=(
                    Q(scope=HoldScope.COMPLAINT, task__isnull=True)
                    & (Q(complaint__isnull=False) | Q(released_at__isnull=False))
                )
                | (
                    Q(scope=HoldScope.TASK, complaint__isnull=True)
                    & (Q(task__isnull=False) | Q(released_at__isnull=False))
                )
                | (Q(scope__in=[HoldScope.CONTACTS, HoldScope.SUBJECT]) & Q(complaint__isnull=True, task__isnull=True)),
                name="complaints_legalhold_scope_object_matches_scope",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True, released_by__isnull=True)
                | Q(released_at__isnull=False, released_by__isnull=False),
                name="complaints_legalhold_released_by_with_released_at",
            ),
        ]
        indexes = [
            # The keep reason and holds_for(): the active holds of a controller, by scope.
            models.Index(
                fields=["controller", "scope"], condition=Q(released_at__isnull=True), name="complaints_hold_active_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.matter

    @property
    def is_active(self) -> bool:
        return self.released_at is None
