"""Writes of the contacts app. Views, serializers, tasks and commands call these."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.models import Customer, CustomerEmail, CustomerPhone
from core.models import Controller


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
