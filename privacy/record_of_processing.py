"""The record of processing activities (GDPR art. 30(1)), one per controller, generated from the
apps' declarations, their processing activities (backups, the audit log, staff accounts), the
recipient categories of the registry and the retention settings in force, so that it cannot
drift from the code.

The two controllers serve different people (P1): Retta Isännöinti Oy its own customers, Retta Oy
its customers' customers. What differs per controller is `CONTROLLER_PROFILES`; everything else
is read from the registry. A new statement (a section of the record) is one more key of the
dictionary `processing_record` returns and one block in `_processing_record.html`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.models import Controller
from core.personal_data import (
    LEGITIMATE_INTEREST_PURPOSES,
    LegalBasis,
    PersonalDataType,
    ProcessingActivity,
    Purpose,
    registry,
)


@dataclass(frozen=True)
class ControllerProfile:
    """What one controller's customer service is, and whose data it holds (art. 30(1)(a), (c))."""

    service: str | Promise
    subject_categories: tuple[str | Promise, ...]


REQUESTERS = _("Persons making data-protection requests, and persons they name")
COMPLAINANTS = _("Persons giving feedback or making complaints")

CONTROLLER_PROFILES: dict[str, ControllerProfile] = {
    "retta-isannointi": ControllerProfile(
        service=_(
            "Customer service and the handling of feedback and complaints for Retta Isännöinti Oy's own "
            "customers, under the contract with them."
        ),
        subject_categories=(
            _("Customers of Retta Isännöinti Oy and their contact persons who contact customer service"),
            _("Potential customers and other stakeholders who contact customer service"),
            COMPLAINANTS,
            REQUESTERS,
        ),
    ),
    "retta-oy": ControllerProfile(
        service=_(
            "Customer service and the handling of feedback and complaints that Retta Oy provides for the "
            "customers of its customers."
        ),
        subject_categories=(
            _("Customers of Retta Oy's customers who contact customer service"),
            _("Potential customers and other stakeholders who contact customer service"),
            COMPLAINANTS,
            REQUESTERS,
        ),
    ),
}
# A controller added later without a profile of its own still gets a complete record.
DEFAULT_PROFILE = ControllerProfile(
    service=_("Customer service and the handling of feedback and complaints."),
    subject_categories=(
        _("Customers and other persons who contact customer service"),
        COMPLAINANTS,
        REQUESTERS,
    ),
)

TRANSFERS = _("As a rule, personal data is not transferred outside the EU or the EEA.")
SECURITY_MEASURES = (
    _("Access only for staff whose work needs it: roles, and each controller's data kept apart"),
    _("Two-factor login for the data protection officer and administrators"),
    _("An append-only audit log of every view, export, change and deletion of personal data"),
    _("Encrypted transport (HTTPS, HSTS); private file storage handed out only through checks"),
    _("Automatic deletion when the retention period ends, including files and generated copies"),
    _("Encrypted backups, kept for a set period; erasures carried out again after a restore"),
    _("Sanitised display of incoming email; size and format checks of uploaded files"),
    _(
        "Personal identity codes are not processed: refused when staff type one, masked when a customer "
        "writes one in an email or a chat"
    ),
)
# Art. 21 (P12), as core.objection carries it out.
OBJECTION_HANDLING = _(
    "A person may object to processing based on legitimate interest. Unless compelling legitimate grounds "
    "are recorded, the objection is recorded on the customer (who recorded it and when) and on each of their "
    "records, and records that arrive later from the same email address or phone number carry it too. Records "
    "of a person who objected are left out of every use resting on legitimate interest: %(uses)s."
)
LEGITIMATE_INTEREST_USES = (
    _("the random quality sample of customer-service contacts"),
    _("the statistics of complaints and feedback"),
)


@dataclass
class ProcessingEntry:
    name: str
    description: str
    categories: list[str]
    purposes: list[str]
    legal_bases: list[str]
    source: str
    # (what it applies to, the rule in words, the period in days or None when there is none)
    retention: list[tuple[str, str, int | None]] = field(default_factory=list)


def profile_of(controller: Controller) -> ControllerProfile:
    return CONTROLLER_PROFILES.get(controller.slug, DEFAULT_PROFILE)


def _labels(values: Any, choices: Any) -> list[str]:
    return [str(choices(value).label) for value in values]


def entry_of_declaration(declaration: type[PersonalDataType]) -> ProcessingEntry:
    """A record type of the registry; one living with its parent keeps the parent's periods."""
    rules = declaration.retention_rules()
    if not rules and declaration.parent:
        rules = registry.get(declaration.parent).retention_rules()
    return ProcessingEntry(
        name=str(declaration.verbose_name),
        description=str(declaration.description),
        categories=[str(c) for c in declaration.categories],
        purposes=_labels(declaration.purposes, Purpose),
        legal_bases=_labels(declaration.legal_bases, LegalBasis),
        source=str(declaration.source),
        retention=[(str(label), str(rule.description), rule.days) for label, rule in rules],
    )


def entry_of_activity(activity: ProcessingActivity) -> ProcessingEntry:
    return ProcessingEntry(
        name=str(activity.name),
        description=str(activity.description),
        categories=[str(c) for c in activity.categories],
        purposes=_labels(activity.purposes, Purpose),
        legal_bases=_labels(activity.legal_bases, LegalBasis),
        source=str(activity.source),
        retention=[(str(activity.name), str(rule.description), rule.days) for rule in activity.retention],
    )


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def processing_record(*, controller: Controller, today: dt.date) -> dict[str, Any]:
    profile = profile_of(controller)
    entries = [entry_of_declaration(declaration) for declaration in registry]
    activities = registry.activities()
    other_entries = [entry_of_activity(activity) for activity in activities]
    purposes = sorted({p for entry in [*entries, *other_entries] for p in entry.purposes})
    subject_categories = _unique(
        [str(c) for c in profile.subject_categories]
        + [str(c) for activity in activities for c in activity.subject_categories]
    )
    return {
        "controller": controller,
        "date": today,
        "service": str(profile.service),
        "purposes": purposes,
        "subject_categories": subject_categories,
        "recipient_categories": [str(c.label) for c in registry.recipient_categories(processors=False)],
        "processors": [str(c.label) for c in registry.recipient_categories(processors=True)],
        "transfers": str(TRANSFERS),
        "security_measures": [str(m) for m in SECURITY_MEASURES],
        "objection": {
            "purposes": _labels(sorted(LEGITIMATE_INTEREST_PURPOSES), Purpose),
            "handling": str(OBJECTION_HANDLING % {"uses": "; ".join(str(u) for u in LEGITIMATE_INTEREST_USES)}),
        },
        "entries": entries,
        "other_entries": other_entries,
    }
