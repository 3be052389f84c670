"""Writes of the contacts app. Views, serializers, tasks and commands call these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.models import Channel, Contact, Customer, CustomerEmail, CustomerPhone, Direction, Task
from core.models import Controller


@transaction.atomic
def contact_record(
    *,
    controller: Controller,
    channel: Channel | str,
    occurred_at: dt.datetime,
    direction: Direction | str = Direction.INBOUND,
    name: str = "",
    email: str = "",
    phone: str = "",
    subject: str = "",
    body: str = "",
    agent: Any = None,
    task: Task | None = None,
    customer: Customer | None = None,
    chat_session_id: str | None = None,
) -> Contact:
    """Save one contact as the customer gave their details (P2), matched to its customer.

    The one way a contact is created, whatever the channel: the API, the call form, email, chat
    and call ingestion all come here. The given email and phone are kept as given and in their
    normalised forms; `customer` overrides matching (an agent's explicit choice).
    """
    if task is not None and task.controller_id != controller.pk:
        raise ValueError("A contact and its task belong to the same controller.")
    if customer is None:
        customer = customer_match_or_create(controller=controller, name=name, email=email, phone=phone)
    elif customer.controller_id != controller.pk:
        raise ValueError("A contact and its customer belong to the same controller.")
    return Contact.all_controllers.create(
        controller=controller,
        channel=channel,
        direction=direction,
        occurred_at=occurred_at,
        name=name.strip()[:200],
        email=email.strip()[:254],
        email_normalized=normalise_email_or_blank(email),
        phone=phone.strip()[:40],
        phone_e164=normalise_phone_or_blank(phone),
        subject=subject[:500],
        body=body,
        agent=agent,
        task=task,
        customer=customer,
        chat_session_id=chat_session_id,
    )


@transaction.atomic
def customer_match_or_create(
    *, controller: Controller, name: str = "", email: str = "", phone: str = ""
) -> Customer | None:
    """The customer with this email or phone at this controller, or a new one (P2).

    Email is tried first, then phone; identifiers not yet known are added to the customer found.
    With neither an email nor a phone there is nothing to match on: None.
    """
    email = normalise_email_or_blank(email)
    phone = normalise_phone_or_blank(phone)
    if not email and not phone:
        return None
    customer = None
    if email:
        found = CustomerEmail.all_controllers.filter(controller=controller, email=email).select_related("customer")
        customer = next((row.customer for row in found[:1]), None)
    if customer is None and phone:
        found = CustomerPhone.all_controllers.filter(controller=controller, phone=phone).select_related("customer")
        customer = next((row.customer for row in found[:1]), None)
    if customer is None:
        customer = Customer.all_controllers.create(controller=controller, name=name.strip()[:200])
    elif name and not customer.name:
        customer.name = name.strip()[:200]
        customer.save(update_fields=["name", "updated_at"])
    _customer_add_identifiers(customer=customer, email=email, phone=phone)
    return customer


def _customer_add_identifiers(*, customer: Customer, email: str, phone: str) -> None:
    # A concurrent request may add the same identifier: the unique constraint decides, and the
    # savepoint keeps the outer transaction usable.
    if email:
        try:
            with transaction.atomic():
                CustomerEmail.all_controllers.get_or_create(
                    controller_id=customer.controller_id, email=email, defaults={"customer": customer}
                )
        except IntegrityError:
            pass
    if phone:
        try:
            with transaction.atomic():
                CustomerPhone.all_controllers.get_or_create(
                    controller_id=customer.controller_id, phone=phone, defaults={"customer": customer}
                )
        except IntegrityError:
            pass
