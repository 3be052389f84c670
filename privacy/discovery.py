"""Subject discovery: everything the system holds about a request's subject at its controller.

Read through the personal-data registry only (no model is named here). For each declaration that
can be matched to a subject, one query per identifier path finds the rows carrying any of the
request's emails or phones (and which of them each row carries), and one more the rows matching
only by name (offered to the DPO to confirm, never acted on unconfirmed). The number of queries
therefore depends on the number of record types, never on how many records the subject has. The
other controller's rows never appear: every statement filters by the request's controller.

Invariants:
- a match records the identifiers it was found through; it is acted on (copies, erasure,
  restriction, objection, rectification: `included_records`) only when the DPO keeps it and at
  least one of those identifiers is verified, or it is a name match the DPO confirmed;
- a record found only through addresses or numbers that other people's records carry too (a
  shared family phone) may belong to someone else: it is flagged and starts excluded;
- nothing is executed on matches the DPO has not reviewed after the latest search
  (`require_matches_reviewed`, 409 `discovery_required`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.personal_data import PersonalDataType, iter_subject_declarations, registry
from privacy.models import IdentifierKind, MatchKind, PrivacyRequest, RequestIdentifier, RequestMatch
from privacy.services import InvalidRequest, require_open

# An identifier as discovery sees it: (kind, normalised value).
Identifier = tuple[str, str]


def discoverable_declarations() -> list[type[PersonalDataType]]:
    """Record types matched to a subject; the privacy app's own records are not among them."""
    return [d for d in iter_subject_declarations() if d.subject_discovery]


def _values(request: PrivacyRequest, *, verified_only: bool) -> tuple[list[str], list[str]]:
    rows = request.identifiers.all()
    if verified_only:
        rows = rows.filter(verified_at__isnull=False)
    pairs = list(rows.values_list("kind", "value"))
    emails = sorted({value for kind, value in pairs if kind == IdentifierKind.EMAIL})
    phones = sorted({value for kind, value in pairs if kind == IdentifierKind.PHONE})
    return emails, phones


def subject_identifiers(request: PrivacyRequest) -> tuple[list[str], list[str]]:
    """The emails and phones shown to be the subject's (verified): what erasure and its ledger
    act on. Discovery searches all of them (`searched_identifiers`)."""
    return _values(request, verified_only=True)


def searched_identifiers(request: PrivacyRequest) -> tuple[list[str], list[str]]:
    """Every email and phone the requester named, verified or not: discovery shows the DPO what
    each of them finds."""
    return _values(request, verified_only=False)


@dataclass
class Found:
    """One record found: how, through which identifiers, and whose (the person record's id)."""

    kind: str = MatchKind.NAME
    via: set[Identifier] = field(default_factory=set)
    persons: set[Any] = field(default_factory=set)


@dataclass
class Discovery:
    records: dict[str, dict[int, Found]]
    # Identifiers that records of more than one person carry: they may belong to someone else.
    shared: set[Identifier]

    def may_belong_to_someone_else(self, found: Found) -> bool:
        """Found only through shared identifiers (a name match is the DPO's own judgement)."""
        return found.kind == MatchKind.IDENTIFIER and bool(found.via) and found.via <= self.shared


def find_subject_records(*, controller_id: int, emails: list[str], phones: list[str], names: list[str]) -> Discovery:
    """The records at one controller carrying the identifiers or, failing them, the names; one
    query per identifier path and one per name lookup of each record type."""
    records: dict[str, dict[int, Found]] = defaultdict(dict)
    persons_of: dict[Identifier, set[Any]] = defaultdict(set)
    for declaration in discoverable_declarations():
        key = declaration.key()
        base = declaration.queryset().filter(controller_id=controller_id)
        person_path = registry.person_path(declaration)
        for kind, paths, values in (
            (IdentifierKind.EMAIL, declaration.email_paths, emails),
            (IdentifierKind.PHONE, declaration.phone_paths, phones),
        ):
            if not values:
                continue
            for path in paths:
                columns = ["pk", path, *([person_path] if person_path else [])]
                for row in base.filter(**{f"{path}__in": list(values)}).values_list(*columns).distinct():
                    pk, value, person = row[0], row[1], (row[2] if person_path else None)
                    found = records[key].setdefault(pk, Found())
                    found.kind = MatchKind.IDENTIFIER
                    found.via.add((kind, value))
                    if person is not None:
                        found.persons.add(person)
                        persons_of[(kind, value)].add(person)
        name_condition = declaration.name_q(names=names)
        if name_condition is not None:
            for pk in base.filter(name_condition).values_list("pk", flat=True).distinct():
                records[key].setdefault(pk, Found())
    shared = {identifier for identifier, persons in persons_of.items() if len(persons) > 1}
    return Discovery(records=dict(records), shared=shared)


