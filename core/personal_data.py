"""The personal-data registry: each app declares the personal data it holds, in one place.

An app's `personal_data.py` subclasses `PersonalDataType` once per model holding personal data
and registers it with `@registry.register`. The privacy machinery (discovery, access copies,
erasure, the art. 30 record) and the retention machinery (the purge, its dry run, the dashboard)
read only this registry: they never import an app's models by name.

A declaration says:
- what the data is, its categories, purposes (P3), legal bases (P4) and source;
- how to find a data subject's rows from normalised emails and phones (`subject_q`) and names;
- how to export a row (`export_row`) and which files in storage belong to it (`file_fields`);
- which rows and fields the subject provided (`provided_by_subject_q`, `portable_fields`) and
  which our staff wrote (`staff_fields`): the source of each record, and portability;
- which retention rule applies (`retention`), or that it lives and dies with a `parent` record;
- its own reasons to keep a row past its date (`keep_reasons`); other apps add theirs with
  `registry.register_keep_reason` (a complaint keeps its contacts, a legal hold keeps anything);
- the paths from its rows to the records a hold or a request can be scoped to (`scope_paths`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """Purposes of processing, as the policy lists them (P3)."""

    IDENTIFY_CUSTOMER = "identify_customer", _("Identifying the customer")
    HANDLE_SERVICE = "handle_service", _("Handling customer service")
    KEEP_IN_TOUCH = "keep_in_touch", _("Keeping in touch with customers")
    VERIFY_CONTENT = "verify_content", _("Verifying what was said")
    QUALITY = "quality", _("Assuring the quality of customer service")
    DEVELOPMENT = "development", _("Developing the customer-service centre")
    HANDLE_COMPLAINT = "handle_complaint", _("Handling feedback and complaints")
    LEGAL_REMEDIES = "legal_remedies", _("Using Retta's legal remedies")
    ACCOUNTABILITY = "accountability", _("Showing compliance with data-protection law")
    SECURITY = "security", _("Keeping the system and its data secure")
    STAFF_ACCESS = "staff_access", _("Giving staff the access their work needs")
    RECOVERY = "recovery", _("Restoring the data after a failure")


class LegalBasis(models.TextChoices):
    """Legal bases (P4); GDPR art. 6(1) points."""

    CONTRACT = "contract", _("Contract (GDPR art. 6(1)(b))")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (GDPR art. 6(1)(f))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (GDPR art. 6(1)(c))")


# Purposes resting on legitimate interest: an objection (art. 21, P12) switches these off.
LEGITIMATE_INTEREST_PURPOSES = frozenset({Purpose.QUALITY, Purpose.DEVELOPMENT})


@dataclass(frozen=True)
class Retention:
    """A row is due for deletion `setting` days after its `date_field`.

    The period is read from settings at the moment of asking, so a changed setting is honoured by
    the next purge, the dashboard and the art. 30 record alike. A row whose date is NULL (a
    complaint not yet closed) is never due.
    """

    setting: str
    date_field: str
    description: str | Promise

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting))

    @property
    def period(self) -> dt.timedelta:
        return dt.timedelta(days=self.days)

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        return now - self.period

    def due_q(self, now: dt.datetime) -> Q:
        return Q(**{f"{self.date_field}__lt": self.cutoff(now)})


@dataclass(frozen=True)
class KeepReason:
    """A reason to keep rows past their retention date, e.g. an open task or a legal hold.

    `q(declaration, now)` returns the rows of that declaration's model kept for this reason, or
    None when the reason does not apply to that kind of record.
    """

    code: str
    label: str | Promise
    q: Callable[[PersonalDataType, dt.datetime], Q | None]


class PersonalDataType:
    """Base class of a declaration. Subclass it in `<app>/personal_data.py` and register it."""

    model: ClassVar[type[models.Model]]
    verbose_name: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    # Categories of personal data in this record (art. 30(1)(c)), e.g. name, email, recording.
    categories: ClassVar[Sequence[str | Promise]] = ()
    purposes: ClassVar[Sequence[Purpose]] = ()
    legal_bases: ClassVar[Sequence[LegalBasis]] = ()
    source: ClassVar[str | Promise] = _("The data subject (email, telephone call or chat on retta.fi).")
    # A record with its own clock; None when it lives and dies with its `parent`.
    retention: ClassVar[Retention | None] = None
    # Key of the declaration this one belongs to, and the ORM path from this model to its pk.
    parent: ClassVar[str | None] = None
    parent_path: ClassVar[str] = ""
    # File fields whose storage objects go when the row goes.
    file_fields: ClassVar[Sequence[str]] = ()
    # ORM paths holding the normalised email / E.164 phone / name of the subject of a row.
    email_paths: ClassVar[Sequence[str]] = ()
    phone_paths: ClassVar[Sequence[str]] = ()
    name_paths: ClassVar[Sequence[str]] = ()
    # Fields exported in an access copy (art. 15), in this order; those its plain-words summary
    # shows, when not all of them (an email's HTML and message ids stay in data.json).
    export_fields: ClassVar[Sequence[str]] = ()
    summary_fields: ClassVar[Sequence[str]] = ()
    # Who wrote a row, and portability (art. 20). `provided_by_subject_q()` gives the rows whose
    # contents the person who contacted us gave (an inbound email, a visitor's chat line); the
    # other rows are our staff's. Of those rows, `portable_fields` are the fields the person gave,
    # except where `staff_fields` says our staff wrote them (field -> the rows where they did:
    # the notes of a call, the resolution of a complaint).
    portable_fields: ClassVar[Sequence[str]] = ()
    staff_fields: ClassVar[Mapping[str, Q]] = {}
    # Paths from this model to records that a hold or request may be scoped to:
    # {"contacts.task": "task", "contacts.customer": "customer"}. Other apps may add paths.
    scope_paths: ClassVar[dict[str, str]] = {}
    # Boolean fields the privacy machinery sets: restriction (art. 18), objection (art. 21).
    restriction_field: ClassVar[str | None] = None
    objection_field: ClassVar[str | None] = None
    # Where a record keeps when an objection was recorded and by whom (core.objection).
    objection_at_field: ClassVar[str | None] = None
    objection_by_field: ClassVar[str | None] = None
    # True when a legal basis requires keeping a row for its whole retention period even against
    # an erasure request (complaints: possible legal claims, art. 17(3)(e)).
    erasure_waits_for_retention: ClassVar[bool] = False
    # False for records about requests themselves (privacy requests): never matched as a
    # subject's data by another request's discovery.
    subject_discovery: ClassVar[bool] = True

    @classmethod
    def key(cls) -> str:
        return cls.model._meta.label_lower

    # -- finding a subject ------------------------------------------------------------------
    @classmethod
    def subject_q(cls, *, emails: Sequence[str] = (), phones: Sequence[str] = ()) -> Q | None:
        """Rows about the subject with any of these normalised identifiers; None if not matchable.

        Exact equality on stored normalised columns, so that B-tree indexes serve the lookup.
        """
        condition = Q()
        matched = False
        if emails:
            for path in cls.email_paths:
                condition |= Q(**{f"{path}__in": list(emails)})
                matched = True
        if phones:
            for path in cls.phone_paths:
                condition |= Q(**{f"{path}__in": list(phones)})
                matched = True
        return condition if matched else None

    @classmethod
    def name_q(cls, *, names: Sequence[str]) -> Q | None:
        """Rows whose name matches: offered to the DPO to confirm, never acted on unconfirmed."""
        condition = Q()
        matched = False
        for name in names:
            name = name.strip()
            if len(name) < 3:
                continue
            for path in cls.name_paths:
                condition |= Q(**{f"{path}__icontains": name})
                matched = True
        return condition if matched else None

    # -- retention --------------------------------------------------------------------------
    @classmethod
    def due_q(cls, now: dt.datetime) -> Q | None:
        """Rows past their retention date at `now`, before any keep reason. None: no own clock."""
        return cls.retention.due_q(now) if cls.retention else None

    @classmethod
    def retention_rules(cls) -> list[tuple[str | Promise, Retention]]:
        """The periods in force, with what they apply to: for letters and the art. 30 record."""
        return [(cls.verbose_name, cls.retention)] if cls.retention else []

    @classmethod
    def keep_reasons(cls) -> Sequence[KeepReason]:
        """This record type's own reasons to keep a row (others come from the registry)."""
        return ()

    # -- who wrote it, and portability ---------------------------------------------------------
    @classmethod
    def provided_by_subject_q(cls) -> Q | None:
        """The rows the person contacting us provided; None when every row is our staff's."""
        return None

    @classmethod
    def is_portable(cls) -> bool:
        """Art. 20(1): data the subject provided, processed on a contract (or consent)."""
        return (
            bool(cls.portable_fields)
            and cls.provided_by_subject_q() is not None
            and LegalBasis.CONTRACT in cls.legal_bases
        )

    @classmethod
    def with_authorship(cls, queryset: models.QuerySet) -> models.QuerySet:
        """The rows with their authorship as flags, computed by the database in the same query:
        `_provided_by_subject`, and `_staff_<field>` for each of `staff_fields`."""
        annotations = {"_provided_by_subject": _flag(cls.provided_by_subject_q())}
        for name, condition in cls.staff_fields.items():
            annotations[f"_staff_{name}"] = _flag(condition)
        return queryset.annotate(**annotations)

    @classmethod
    def staff_written(cls, obj: models.Model) -> set[str]:
        """The fields of a row (read through `with_authorship`) that our staff wrote."""
        return {name for name in cls.staff_fields if getattr(obj, f"_staff_{name}", False)}

    @classmethod
    def portable_row(cls, obj: models.Model) -> dict[str, Any]:
        """A row provided by the subject, with only the fields they gave (for portability)."""
        staff = cls.staff_written(obj)
        return cls.export_row(obj, fields=[name for name in cls.portable_fields if name not in staff])

    # -- export -----------------------------------------------------------------------------
    @classmethod
    def export_row(cls, obj: models.Model, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """One row as JSON-ready values, for the access copy and portability."""
        row: dict[str, Any] = {"id": obj.pk}
        for name in cls.export_fields if fields is None else fields:
            value = obj
            for part in name.split("__"):
                value = getattr(value, part) if value is not None else None
            if isinstance(value, dt.datetime | dt.date):
                value = value.isoformat()
            elif isinstance(value, models.Model):
                value = value.pk
            elif hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
                value = value.name or None
            row[name] = value
        return row

    @classmethod
    def queryset(cls) -> models.QuerySet:
        """All rows, unscoped: callers filter by controller themselves."""
        return cls.model._base_manager.all()


def _flag(condition: Q | None) -> Any:
    """A boolean the database computes per row: False for None, True for an empty condition."""
    if condition is None:
        return Value(False, output_field=models.BooleanField())
    if not condition:
        return Value(True, output_field=models.BooleanField())
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=models.BooleanField())


