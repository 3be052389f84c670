"""Response letters, ready to send, in the subject's language (fi, sv or en).

Every letter names the controller, answers the request, and ends with the subject's rights:
a complaint to the Data Protection Ombudsman (tietosuojavaltuutettu, tietosuoja.fi, P13) and a
judicial remedy. A letter is generated from `templates/privacy/letters/<kind>.txt` and kept with
the request as generated (a restriction may be lifted only after its notice letter exists).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.personal_data import registry
from privacy import deadlines
from privacy.models import Letter, LetterKind, PrivacyRequest


def retention_periods() -> list[tuple[str, str, int]]:
    """(record type, rule, days) of every declaration, as in force now: for letters and copies."""
    rows = []
    for declaration in registry:
        if not declaration.subject_discovery:
            continue
        for label, rule in declaration.retention_rules():
            rows.append((str(label), str(rule.description), rule.days))
    return rows


def _record_type_names(keys: Iterable[str]) -> dict[str, str]:
    return {key: str(registry.get(key).verbose_name) for key in keys}


def _keep_reason_labels() -> dict[str, str]:
    from retention.deletion import keep_reason_labels

    labels = {code: str(label) for code, label in keep_reason_labels().items()}
    labels["legal_claims_period"] = str(_("within the period for possible legal claims (art. 17(3)(e))"))
    return labels


def letter_context(request: PrivacyRequest) -> dict[str, Any]:
    report = request.execution_report or {}
    deleted = report.get("deleted", {})
    kept = report.get("kept", {})
    labels = _keep_reason_labels()
    names = _record_type_names([*deleted.keys(), *kept.keys(), *report.get("records", {}).keys()])
    return {
        "request": request,
        "controller": request.controller,
        "today": deadlines.today_in_helsinki(timezone.now()),
        "received_on": deadlines.receipt_day(request.received_at),
        "deleted": [(names[key], len(ids)) for key, ids in deleted.items() if ids],
        "kept": [
            (names[key], len(rows), sorted({labels.get(code, code) for codes in rows.values() for code in codes}))
            for key, rows in kept.items()
            if rows
        ],
        "records": [(names[key], count) for key, count in report.get("records", {}).items()],
        "rectified": report.get("rectified", []),
        "retention": retention_periods(),
    }


def letter_render(*, request: PrivacyRequest, kind: LetterKind | str, language: str | None = None) -> str:
    language = language or request.language
    with translation.override(language):
        context = letter_context(request)
        context["kind_label"] = request.get_kind_display()
        return render_to_string(f"privacy/letters/{kind}.txt", context).strip() + "\n"


def letter_generate(
    *, request: PrivacyRequest, kind: LetterKind | str, actor: Any, language: str | None = None
) -> Letter:
    language = language or request.language
    letter = Letter.all_controllers.create(
        request=request,
        controller_id=request.controller_id,
        kind=kind,
        language=language,
        body=letter_render(request=request, kind=kind, language=language),
        generated_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log(
        actor=actor,
        action=AuditAction.CREATE,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        object_type="privacy.letter",
        object_id=letter.pk,
        controller=request.controller_id,
        details={"kind": str(kind), "language": language, "request": request.pk},
    )
    return letter