@transaction.atomic
def request_discover(*, request: PrivacyRequest, actor: Any) -> list[RequestMatch]:
    """(Re)discover the subject's records. A DPO's earlier decision on a record is kept; what a
    record was found through, and whether it may belong to someone else, is brought up to date."""
    emails, phones = searched_identifiers(request)
    names = [request.name] if request.name else []
    discovery = find_subject_records(controller_id=request.controller_id, emails=emails, phones=phones, names=names)
    identifiers = {(i.kind, i.value): i for i in request.identifiers.all()}
    existing = {(m.record_type, m.record_id): m for m in request.matches.all()}
    new, changed = [], []
    for record_type, rows in discovery.records.items():
        for pk, found in rows.items():
            flagged = discovery.may_belong_to_someone_else(found)
            # Name-only matches, and records that may be someone else's, wait for the DPO.
            included = found.kind == MatchKind.IDENTIFIER and not flagged
            match = existing.get((record_type, pk))
            if match is None:
                new.append(
                    RequestMatch(
                        request=request,
                        record_type=record_type,
                        record_id=pk,
                        matched_by=found.kind,
                        may_belong_to_someone_else=flagged,
                        included=included,
                    )
                )
                continue
            update = {"matched_by": found.kind, "may_belong_to_someone_else": flagged}
            if match.reviewed_at is None:
                update["included"] = included
            if any(getattr(match, name) != value for name, value in update.items()):
                for name, value in update.items():
                    setattr(match, name, value)
                changed.append(match)
    RequestMatch.objects.bulk_create(new)
    RequestMatch.objects.bulk_update(changed, ["matched_by", "may_belong_to_someone_else", "included"])
    by_record = {(m.record_type, m.record_id): m for m in [*existing.values(), *new]}
    Through = RequestMatch.via.through
    Through.objects.bulk_create(
        [
            Through(requestmatch_id=by_record[(record_type, pk)].pk, requestidentifier_id=identifiers[identifier].pk)
            for record_type, rows in discovery.records.items()
            for pk, found in rows.items()
            for identifier in found.via
            if identifier in identifiers
        ],
        ignore_conflicts=True,
    )
    request.discovered_at = timezone.now()
    request.save(update_fields=["discovered_at"])
    audit_log(
        actor=actor,
        action=AuditAction.SEARCH,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        obj=request,
        details={
            "found": sum(len(rows) for rows in discovery.records.values()),
            "may_belong_to_someone_else": sum(
                1
                for rows in discovery.records.values()
                for found in rows.values()
                if discovery.may_belong_to_someone_else(found)
            ),
        },
    )
    return matches_of(request)


def matches_of(request: PrivacyRequest) -> list[RequestMatch]:
    """The request's matches with the identifiers they came through (two queries)."""
    return list(request.matches.prefetch_related("via").order_by("record_type", "record_id"))


def is_acted_on(match: RequestMatch) -> bool:
    """Kept by the DPO and found through a verified identifier, or a name the DPO confirmed.
    Reads `via` from a prefetch (`matches_of`); `acted_on_q` is the same rule in SQL."""
    if not match.included:
        return False
    return match.matched_by == MatchKind.NAME or any(identifier.verified for identifier in match.via.all())


def acted_on_q() -> Q:
    return Q(included=True) & (Q(matched_by=MatchKind.NAME) | Q(via__verified_at__isnull=False))


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
    return matches_of(request)


def require_matches_reviewed(request: PrivacyRequest) -> None:
    """No execution and no copy without discovery: the subject's records were searched after the
    last identifier was added, and the DPO reviewed what was found after the search and after the
    last identifier was verified (a verification changes what is acted on). 409 otherwise."""
    if request.discovered_at is None:
        raise Conflict(_("Search the subject's records and review what was found first."), code="discovery_required")
    latest = RequestIdentifier.all_controllers.filter(request=request).aggregate(
        added=Max("added_at"), verified=Max("verified_at")
    )
    if latest["added"] and latest["added"] > request.discovered_at:
        raise Conflict(
            _("An email address or phone number was added after the last search: search again."),
            code="discovery_required",
        )
    if not request.matches.exists():
        return
    reviewed = request.matches_reviewed_at
    if reviewed is None or reviewed < request.discovered_at:
        raise Conflict(_("Review the records found before the request is executed."), code="discovery_required")
    if latest["verified"] and reviewed < latest["verified"]:
        raise Conflict(
            _("An email address or phone number was verified after the review: review the records found again."),
            code="discovery_required",
        )


def included_records(request: PrivacyRequest) -> dict[str, list[int]]:
    """{record type: [ids]} acted on: kept by the DPO and found through a verified identifier
    (or a name the DPO confirmed). Matches through identifiers not yet verified are left out."""
    grouped: dict[str, list[int]] = defaultdict(list)
    rows = (
        request.matches.filter(acted_on_q())
        .order_by("record_type", "record_id")
        .values_list("record_type", "record_id")
        .distinct()
    )
    for record_type, record_id in rows:
        grouped[record_type].append(record_id)
    return dict(grouped)


def waiting_for_verification(request: PrivacyRequest) -> int:
    """Matches the DPO keeps that are found only through identifiers not yet verified."""
    return (
        request.matches.filter(included=True, matched_by=MatchKind.IDENTIFIER)
        .exclude(pk__in=request.matches.filter(acted_on_q()).values("pk"))
        .count()
    )


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


def records_found_by_name_only(request: PrivacyRequest) -> dict[str, set[int]]:
    """Acted-on records that came through no verified identifier (a name the DPO confirmed), and
    the rows living with them: who wrote them is not shown to be the subject."""
    found: dict[str, set[int]] = defaultdict(set)
    name_only = request.matches.filter(included=True, matched_by=MatchKind.NAME).values_list("record_type", "record_id")
    for record_type, record_id in name_only:
        found[record_type].add(record_id)
    for key, pks in list(found.items()):
        for child_key, child_pks in descendants_of(key, sorted(pks)).items():
            found[child_key].update(child_pks)
    return dict(found)


def records_with_dependents(request: PrivacyRequest) -> dict[str, list[int]]:
    """The records acted on plus every row that lives with them, deduplicated."""
    records = {key: list(pks) for key, pks in included_records(request).items()}
    for key, pks in list(records.items()):
        for child_key, child_pks in descendants_of(key, pks).items():
            merged = set(records.get(child_key, [])) | set(child_pks)
            records[child_key] = sorted(merged)
    return records