class Source(models.TextChoices):
    """Who wrote a record (art. 15(1)(g)), as the access copy says per record."""

    SUBJECT = "subject", _("you, when you contacted us")
    STAFF = "staff", _("our customer-service staff")
    THIRD_PARTY = "third_party", _("someone else, or contact details not shown to be yours")


@dataclass(frozen=True)
class Recipient:
    """One recipient a record was disclosed to (P6): named in access copies, notified on
    rectification, erasure and restriction (GDPR art. 19)."""

    name: str
    recipient_type: str
    record_type: str
    record_id: int
    disclosed_at: dt.datetime | None = None
    legal_basis: str = ""
    disclosure_type: str = ""
    disclosure_id: int | None = None


@dataclass(frozen=True)
class RecipientCategory:
    """A category of recipients (P6, art. 13(1)(e), art. 30(1)(d)): named in access copies and in
    the record of processing. A processor (art. 28) handles the data on the controller's behalf
    (hosting, email, telephony); the others receive it as a disclosure."""

    code: str
    label: str | Promise
    processor: bool = False


@dataclass(frozen=True)
class RetentionStatement:
    """How long the data of a processing activity is kept: the rule in words, and the setting
    holding its period when there is one (None: kept as long as the rule says, no fixed days)."""

    description: str | Promise
    setting: str | None = None

    @property
    def days(self) -> int | None:
        return int(getattr(settings, self.setting)) if self.setting else None


