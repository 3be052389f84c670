"""The record of processing activities (GDPR art. 30(1)), one per controller, generated from the
apps' declarations and the retention settings in force, so that it cannot drift from the code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.models import Controller
from core.personal_data import LegalBasis, Purpose, registry

SUBJECT_CATEGORIES = (
    _("Customers of the controller and their contact persons who contact customer service"),
    _("Persons giving feedback or making complaints"),
    _("Persons making data-protection requests"),
)
RECIPIENT_CATEGORIES = (
    _("Retta group companies, for developing operations and using legal remedies"),
    _("Insurance companies and legal counsel, when needed for legal claims"),
    _("Authorities, as the law requires"),
    _("Processors acting for the controller (hosting, telephony, email)"),
)
TRANSFERS = _("As a rule, personal data is not transferred outside the EU or the EEA.")
SECURITY_MEASURES = (
    _("Access only for staff whose work needs it: roles, and each controller's data kept apart"),
    _("Two-factor login for the data protection officer and administrators"),
    _("An append-only audit log of every view, export, change and deletion of personal data"),
    _("Encrypted transport (HTTPS, HSTS); private file storage handed out only through checks"),
    _("Automatic deletion when the retention period ends, including files and generated copies"),
    _("Sanitised display of incoming email; size and format checks of uploaded files"),
)


@dataclass
class ProcessingEntry:
    name: str
    description: str
    categories: list[str]
    purposes: list[str]
    legal_bases: list[str]
    source: str
    retention: list[tuple[str, str, int]] = field(default_factory=list)


def processing_record(*, controller: Controller, today: dt.date) -> dict[str, Any]:
    entries = []
    for declaration in registry:
        rules = declaration.retention_rules()
        if not rules and declaration.parent:
            rules = registry.get(declaration.parent).retention_rules()
        entries.append(
            ProcessingEntry(
                name=str(declaration.verbose_name),
                description=str(declaration.description),
                categories=[str(c) for c in declaration.categories],
                purposes=[str(Purpose(p).label) for p in declaration.purposes],
                legal_bases=[str(LegalBasis(b).label) for b in declaration.legal_bases],
                source=str(declaration.source),
                retention=[(str(label), str(rule.description), rule.days) for label, rule in rules],
            )
        )
    purposes = sorted({p for entry in entries for p in entry.purposes})
    return {
        "controller": controller,
        "date": today,
        "purposes": purposes,
        "subject_categories": [str(c) for c in SUBJECT_CATEGORIES],
        "recipient_categories": [str(c) for c in RECIPIENT_CATEGORIES],
        "transfers": str(TRANSFERS),
        "security_measures": [str(m) for m in SECURITY_MEASURES],
        "entries": entries,
    }
