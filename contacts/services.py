"""Writes of the contacts app. Views, serializers, tasks and commands call these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalise_email_or_blank, normalise_phone_or_blank
from contacts.models import (
    Channel,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Direction,
    SavedInboxFilter,
    Task,
)
from contacts.selectors import customer_match
from contacts.tickets import task_contact_linked
from core.errors import Conflict
from core.models import Controller
from core.objection import objection_inherited
from core.restriction import (
    is_restricted,
    restriction_check_linkable,
    restriction_check_unreferenced,
    restriction_check_writable,
)


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
    personal_identity_code_masked: bool = False,
) -> Contact:
    """Save one contact as the customer gave their details (P2), matched to its customer.

    The one way a contact is created, whatever the channel: the API, the call form, email, chat
    and call ingestion all come here. The given email and phone are kept as given and in their
    normalised forms; `customer` overrides matching (an agent's explicit choice). A customer who
    objected passes the objection on to the new contact (core.objection).
    """
    if task is not None and task.controller_id != controller.pk:
        raise ValueError("A contact and its task belong to the same controller.")
    if customer is None:
        customer = customer_match_or_create(controller=controller, name=name, email=email, phone=phone)
    elif customer.controller_id != controller.pk:
        raise ValueError("A contact and its customer belong to the same controller.")
    contact = Contact.all_controllers.create(
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
        processing_objected=objection_inherited(customer),
        personal_identity_code_masked=personal_identity_code_masked,
    )
    if task is not None:
        task_contact_linked(task=task, contact=contact)
    return contact


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
    customer = customer_match(controller=controller, email=email, phone=phone)
    if customer is None:
        customer = Customer.all_controllers.create(controller=controller, name=name.strip()[:200])
    elif is_restricted(customer):
        # New contacts of a restricted person are linked to their record, which stays as it was.
        return customer
    elif name and not customer.name:
        customer.name = name.strip()[:200]
        customer.save(update_fields=["name", "updated_at"])
    _customer_add_identifiers(customer=customer, email=email, phone=phone)
    return customer


@transaction.atomic
def customer_create(*, controller: Controller, name: str) -> Customer:
    """A customer known by name only (a letter without an address to match on): no identifiers,
    so nothing will match it later; agents merge duplicates on the customer page."""
    return Customer.all_controllers.create(controller=controller, name=name.strip()[:200])


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


# -- changes agents make: contact details, tasks, customer links --------------------------------
CONTACT_EDITABLE_FIELDS = ("direction", "name", "email", "phone", "subject", "body", "task")


def contact_check_editable(contact: Contact) -> None:
    """A restricted contact (art. 18) is read-only: Conflict (HTTP 409, core.restriction)."""
    restriction_check_writable(contact)


@transaction.atomic
def contact_update(*, contact: Contact, changes: dict[str, Any]) -> Contact:
    """Change what an agent may change on a contact; identifiers are stored normalised again.

    The customer link stays as it is: moving a contact to another customer is `contact_relink`.
    A restricted contact (art. 18) is read-only: Conflict.
    """
    contact_check_editable(contact)
    unknown = set(changes) - set(CONTACT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    task = changes.get("task", contact.task)
    if task is not None and task.controller_id != contact.controller_id:
        raise ValueError("A contact and its task belong to the same controller.")
    joins_task = task is not None and task.pk != contact.task_id
    for field_name, value in changes.items():
        setattr(contact, field_name, value)
    if "email" in changes:
        contact.email = (changes["email"] or "").strip()[:254]
        contact.email_normalized = normalise_email_or_blank(contact.email)
    if "phone" in changes:
        contact.phone = (changes["phone"] or "").strip()[:40]
        contact.phone_e164 = normalise_phone_or_blank(contact.phone)
    contact.save()
    if joins_task:
        task_contact_linked(task=task, contact=contact)
    return contact


@transaction.atomic
def contact_relink(*, contact: Contact, customer: Customer) -> Contact:
    """An agent corrects the customer a contact was matched to (same controller only); a
    restricted customer takes no new contacts (art. 18)."""
    contact_check_editable(contact)
    restriction_check_linkable(customer)
    if customer.controller_id != contact.controller_id:
        raise ValueError("A contact and its customer belong to the same controller.")
    contact.customer = customer
    contact.processing_objected = contact.processing_objected or objection_inherited(customer)
    contact.save(update_fields=["customer", "processing_objected", "updated_at"])
    return contact


@transaction.atomic
def customer_update(*, customer: Customer, name: str, emails: list[str], phones: list[str]) -> dict[str, Any]:
    """An agent corrects a customer's name and identifiers (given already normalised: lower-cased
    addresses, E.164 numbers). Identifiers removed stop matching; an identifier another customer
    of the controller has is refused (Conflict): that is a duplicate to merge, not to steal.
    Returns what changed, by field, for the audit trail (names of fields, never values).
    A restricted customer (art. 18) is read-only: Conflict."""
    restriction_check_writable(customer)
    taken = (
        CustomerEmail.all_controllers.filter(controller_id=customer.controller_id, email__in=emails)
        .exclude(customer=customer)
        .exists()
        or CustomerPhone.all_controllers.filter(controller_id=customer.controller_id, phone__in=phones)
        .exclude(customer=customer)
        .exists()
    )
    if taken:
        raise Conflict(
            _("Another customer already has this email address or phone number: merge the two customers instead."),
            code="identifier_taken",
        )
    changed: dict[str, Any] = {}
    name = name.strip()[:200]
    if name != customer.name:
        customer.name = name
        customer.save(update_fields=["name", "updated_at"])
        changed["name"] = True
    for model, field_name, wanted in ((CustomerEmail, "email", emails), (CustomerPhone, "phone", phones)):
        rows = model.all_controllers.filter(customer=customer)
        current = set(rows.values_list(field_name, flat=True))
        removed, added = current - set(wanted), [value for value in dict.fromkeys(wanted) if value not in current]
        rows.filter(**{f"{field_name}__in": removed}).delete()
        model.all_controllers.bulk_create(
            [model(controller_id=customer.controller_id, customer=customer, **{field_name: value}) for value in added]
        )
        if removed or added:
            changed[f"{field_name}s"] = {"added": len(added), "removed": len(removed)}
    return changed


@transaction.atomic
def customer_merge(*, target: Customer, duplicate: Customer) -> Customer:
    """Fold `duplicate` into `target` (same controller): every record that points at the
    duplicate (contacts, tasks, identifiers, and other apps' records such as complaints) moves
    to the target, then the duplicate goes.

    The reverse relations are walked generically, so that this app need not know the apps that
    refer to its customers.
    """
    if target.pk == duplicate.pk:
        raise Conflict(_("A customer cannot be merged with itself."), code="same_customer")
    if target.controller_id != duplicate.controller_id:
        raise ValueError("Only customers of the same controller can be merged.")
    relations = [
        relation for relation in Customer._meta.related_objects if not relation.many_to_many and relation.field.concrete
    ]
    # Merging a restricted customer, or moving a restricted record to another customer, is
    # processing it (art. 18): not done.
    restriction_check_writable(target, duplicate)
    for relation in relations:
        restriction_check_unreferenced(relation.related_model, **{relation.field.name: duplicate})
    # Identifiers first: an address both customers have is kept once, on the target.
    known_emails = set(CustomerEmail.all_controllers.filter(customer=target).values_list("email", flat=True))
    CustomerEmail.all_controllers.filter(customer=duplicate, email__in=known_emails).delete()
    known_phones = set(CustomerPhone.all_controllers.filter(customer=target).values_list("phone", flat=True))
    CustomerPhone.all_controllers.filter(customer=duplicate, phone__in=known_phones).delete()
    for relation in relations:
        relation.related_model._base_manager.filter(**{relation.field.name: duplicate}).update(
            **{relation.field.name: target}
        )
    if not target.name and duplicate.name:
        target.name = duplicate.name
        target.save(update_fields=["name", "updated_at"])
    # One person: an objection of either is the merged customer's, and covers all their contacts.
    if objection_inherited(duplicate) and not objection_inherited(target):
        target.processing_objected = True
        target.processing_objected_at = duplicate.processing_objected_at
        target.processing_objected_by_id = duplicate.processing_objected_by_id
        target.save(
            update_fields=["processing_objected", "processing_objected_at", "processing_objected_by", "updated_at"]
        )
    if objection_inherited(target):
        Contact.all_controllers.filter(customer=target).update(processing_objected=True)
    Customer.all_controllers.filter(pk=duplicate.pk).delete()
    return target


# -- an agent's saved inbox filters -------------------------------------------------------------
def saved_inbox_filter_create(*, user: Any, label: str, query: str) -> SavedInboxFilter:
    """Save the inbox filters under a label; the same label twice is a Conflict."""
    try:
        with transaction.atomic():
            return SavedInboxFilter.objects.create(user=user, label=label.strip()[:100], query=query[:500])
    except IntegrityError:
        raise Conflict(_("You already have a filter with this name."), code="label_taken") from None


def saved_inbox_filter_delete(*, saved: SavedInboxFilter) -> None:
    SavedInboxFilter.objects.filter(pk=saved.pk).delete()
