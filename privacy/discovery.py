"""Subject discovery: everything the system holds about a request's subject at its controller.

Read through the personal-data registry only (no model is named here). For each declaration that
can be matched to a subject, one query finds the rows with any of the subject's normalised
emails or phones, and one more the rows matching only by name (offered to the DPO to confirm,
never acted on unconfirmed). The number of queries therefore depends on the number of record
types, never on how many records the subject has. The other controller's rows never appear:
every statement filters by the request's controller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.personal_data import PersonalDataType, iter_subject_declarations, registry
from privacy.models import MatchKind, PrivacyRequest, RequestMatch
from privacy.services import InvalidRequest, require_open


def discoverable_declarations() -> list[type[PersonalDataType]]:
    """Record types matched to a subject; the privacy app's own records are not among them."""
    return [d for d in iter_subject_declarations() if d.subject_discovery]


def subject_identifiers(request: PrivacyRequest) -> tuple[list[str], list[str]]:
    emails = [e for e in (registry.normalise_email(v) for v in request.emails) if e]
    phones = [p for p in (registry.normalise_phone(v) for v in request.phones) if p]
    return sorted(set(emails)), sorted(set(phones))


def find_subject_records(
    *, controller_id: int, emails: list[str], phones: list[str], names: list[str]
) -> dict[str, dict[int, str]]:
    """{record type: {id: match kind}} at one controller; identifier matches win over names."""
    found: dict[str, dict[int, str]] = defaultdict(dict)
    for declaration in discoverable_declarations():
        base = declaration.queryset().filter(controller_id=controller_id)
        condition = declaration.subject_q(emails=emails, phones=phones)
        if condition is not None:
            for pk in base.filter(condition).values_list("pk", flat=True).distinct():
                found[declaration.key()][pk] = MatchKind.IDENTIFIER
        name_condition = declaration.name_q(names=names)
        if name_condition is not None:
            for pk in base.filter(name_condition).values_list("pk", flat=True).distinct():
                found[declaration.key()].setdefault(pk, MatchKind.NAME)
    return dict(found)


@transaction.atomic
def request_discover(*, request: PrivacyRequest, actor: Any) -> list[RequestMatch]:
    """(Re)discover the subject's records. A DPO's earlier decision on a record is kept."""
    emails, phones = subject_identifiers(request)
    names = [request.name] if request.name else []
    found = find_subject_records(controller_id=request.controller_id, emails=emails, phones=phones, names=names)
    existing = {(m.record_type, m.record_id): m for m in request.matches.all()}
    new = [
        RequestMatch(
            request=request,
            record_type=record_type,
            record_id=pk,
            matched_by=kind,
            # Name-only matches wait for the DPO's confirmation.
            included=kind == MatchKind.IDENTIFIER,
        )
        for record_type, rows in found.items()
        for pk, kind in rows.items()
        if (record_type, pk) not in existing
    ]
    RequestMatch.objects.bulk_create(new)
    request.discovered_at = timezone.now()
    request.save(update_fields=["discovered_at"])
    audit_log(
        actor=actor,
        action=AuditAction.SEARCH,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        obj=request,
        details={"found": sum(len(rows) for rows in found.values())},
    )
    return list(request.matches.order_by("record_type", "record_id"))


@transaction.atomic
def matches_review(
    *, request: PrivacyRequest, actor: Any, include: Iterable[int] = (), exclude: Iterable[int] = ()
) -> list[RequestMatch]:
    """The DPO confirms name matches and excludes false ones (by match id)."""
    require_open(request)
    now = timezone.now()
    include, exclude = set(include), set(exclude)
    known = set(request.matches.filter(pk__in=include | exclude).values_list("pk", flat=True))
    unknown = (include | exclude) - known
    if unknown:
        raise InvalidRequest(
            "matches", _("Unknown match ids: %(ids)s") % {"ids": ", ".join(str(i) for i in sorted(unknown))}
        )
    if include & exclude:
        raise InvalidRequest("matches", _("A match cannot be both included and excluded."))
    request.matches.filter(pk__in=include).update(included=True, reviewed_by=actor, reviewed_at=now)
    request.matches.filter(pk__in=exclude).update(included=False, reviewed_by=actor, reviewed_at=now)
    request.matches_reviewed_at = now
    request.save(update_fields=["matches_reviewed_at"])
    audit_log(
        actor=actor,
        action=AuditAction.CHANGE,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        obj=request,
        details={"included": len(include), "excluded": len(exclude)},
    )
    return list(request.matches.order_by("record_type", "record_id"))


def included_records(request: PrivacyRequest) -> dict[str, list[int]]:
    """{record type: [ids]} the DPO keeps in the request, in registry order."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for record_type, record_id in (
        request.matches.filter(included=True)
        .order_by("record_type", "record_id")
        .values_list("record_type", "record_id")
    ):
        grouped[record_type].append(record_id)
    return dict(grouped)


def descendants_of(key: str, pks: list[int]) -> dict[str, list[int]]:
    """The rows living with the given rows (an email and its attachments under a contact):
    one query per dependent record type."""
    found: dict[str, list[int]] = {}
    for child in registry.children_of(key):
        child_pks = list(
            child.queryset().filter(**{f"{child.parent_path}__in": pks}).order_by("pk").values_list("pk", flat=True)
        )
        if child_pks:
            found[child.key()] = child_pks
            for grandchild_key, grandchild_pks in descendants_of(child.key(), child_pks).items():
                found.setdefault(grandchild_key, []).extend(grandchild_pks)
    return found


def records_with_dependents(request: PrivacyRequest) -> dict[str, list[int]]:
    """The included matches plus every row that lives with them, deduplicated."""
    records = {key: list(pks) for key, pks in included_records(request).items()}
    for key, pks in list(records.items()):
        for child_key, child_pks in descendants_of(key, pks).items():
            merged = set(records.get(child_key, [])) | set(child_pks)
            records[child_key] = sorted(merged)
    return records
