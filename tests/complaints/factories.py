"""Factories of the complaints app's records, for its tests and the IDOR harness."""

from __future__ import annotations

from typing import Any

from core.models import Controller
from tests.factories import _staff, make_complaint, make_contact, make_task, object_factory

__all__ = ["make_complaint", "make_contact", "make_hold", "make_task"]


@object_factory("complaints.legalhold")
def make_hold(controller: Controller, **fields: Any) -> Any:
    from complaints.models import HoldScope, LegalHold

    contacts = fields.pop("contacts", ())
    defaults: dict[str, Any] = {
        "matter": "Vahingonkorvausvaatimus",
        "reason": "Riita-asia vireillä",
        "scope": HoldScope.SUBJECT,
        "subject_emails": ["maija@example.fi"],
        "placed_by": _staff(controller, "dpo"),
    }
    hold = LegalHold.all_controllers.create(controller=controller, **{**defaults, **fields})
    hold.contacts.set(contacts)
    return hold
