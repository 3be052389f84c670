"""Data-subject requests (policy P10-P14, GDPR art. 12 and 15-21).

A request names its subject by the identifiers they gave (name, emails, phones), is checked for
identity before anything is handed out or changed (art. 12(6), P14), is matched to the subject's
records through the personal-data registry, and keeps what was done in its execution report.
The request record itself is kept for accountability (three years after completion) and is
never matched as the subject's data by another request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ControllerScopedModel


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access (art. 15)")
    RECTIFICATION = "rectification", _("Rectification (art. 16)")
    ERASURE = "erasure", _("Erasure (art. 17)")
    RESTRICTION = "restriction", _("Restriction of processing (art. 18)")
    OBJECTION = "objection", _("Objection (art. 21)")
    PORTABILITY = "portability", _("Data portability (art. 20)")


# Requests whose matched records the purge keeps while the request is open: deleting them would
# defeat the request (an access copy of data purged meanwhile, a restriction of deleted data).
KINDS_KEEPING_MATCHES = (RequestKind.ACCESS, RequestKind.PORTABILITY, RequestKind.RESTRICTION, RequestKind.OBJECTION)


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received: identity not yet checked")
    VERIFIED = "verified", _("Identity checked")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.VERIFIED, RequestStatus.IN_PROGRESS)
CLOSED_STATUSES = (RequestStatus.COMPLETED, RequestStatus.REJECTED)


class RequestChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Telephone")
    IN_PERSON = "in_person", _("In person")
    WEB = "web", _("Web form")


class IdentityMethod(models.TextChoices):
    """How the subject's identity was established (art. 12(6)). Deliberately no personal identity
    code: the controller does not hold one, so asking for it would collect data it never needed."""

    EMAIL_ON_FILE = "email_on_file", _("Reply from the email address on file")
    CALLBACK_ON_FILE = "callback_on_file", _("Call-back to the phone number on file")
    STRONG_ELECTRONIC = "strong_electronic", _("Strong electronic identification")
    DOCUMENT_SEEN = "document_seen", _("Identity document seen")
    OTHER = "other", _("Other (explained in the note)")


class RejectionReason(models.TextChoices):
    """Art. 12(2), 12(5) and 12(6): the only grounds for refusing to act."""

    IDENTITY_NOT_ESTABLISHED = "identity_not_established", _("The requester's identity could not be established")
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("The request is manifestly unfounded")
    EXCESSIVE = "excessive", _("The request is excessive, in particular because repetitive")


class RestrictionBasis(models.TextChoices):
    """Art. 18(1): why processing is restricted."""

    ACCURACY_CONTESTED = "accuracy_contested", _("Accuracy contested, while it is verified (art. 18(1)(a))")
    UNLAWFUL_NO_ERASURE = "unlawful_no_erasure", _("Unlawful processing, erasure opposed (art. 18(1)(b))")
    NEEDED_FOR_CLAIMS = "needed_for_claims", _("Needed by the subject for legal claims (art. 18(1)(c))")
    OBJECTION_PENDING = "objection_pending", _("Objection pending verification (art. 18(1)(d))")


class Language(models.TextChoices):
    FI = "fi", _("Finnish")
    SV = "sv", _("Swedish")
    EN = "en", _("English")


class PrivacyRequest(ControllerScopedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.RECEIVED)
    # The subject as they identified themselves. Every email address and phone number, each with
    # its own verification, is a RequestIdentifier; these two are the first ones given (normalised),
    # kept on the request for lists and lookups.
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("email address"), max_length=254, blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    language = models.CharField(_("language of the answer"), max_length=2, choices=Language.choices, default="fi")
    channel = models.CharField(_("received by"), max_length=20, choices=RequestChannel.choices, default="email")
    # The record the request arrived as (an incoming email contact), by registry key and id.
    source_record_type = models.CharField(_("arrived as (record type)"), max_length=60, blank=True)
    source_record_id = models.BigIntegerField(_("arrived as (record id)"), null=True, blank=True)
    details = models.TextField(_("what the subject asked for"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # Art. 12(3): one month from receipt; `original_due_at` stays as first computed.
    due_at = models.DateField(_("due date"))
    original_due_at = models.DateField(_("original due date"))
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("extended by"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    notes = models.TextField(_("notes"), blank=True)
    # Identity check (art. 12(6)).
    identity_method = models.CharField(
        _("identity check method"), max_length=30, choices=IdentityMethod.choices, blank=True
    )
    identity_note = models.TextField(_("identity check note"), blank=True)
    identity_verified_at = models.DateTimeField(_("identity checked at"), null=True, blank=True)
    identity_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("identity checked by"),
    )
    discovered_at = models.DateTimeField(_("records discovered at"), null=True, blank=True)
    matches_reviewed_at = models.DateTimeField(_("matches reviewed at"), null=True, blank=True)
    # Rejection (art. 12(4)-(5)).
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=30, choices=RejectionReason.choices, blank=True
    )
    rejection_justification = models.TextField(_("justification"), blank=True)
    # Restriction (art. 18) and objection (art. 21).
    restriction_basis = models.CharField(
        _("restriction basis"), max_length=30, choices=RestrictionBasis.choices, blank=True
    )
    restriction_active = models.BooleanField(_("restriction in force"), default=False)
    restriction_lifted_at = models.DateTimeField(_("restriction lifted at"), null=True, blank=True)
    compelling_grounds = models.TextField(_("compelling legitimate grounds claimed"), blank=True)
    rectification_reason = models.TextField(_("reason for the rectification"), blank=True)
    include_consultation_history = models.BooleanField(_("include the consultation history"), default=False)
    # What was done: counts, ids and reasons per record type (never personal values).
    execution_report = models.JSONField(_("execution report"), default=dict, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("executed by"),
    )
    # Set on completion or rejection: the three-year accountability clock starts here.
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CLOSED_STATUSES, completed_at__isnull=False)
                | (~Q(status__in=CLOSED_STATUSES) & Q(completed_at__isnull=True)),
                name="privacy_privacyrequest_completed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(status=RequestStatus.RECEIVED)
                | Q(status=RequestStatus.REJECTED)
                | Q(identity_verified_at__isnull=False),
                name="privacy_privacyrequest_identity_before_work",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("original_due_at")), name="privacy_privacyrequest_due_not_earlier"
            ),
        ]
        indexes = [
            # The DPO's dashboard: open requests by due date.
            models.Index(fields=["controller", "status", "due_at"], name="privacy_request_due_idx"),
            # The keep reason and the accountability purge: closed requests by completion.
            models.Index(fields=["completed_at"], name="privacy_request_completed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def identity_verified(self) -> bool:
        return self.identity_verified_at is not None

    @property
    def emails(self) -> list[str]:
        """Every email address given, verified or not, in the order given."""
        return [i.value for i in self.identifiers.all() if i.kind == IdentifierKind.EMAIL]

    @property
    def phones(self) -> list[str]:
        return [i.value for i in self.identifiers.all() if i.kind == IdentifierKind.PHONE]

    @property
    def verified_emails(self) -> list[str]:
        """The addresses shown to be the subject's: where a letter may be sent."""
        return [i.value for i in self.identifiers.all() if i.kind == IdentifierKind.EMAIL and i.verified]