@dataclass(frozen=True)
class ProcessingActivity:
    """Processing of personal data outside the subjects' records: backups, the audit log, staff
    accounts. Declared by the app that does it, listed in the record of processing (art. 30)."""

    key: str
    name: str | Promise
    description: str | Promise
    subject_categories: Sequence[str | Promise]
    categories: Sequence[str | Promise]
    purposes: Sequence[Purpose]
    legal_bases: Sequence[LegalBasis]
    source: str | Promise
    retention: Sequence[RetentionStatement]


# A recipients provider answers, for rows of one declaration, who they were disclosed to; the app
# keeping the disclosure log registers one (one query per call, whatever the number of rows).
RecipientsProvider = Callable[[type[PersonalDataType], Sequence[int]], Iterable[Recipient]]


def _default_email(value: str) -> str:
    return (value or "").strip().lower()


def _default_phone(value: str) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit() or ch == "+")


@dataclass
class Registry:
    _types: dict[str, type[PersonalDataType]] = field(default_factory=dict)
    _keep_reasons: list[KeepReason] = field(default_factory=list)
    _exempt: dict[str, str] = field(default_factory=dict)
    _recipients_providers: list[RecipientsProvider] = field(default_factory=list)
    _recipient_categories: dict[str, RecipientCategory] = field(default_factory=dict)
    _activities: dict[str, ProcessingActivity] = field(default_factory=dict)
    # How the app owning customers normalises identifiers, so that requests match stored values.
    _normalise_email: Callable[[str], str] = _default_email
    _normalise_phone: Callable[[str], str] = _default_phone
    # The record type standing for one person at a controller (a customer), named by its app.
    _person_record: str = ""

    def register_identifier_normalisers(self, *, email: Callable[[str], str], phone: Callable[[str], str]) -> None:
        self._normalise_email = email
        self._normalise_phone = phone

    def normalise_email(self, value: str) -> str:
        """The stored form of an email address, '' when blank or malformed."""
        return self._normalise_email(value)

    def normalise_phone(self, value: str) -> str:
        """The stored (E.164) form of a phone number, '' when blank or malformed."""
        return self._normalise_phone(value)

    def register_person_record(self, key: str) -> None:
        self._person_record = key

    def person_path(self, declaration: type[PersonalDataType]) -> str | None:
        """The ORM path from a declaration's rows to the person they belong to (its scope path to
        the person record, or its parent's), None when its rows name no person. Discovery uses it
        to see an address or number that several people's records carry (a shared family phone)."""
        if not self._person_record:
            return None
        path = declaration.scope_paths.get(self._person_record)
        if path:
            return path
        if declaration.parent:
            parent_path = self.person_path(self.get(declaration.parent))
            if parent_path:
                return f"{declaration.parent_path}__{parent_path}"
        return None

    def register_recipients_provider(self, provider: RecipientsProvider) -> RecipientsProvider:
        if provider not in self._recipients_providers:
            self._recipients_providers.append(provider)
        return provider

    def unregister_recipients_provider(self, provider: RecipientsProvider) -> None:
        if provider in self._recipients_providers:
            self._recipients_providers.remove(provider)

    def recipients_for(self, declaration: type[PersonalDataType], pks: Sequence[int]) -> list[Recipient]:
        """Everyone the given rows were disclosed to, from every registered provider."""
        if not pks:
            return []
        found: list[Recipient] = []
        for provider in self._recipients_providers:
            found.extend(provider(declaration, pks))
        return found

    def register_recipient_category(self, category: RecipientCategory) -> RecipientCategory:
        """One home for who receives or handles the data: the access copy and the art. 30 record
        both read `recipient_categories()`."""
        self._recipient_categories[category.code] = category
        return category

    def recipient_categories(self, *, processors: bool | None = None) -> list[RecipientCategory]:
        """Disclosure recipients first, then processors, each in the order registered."""
        found = [c for c in self._recipient_categories.values() if processors is None or c.processor == processors]
        return sorted(found, key=lambda c: c.processor)

    def register_activity(self, activity: ProcessingActivity) -> ProcessingActivity:
        self._activities[activity.key] = activity
        return activity

    def activities(self) -> list[ProcessingActivity]:
        return list(self._activities.values())

    def register(self, declaration: type[PersonalDataType]) -> type[PersonalDataType]:
        key = declaration.key()
        if key in self._types and self._types[key] is not declaration:
            raise ValueError(f"{key} is already declared by {self._types[key].__qualname__}")
        if declaration.retention is None and declaration.parent is None:
            raise ValueError(f"{key} needs a retention rule or a parent record it lives with")
        self._types[key] = declaration
        return declaration

    def register_keep_reason(self, reason: KeepReason) -> KeepReason:
        if any(existing.code == reason.code for existing in self._keep_reasons):
            raise ValueError(f"Keep reason {reason.code!r} is already registered")
        self._keep_reasons.append(reason)
        return reason

    def exempt(self, model: type[models.Model], reason: str) -> None:
        """A model that points at personal data but holds none itself (ids only), with why."""
        self._exempt[model._meta.label_lower] = reason

    def add_scope_path(self, key: str, scope: str, path: str) -> None:
        """Another app adds a path, e.g. complaints: contacts.contact -> complaints.complaint."""
        declaration = self.get(key)
        declaration.scope_paths = {**declaration.scope_paths, scope: path}

    def get(self, key: str) -> type[PersonalDataType]:
        return self._types[key]

    def for_model(self, model: type[models.Model]) -> type[PersonalDataType] | None:
        return self._types.get(model._meta.label_lower)

    def is_exempt(self, model: type[models.Model]) -> bool:
        return model._meta.label_lower in self._exempt

    def __iter__(self) -> Iterator[type[PersonalDataType]]:
        return iter(sorted(self._types.values(), key=lambda d: d.key()))

    def __len__(self) -> int:
        return len(self._types)

    def roots(self) -> list[type[PersonalDataType]]:
        """Declarations with their own retention clock."""
        return [d for d in self if d.parent is None]

    def children_of(self, key: str) -> list[type[PersonalDataType]]:
        return [d for d in self if d.parent == key]

    def descendants_first(self, key: str) -> list[type[PersonalDataType]]:
        """A record type's dependents, deepest first, then itself: the order to delete in."""
        ordered: list[type[PersonalDataType]] = []
        for child in self.children_of(key):
            ordered.extend(self.descendants_first(child.key()))
        ordered.append(self.get(key))
        return ordered

    def keep_reasons_for(self, declaration: type[PersonalDataType]) -> list[KeepReason]:
        return [*declaration.keep_reasons(), *self._keep_reasons]

    def keep_reason_q(self, declaration: type[PersonalDataType], code: str, now: dt.datetime) -> Q | None:
        """The rows one named keep reason holds (e.g. "legal_hold" for a badge); None if none."""
        for reason in self.keep_reasons_for(declaration):
            if reason.code == code:
                return reason.q(declaration, now)
        return None

    def keep_conditions(self, declaration: type[PersonalDataType], now: dt.datetime) -> list[tuple[KeepReason, Q]]:
        """Each applicable keep reason with the rows it keeps, for this declaration at `now`."""
        conditions = []
        for reason in self.keep_reasons_for(declaration):
            condition = reason.q(declaration, now)
            if condition is not None:
                conditions.append((reason, condition))
        return conditions


