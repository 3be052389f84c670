"""Response letters, ready to send, in the subject's language (fi, sv or en).

Every letter names the controller, answers the request, and ends with the subject's rights:
a complaint to the Data Protection Ombudsman (tietosuojavaltuutettu, tietosuoja.fi, P13) and a
judicial remedy. A letter is generated from `templates/privacy/letters/<kind>.txt` and kept with
the request as generated (a restriction may be lifted only after its notice letter exists).

A letter is sent by email only to an address shown to be the requester's (a verified identifier),
never to one they merely named. The delivery is saved first and sent after the commit by a task
(`privacy.send_letter`), at most once: the row is locked while sending, a sent letter is never
sent again, and a failure is kept and tried again by the periodic resend.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.personal_data import registry
from core.queueing import enqueue_committed
from privacy import deadlines
from privacy.models import DeliveryStatus, Letter, LetterDelivery, LetterKind, PrivacyRequest

logger = logging.getLogger(__name__)
# Stored with the delivery when sending fails: enough to tell a refusal from a timeout.
_ERROR_CHARS = 1000


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


def keep_reason_names() -> dict[str, str]:
    """Each reason to keep a record, by its code, as the subject and the DPO read it."""
    from retention.deletion import keep_reason_labels

    labels = {code: str(label) for code, label in keep_reason_labels().items()}
    labels["legal_claims_period"] = str(_("within the period for possible legal claims (art. 17(3)(e))"))
    return labels


def letter_context(request: PrivacyRequest) -> dict[str, Any]:
    report = request.execution_report or {}
    deleted = report.get("deleted", {})
    kept = report.get("kept", {})
    labels = keep_reason_names()
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


def letter_send(*, letter: Letter, actor: Any, to_address: str = "") -> LetterDelivery:
    """Queue a letter for sending by email to the requester's verified address (the first one,
    or `to_address` when it is one of them). Conflict when the request has none."""
    request = letter.request
    verified = request.verified_emails
    if not verified:
        raise Conflict(
            gettext("The requester has no verified email address: the letter cannot be sent by email."),
            code="no_verified_email",
        )
    address = registry.normalise_email(to_address) if to_address else verified[0]
    if address not in verified:
        raise Conflict(
            gettext("Letters are sent only to an email address verified as the requester's."),
            code="address_not_verified",
        )
    try:
        with transaction.atomic():
            delivery = LetterDelivery.all_controllers.create(
                letter=letter,
                controller_id=letter.controller_id,
                to_address=address,
                queued_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            audit_log(
                actor=actor,
                action=AuditAction.SEND,
                purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
                object_type="privacy.letter",
                object_id=letter.pk,
                controller=letter.controller_id,
                details={"delivery": delivery.pk, "request": request.pk, "queued": True},
            )
            transaction.on_commit(lambda: letter_send_enqueue(delivery_id=delivery.pk))
    except IntegrityError as error:
        raise Conflict(
            gettext("This letter is already sent, or waiting to be sent, to that address."), code="already_sent"
        ) from error
    return delivery


def letter_send_enqueue(*, delivery_id: int) -> None:
    from privacy.tasks import send_letter

    enqueue_committed(send_letter, args=(delivery_id,))


def _subject_line(letter: Letter) -> str:
    with translation.override(letter.language):
        return gettext("Your request no. %(number)s: %(kind)s") % {
            "number": letter.request_id,
            "kind": letter.request.get_kind_display(),
        }


def letter_deliver(*, delivery_id: int) -> str | None:
    """Send one queued letter through Django's email backend, at most once (the row is locked
    while sending). Returns the status reached, None when there is nothing to send."""
    with transaction.atomic():
        delivery = (
            LetterDelivery.all_controllers.select_for_update(of=("self",))
            .select_related("letter__request__controller")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status == DeliveryStatus.SENT:
            return delivery.status if delivery else None
        if delivery.attempts >= settings.REPLY_SEND_MAX_ATTEMPTS:
            return DeliveryStatus.FAILED
        letter = delivery.letter
        controller = letter.request.controller
        message = EmailMessage(
            subject=_subject_line(letter),
            body=letter.body,
            from_email=controller.privacy_contact_email or settings.DEFAULT_FROM_EMAIL,
            to=[delivery.to_address],
            reply_to=[controller.privacy_contact_email] if controller.privacy_contact_email else None,
        )
        delivery.attempts += 1
        try:
            get_connection(fail_silently=False).send_messages([message])
        except Exception as error:  # noqa: BLE001 (any backend failure is recorded and retried)
            logger.warning("Sending letter delivery %s failed: %s", delivery.pk, type(error).__name__)
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
            delivery.save(update_fields=["status", "error", "attempts"])
            return DeliveryStatus.FAILED
        delivery.status, delivery.error, delivery.sent_at = DeliveryStatus.SENT, "", timezone.now()
        delivery.save(update_fields=["status", "error", "attempts", "sent_at"])
        audit_log(
            actor="send_letter",
            action=AuditAction.SEND,
            purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
            object_type="privacy.letter",
            object_id=letter.pk,
            controller=letter.controller_id,
            details={"delivery": delivery.pk, "attempts": delivery.attempts},
        )
        return DeliveryStatus.SENT


def letters_unsent(*, limit: int = 100) -> list[int]:
    """Deliveries waiting, or failed with attempts left, oldest first: the periodic resend."""
    return list(
        LetterDelivery.all_controllers.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED],
            attempts__lt=settings.REPLY_SEND_MAX_ATTEMPTS,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