class IdentifierKind(models.TextChoices):
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")


class RequestIdentifier(ControllerScopedModel):
    """One email address or phone number of a request's subject, with its own verification.

    Checking who the requester is (the request's identity check) does not show that every address
    or number they name is theirs: a requester who replied from the address on file could name
    someone else's phone. Records found only through an identifier not yet verified are shown to
    the DPO but left out of every copy, erasure and change (privacy.discovery.included_records).
    """

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="identifiers", verbose_name=_("request")
    )
    kind = models.CharField(_("kind"), max_length=5, choices=IdentifierKind.choices)
    # Normalised: a lower-cased address, an E.164 number; as stored in the records searched.
    value = models.CharField(_("value"), max_length=254)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    verification_method = models.CharField(
        _("verified by method"), max_length=30, choices=IdentityMethod.choices, blank=True
    )
    verification_note = models.TextField(_("verification note"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )

    class Meta:
        verbose_name = _("identifier of a request")
        verbose_name_plural = _("identifiers of requests")
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "value"], name="privacy_requestidentifier_unique_value"),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verification_method="")
                | Q(verified_at__isnull=False) & ~Q(verification_method=""),
                name="privacy_requestidentifier_verified_with_method",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class MatchKind(models.TextChoices):
    IDENTIFIER = "identifier", _("Email address or phone number")
    NAME = "name", _("Name only: to be confirmed")