registry = Registry()


def _restricted_rows(declaration: type[PersonalDataType], now: dt.datetime) -> Q | None:
    """A record under restriction of processing (art. 18, P13) is kept while it lasts."""
    return Q(**{declaration.restriction_field: True}) if declaration.restriction_field else None


RESTRICTION = registry.register_keep_reason(
    KeepReason(code="restriction", label=_("processing restricted at the data subject's request"), q=_restricted_rows)
)


def iter_subject_declarations() -> Iterable[type[PersonalDataType]]:
    """Declarations that can be matched to a subject directly by email or phone."""
    return [d for d in registry if d.email_paths or d.phone_paths]


# The hosting provider holds everything the system stores (database, files, backups); the app that
# brings data in through another processor (email, telephony, chat) registers that one.
registry.register_recipient_category(
    RecipientCategory(
        code="hosting",
        label=_("Hosting provider (servers, database, file storage and backups)"),
        processor=True,
    )
)

registry.register_activity(
    ProcessingActivity(
        key="audit_log",
        name=_("Audit log"),
        description=_(
            "Who viewed, exported, changed or deleted personal data, when and why: the type and id of "
            "the record, never its contents."
        ),
        subject_categories=(_("Staff using the customer-service system"),),
        categories=(_("staff user"), _("time"), _("action and purpose"), _("type and id of the record")),
        purposes=(Purpose.SECURITY, Purpose.ACCOUNTABILITY),
        legal_bases=(LegalBasis.LEGAL_OBLIGATION, LegalBasis.LEGITIMATE_INTEREST),
        source=_("Written by the system as staff use it."),
        retention=(
            RetentionStatement(
                _("Two years from the event, then deleted by the nightly purge."), "RETENTION_AUDIT_EVENT_DAYS"
            ),
        ),
    )
)

registry.register_activity(
    ProcessingActivity(
        key="backups",
        name=_("Backups"),
        description=_(
            "Copies of the database and the stored files, encrypted, for restoring the service after a "
            "failure. After a restore, every erasure done since the backup was taken is carried out again."
        ),
        subject_categories=(_("Every category of data subject of this record"),),
        categories=(_("every category of personal data of this record"),),
        purposes=(Purpose.RECOVERY, Purpose.SECURITY),
        legal_bases=(LegalBasis.LEGITIMATE_INTEREST, LegalBasis.LEGAL_OBLIGATION),
        source=_("Copied from the system's database and file storage."),
        retention=(
            RetentionStatement(
                _("Each backup is kept for the backup period and then destroyed."), "BACKUP_RETENTION_DAYS"
            ),
        ),
    )
)
