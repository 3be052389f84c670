"""Chat ingestion: one contact per website chat session, updated when the session comes again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.ingestion.stored import IngestResult
from contacts.models import Channel, ChatAuthor, ChatMessage, Contact
from contacts.services import contact_record, customer_match_or_create
from contacts.tickets import task_create
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose, Controller
from core.personal_identity_code import personal_identity_codes_masked
from core.restriction import restriction_check_writable


@dataclass(frozen=True)
class ChatLine:
    at: dt.datetime
    author: ChatAuthor | str
    text: str


def chat_ingest(
    *,
    controller: Controller,
    session_id: str,
    started_at: dt.datetime,
    name: str = "",
    email: str = "",
    phone: str = "",
    messages: Sequence[ChatLine] = (),
    actor: Any,
) -> IngestResult:
    """Store a website chat (P2), once per session: the same session again updates the visitor's
    details and adds the messages not yet stored (a full transcript posted again adds nothing).

    A personal identity code in a line is masked before it is stored, and the contact warns of
    it (core.personal_identity_code)."""
    masked_texts = [personal_identity_codes_masked(line.text) for line in messages]
    messages = [
        ChatLine(at=line.at, author=line.author, text=text)
        for line, (text, _m) in zip(messages, masked_texts, strict=True)
    ]
    name, name_masked = personal_identity_codes_masked(name)
    masked = name_masked or any(was_masked for _t, was_masked in masked_texts)
    for attempt in range(2):
        try:
            return _chat_store(
                controller=controller,
                session_id=session_id,
                started_at=started_at,
                name=name,
                email=email,
                phone=phone,
                messages=messages,
                masked=masked,
                actor=actor,
            )
        except IntegrityError:
            # The first post of the session raced with another: the other created it, so update.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _chat_subject(lines: Sequence[ChatLine]) -> str:
    first = next((line.text for line in lines if line.author == ChatAuthor.VISITOR), "")
    return " ".join(first.split())[:200]


@transaction.atomic
def _chat_store(
    *,
    controller: Controller,
    session_id: str,
    started_at: dt.datetime,
    name: str,
    email: str,
    phone: str,
    messages: Sequence[ChatLine],
    masked: bool,
    actor: Any,
) -> IngestResult:
    contact = (
        Contact.all_controllers.select_for_update()
        .filter(controller=controller, chat_session_id=session_id, channel=Channel.CHAT)
        .first()
    )
    created = contact is None
    if contact is None:
        # A new chat is new work: it opens a ticket for the inbox, as a new email thread does.
        customer = customer_match_or_create(controller=controller, name=name, email=email, phone=phone)
        subject = _chat_subject(messages)
        task = task_create(
            controller=controller,
            title=subject or str(_("(chat)")),
            customer=customer,
            channel=Channel.CHAT,
            now=started_at if started_at < timezone.now() else None,
        )
        contact = contact_record(
            controller=controller,
            channel=Channel.CHAT,
            occurred_at=started_at,
            name=name,
            email=email,
            phone=phone,
            subject=subject,
            chat_session_id=session_id,
            personal_identity_code_masked=masked,
            task=task,
            customer=customer,
        )
        stored: list[ChatLine] = []
    else:
        # A restricted chat (art. 18) is kept as it is: the session posted again is a Conflict.
        restriction_check_writable(contact)
        customer = customer_match_or_create(controller=controller, name=name, email=email, phone=phone)
        contact.occurred_at = min(contact.occurred_at, started_at)
        contact.name = name.strip()[:200] or contact.name
        if email.strip():
            contact.email, contact.email_normalized = email.strip()[:254], normalise_email_or_blank(email)
        if phone.strip():
            contact.phone, contact.phone_e164 = phone.strip()[:40], normalise_phone_or_blank(phone)
        contact.customer = contact.customer or customer
        stored = [
            ChatLine(at=m.at, author=m.author, text=m.text)
            for m in ChatMessage.all_controllers.filter(contact=contact).order_by("position")
        ]
        contact.subject = contact.subject or _chat_subject(messages)
        contact.personal_identity_code_masked |= masked
        contact.save()
    known = {(line.at, str(line.author), line.text) for line in stored}
    new = [line for line in messages if (line.at, str(line.author), line.text) not in known]
    new = list({(line.at, str(line.author), line.text): line for line in new}.values())
    if new:
        transcript = sorted([*stored, *new], key=lambda line: line.at)
        ChatMessage.all_controllers.filter(contact=contact).delete()
        ChatMessage.all_controllers.bulk_create(
            ChatMessage(
                controller=controller,
                contact=contact,
                position=position,
                at=line.at,
                author=line.author,
                text=line.text,
            )
            for position, line in enumerate(transcript)
        )
    audit_log(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        purpose=AuditPurpose.INTEGRATION,
        obj=contact,
        details={"channel": Channel.CHAT, "messages_added": len(new)},
    )
    return IngestResult(contact=contact, created=created)
