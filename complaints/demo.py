"""Demo complaints, feedback, a disclosure and a legal hold (`manage.py seed_demo`).

Safe to run twice: each demo complaint is recognised by its controller and subject, the hold by
its matter, and is skipped when it exists. Contacts come through contacts.services.contact_record
(the one way a contact is created), matched to customers by email and phone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintKind, ComplaintStatus, HoldScope, LegalHold, RecipientType
from contacts.services import contact_record
from core.models import Controller

# (controller, subject, kind, final status, days ago, the contact it came from)
DEMO_COMPLAINTS = [
    (
        "retta-isannointi",
        "Vastikelaskussa kahdesti sama kuukausi",
        ComplaintKind.COMPLAINT,
        ComplaintStatus.RECEIVED,
        12,
        {
            "channel": "email",
            "name": "Maija Meikäläinen",
            "email": "maija.meikalainen@example.fi",
            "phone": "040 123 4567",
        },
    ),
    (
        "retta-isannointi",
        "Huoltoyhtiö ei saapunut sovittuna aikana",
        ComplaintKind.COMPLAINT,
        ComplaintStatus.IN_HANDLING,
        30,
        {"channel": "call", "name": "Matti Virtanen", "phone": "050 765 4321"},
    ),
    (
        "retta-isannointi",
        "Kiitos nopeasta vesivahingon hoidosta",
        ComplaintKind.FEEDBACK,
        ComplaintStatus.CLOSED,
        45,
        {"channel": "chat", "name": "Liisa Korhonen", "email": "liisa.korhonen@example.fi"},
    ),
    (
        "retta-oy",
        "Isännöitsijä ei vastaa sähköposteihin",
        ComplaintKind.COMPLAINT,
        ComplaintStatus.RESOLVED,
        20,
        {"channel": "email", "name": "Anna Nieminen", "email": "anna.nieminen@example.fi"},
    ),
]
WORKFLOW = [ComplaintStatus.IN_HANDLING, ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED]
HOLD_MATTER = "Vahingonkorvausvaatimus, vastikelaskutus"


def seed(*, users: dict[str, Any], stdout: Any) -> None:
    agent, handler, dpo = users["agentti"], users["kasittelija"], users["tietosuoja"]
    now = timezone.now()
    created = 0
    for slug, subject, kind, status, days_ago, contact_fields in DEMO_COMPLAINTS:
        controller = Controller.objects.get(slug=slug)
        if Complaint.all_controllers.filter(controller=controller, subject=subject).exists():
            continue
        contact = contact_record(
            controller=controller,
            occurred_at=now - dt.timedelta(days=days_ago),
            subject=subject,
            body=subject,
            agent=agent,
            **contact_fields,
        )
        complaint = services.complaint_from_contact(contact=contact, actor=agent, subject=subject, kind=kind)
        if status != ComplaintStatus.RECEIVED:
            services.complaint_assign(complaint=complaint, handler=handler, actor=handler)
        for step in WORKFLOW:
            if status == ComplaintStatus.RECEIVED:
                break
            if step == ComplaintStatus.RESOLVED:
                services.complaint_update(
                    complaint=complaint, actor=handler, resolution="Asiakkaalle vastattu ja asia korjattu."
                )
            services.complaint_transition(complaint=complaint, to=step, actor=handler, note="")
            if step == status:
                break
        created += 1
    isannointi = Controller.objects.get(slug="retta-isannointi")
    first = Complaint.all_controllers.filter(controller=isannointi, subject=DEMO_COMPLAINTS[0][1]).first()
    if first is not None and not first.disclosures.exists():
        services.disclosure_record(
            controller=isannointi,
            actor=handler,
            recipient_type=RecipientType.INSURER,
            recipient_name="Vakuutusyhtiö Esimerkki Oy",
            legal_basis="Vahingonkorvausvaatimuksen selvittäminen (oikeutettu etu)",
            description="Reklamaation kuvaus ja asiakkaan sähköpostiviesti",
            complaint=first,
            contacts=list(first.contacts.all()),
        )
    if not LegalHold.all_controllers.filter(controller=isannointi, matter=HOLD_MATTER).exists():
        services.legal_hold_place(
            controller=isannointi,
            actor=dpo,
            matter=HOLD_MATTER,
            reason="Asiakas on ilmoittanut hakevansa vahingonkorvausta; aineisto säilytetään.",
            scope=HoldScope.SUBJECT,
            emails=["maija.meikalainen@example.fi"],
            phones=["040 123 4567"],
        )
    stdout.write(f"Complaints: {created} demo complaints created, a disclosure and a legal hold in place.")
