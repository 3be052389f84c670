from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Controller(models.Model):
    """A legal entity responsible for personal data (policy P1). Created by a data migration."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=20, unique=True)
    privacy_contact_email = models.EmailField(_("privacy contact address"))
    address = models.CharField(_("postal address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("controller")
        verbose_name_plural = _("controllers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditAction(models.TextChoices):
    VIEW = "view", pgettext_lazy("audit action", "Viewed")
    SEARCH = "search", pgettext_lazy("audit action", "Searched")
    CREATE = "create", pgettext_lazy("audit action", "Created")
    CHANGE = "change", pgettext_lazy("audit action", "Changed")
    DELETE = "delete", pgettext_lazy("audit action", "Deleted")
    EXPORT = "export", pgettext_lazy("audit action", "Exported")
    DOWNLOAD = "download", pgettext_lazy("audit action", "Downloaded")
    PLAY = "play", pgettext_lazy("audit action", "Played a recording")
    SEND = "send", pgettext_lazy("audit action", "Sent")
    TRANSITION = "transition", pgettext_lazy("audit action", "Changed status")
    DISCLOSE = "disclose", pgettext_lazy("audit action", "Disclosed")
    PLACE_HOLD = "place_hold", pgettext_lazy("audit action", "Placed a legal hold")
    RELEASE_HOLD = "release_hold", pgettext_lazy("audit action", "Released a legal hold")
    VERIFY_IDENTITY = "verify_identity", pgettext_lazy("audit action", "Verified identity")
    EXECUTE = "execute", pgettext_lazy("audit action", "Executed a request")
    REJECT = "reject", pgettext_lazy("audit action", "Rejected a request")
    EXTEND = "extend", pgettext_lazy("audit action", "Extended a deadline")
    RECTIFY = "rectify", pgettext_lazy("audit action", "Rectified")
    ERASE = "erase", pgettext_lazy("audit action", "Erased")
    RESTRICT = "restrict", pgettext_lazy("audit action", "Restricted")
    LIFT_RESTRICTION = "lift_restriction", pgettext_lazy("audit action", "Lifted a restriction")
    OBJECT = "object", pgettext_lazy("audit action", "Recorded an objection")
    PURGE = "purge", pgettext_lazy("audit action", "Purged")
    MERGE = "merge", pgettext_lazy("audit action", "Merged")
    LOGIN = "login", pgettext_lazy("audit action", "Logged in")
    LOGIN_FAILED = "login_failed", pgettext_lazy("audit action", "Failed login")
    LOGOUT = "logout", pgettext_lazy("audit action", "Logged out")
    BACKUP_CODES = "backup_codes", pgettext_lazy("audit action", "Made new backup codes")
    TWO_FACTOR_RESET = "two_factor_reset", pgettext_lazy("audit action", "Reset two-factor login")
    UNLOCK = "unlock", pgettext_lazy("audit action", "Lifted a login lockout")


class AuditPurpose(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    COMPLAINT_HANDLING = "complaint_handling", _("Complaint handling")
    LEGAL_CLAIMS = "legal_claims", _("Legal claims")
    DATA_SUBJECT_REQUEST = "data_subject_request", _("Data-subject request")
    RETENTION = "retention", _("Retention")
    QUALITY = "quality", _("Quality assurance")
    SECURITY = "security", _("Security")
    ADMINISTRATION = "administration", _("Administration")
    INTEGRATION = "integration", _("Integration")


class AuditEvent(models.Model):
    """Who did what to which record, when and why: never the personal values themselves.

    Append-only: a database trigger refuses UPDATE, and DELETE except inside the audit-log purge
    (which sets `retta.audit_purge` for its own transaction).
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # PROTECT: staff accounts with a history are deactivated, never deleted. Both references
    # are kept by Django's PROTECT (users and controllers are never deleted in SQL) rather than
    # by database constraints: a constraint checks each inserted row with a trigger, which
    # doubled the cost of the one INSERT a list page writes (docs/benchmarks.md, Contacts).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_constraint=False,
    )
    actor_kind = models.CharField(_("actor kind"), max_length=20, default="user")
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    purpose = models.CharField(_("purpose"), max_length=30, choices=AuditPurpose.choices)
    controller = models.ForeignKey(
        Controller,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("controller"),
        db_constraint=False,
        db_index=False,  # core_audit_controller_idx (controller, -at) serves it
    )
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # Counts, ids and flags only: validated by core.audit.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            # "When and why were this subject's records consulted?" (access requests, art. 15).
            models.Index(fields=["object_type", "object_id", "at"], name="core_audit_object_idx"),
            # The DPO's audit list filtered by controller, newest first.
            models.Index(fields=["controller", "-at"], name="core_audit_controller_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    @property
    def object_type_name(self) -> str:
        return model_label_name(self.object_type)

    @property
    def actor_kind_name(self) -> str:
        return str(ACTOR_KINDS.get(self.actor_kind, self.actor_kind))


# Who acted when no user did, by the `actor_kind` the audit helper stores.
ACTOR_KINDS = {
    "user": _("User"),
    "system": _("The system"),
    "purge": _("The retention purge"),
    "command": _("A command-line command"),
    "reply_send": _("Outgoing email"),
    "send_letter": _("Sending of letters"),
}


def model_label_name(label: str) -> str:
    """A stored model label (`contacts.contact`) as the UI names it ("Contact"), translated."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    return capfirst(str(model._meta.verbose_name))


def audited_model_choices() -> list[tuple[str, str]]:
    """The project's own models, by name, for the audit log's filter."""
    base = str(settings.BASE_DIR)
    models_ = [m for m in apps.get_models() if apps.get_app_config(m._meta.app_label).path.startswith(base)]
    return sorted(((m._meta.label_lower, model_label_name(m._meta.label_lower)) for m in models_), key=lambda c: c[1])


class PlatformAuditEventManager(models.Manager["PlatformAuditEvent"]):
    def get_queryset(self) -> models.QuerySet[PlatformAuditEvent]:
        return super().get_queryset().filter(controller__isnull=True)


class PlatformAuditEvent(AuditEvent):
    """The audit events of no controller (core.audit: logins of users granted no controller, the
    totals of purge runs): administrators read them, read-only, in the admin; no DPO sees them."""

    objects = PlatformAuditEventManager()

    class Meta:
        proxy = True
        verbose_name = _("platform audit event")
        verbose_name_plural = _("platform audit events")
        ordering = ["-at", "-id"]