class RequestMatch(models.Model):
    """A record discovery found for a request, by registry key and id, and the identifiers it was
    found through. Name-only matches start excluded until the DPO confirms them; so do records
    found only through an identifier that other customers' records carry too (a shared family
    phone): they may belong to someone else. The DPO excludes false matches. A match is acted on
    when included and found through a verified identifier (or a name the DPO confirmed)."""

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="matches", verbose_name=_("request")
    )
    record_type = models.CharField(_("record type"), max_length=60)
    record_id = models.BigIntegerField(_("record id"))
    matched_by = models.CharField(_("matched by"), max_length=12, choices=MatchKind.choices)
    via = models.ManyToManyField(RequestIdentifier, related_name="matches", blank=True, verbose_name=_("found through"))
    may_belong_to_someone_else = models.BooleanField(_("may belong to someone else"), default=False)
    included = models.BooleanField(_("included"), default=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request match")
        verbose_name_plural = _("request matches")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "record_type", "record_id"], name="privacy_requestmatch_unique_record"
            ),
        ]
        indexes = [
            # The open-request keep reason: "is this row matched by an open request?"
            models.Index(fields=["record_type", "record_id"], name="privacy_match_record_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}"


class Redaction(ControllerScopedModel):
    """A third party's data the DPO withheld from an access copy (art. 15(4)), recorded."""

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="redactions", verbose_name=_("request")
    )
    record_type = models.CharField(_("record type"), max_length=60)
    record_id = models.BigIntegerField(_("record id"))
    field = models.CharField(_("field"), max_length=100)
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("redacted by")
    )
    created_at = models.DateTimeField(_("redacted at"), default=timezone.now)

    class Meta:
        verbose_name = _("redaction")
        verbose_name_plural = _("redactions")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "record_type", "record_id", "field"], name="privacy_redaction_unique_field"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}.{self.field}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class RequestExport(ControllerScopedModel):
    """The ZIP of an access or portability answer; deleted seven days after it was made."""

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="exports", verbose_name=_("request")
    )
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveIntegerField(_("records written"), default=0)
    total = models.PositiveIntegerField(_("records to write"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=300, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written while the copy is built: a build without a recent sign of life died with its worker.
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("request export")
        verbose_name_plural = _("request exports")
        indexes = [
            # The seven-day purge of generated exports.
            models.Index(fields=["created_at"], name="privacy_export_created_idx"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk}"


class LetterKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of receipt")
    EXTENSION = "extension", _("Extension of the deadline")
    REJECTION = "rejection", _("Rejection")
    NO_DATA = "no_data", _("No data held")
    ACCESS = "access", _("Access copy enclosed")
    PORTABILITY = "portability", _("Portable copy enclosed")
    RECTIFICATION = "rectification", _("Rectification done")
    ERASURE = "erasure", _("Erasure done")
    RESTRICTION = "restriction", _("Processing restricted")
    RESTRICTION_LIFT = "restriction_lift", _("Notice before lifting the restriction")
    OBJECTION = "objection", _("Objection handled")


class Letter(ControllerScopedModel):
    """A response letter as generated, ready to send; kept with the request as sent."""

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="letters", verbose_name=_("request")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    body = models.TextField(_("text"))
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("generated by"),
    )

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["request", "generated_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.language}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("To be sent")
    SENT = "sent", pgettext_lazy("status of a message", "Sent")
    IMPOSSIBLE = "impossible", _("Impossible")
    DISPROPORTIONATE = "disproportionate", _("Would involve disproportionate effort")


class RecipientNotification(ControllerScopedModel):
    """Art. 19: a recipient of a rectified, erased or restricted record is told, or why not."""

    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("request")
    )
    recipient_name = models.CharField(_("recipient"), max_length=200)
    recipient_type = models.CharField(_("recipient type"), max_length=40, blank=True)
    record_type = models.CharField(_("record type"), max_length=60)
    record_ids = models.JSONField(_("record ids"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("recipient notification")
        verbose_name_plural = _("recipient notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "recipient_name", "record_type"], name="privacy_notification_unique_recipient"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent"]) | ~Q(reason=""),
                name="privacy_notification_reason_when_not_sent",
            ),
        ]

    def __str__(self) -> str:
        return self.recipient_name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", pgettext_lazy("status of a message", "Sent")
    FAILED = "failed", _("Sending failed")


class LetterDelivery(ControllerScopedModel):
    """A letter sent by email to the requester's verified address: saved first, sent after the
    commit by a task, at most once; a failure is kept with the attempts made."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("letter"))
    to_address = models.CharField(_("sent to"), max_length=254)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("sending attempts"), default=0)
    error = models.TextField(_("last sending error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter sent by email")
        verbose_name_plural = _("letters sent by email")
        ordering = ["letter", "queued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="privacy_letterdelivery_sent_at_when_sent",
            ),
            # A letter goes to an address once: a second click while it waits or after it went
            # is refused; after a failure it may be queued again.
            models.UniqueConstraint(
                fields=["letter", "to_address"],
                condition=~Q(status=DeliveryStatus.FAILED),
                name="privacy_letterdelivery_once_per_address",
            ),
        ]
        indexes = [
            # The periodic resend: deliveries still waiting or failed with attempts left.
            models.Index(fields=["status", "attempts"], name="privacy_delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk}"
