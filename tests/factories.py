"""Factories for the records every app's tests need."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.models import Group

from accounts.models import Membership, User
from core.models import Controller


def make_user(
    username: str, role: str, controllers: Sequence[Controller], password: str = "correct horse battery"
) -> User:
    user = User.objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for controller in controllers:
        Membership.objects.create(user=user, controller=controller)
    return user


def otp_verify_client(client: Any, user: User) -> Any:
    """Log the client in as `user` with the second factor passed, as after the verify page.

    Gives the user a confirmed TOTP device if they have none. Returns the client.
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.otp import otp_device_provision

    device = otp_device_provision(user=user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def totp_code(user: User, *, at: float | None = None) -> str:
    """The code the user's authenticator shows now (or at the given Unix time), e.g. for a
    browser test filling in the verify page."""
    import time

    from django_otp.oath import TOTP

    from accounts.otp import otp_confirmed_device, otp_enrolment_device

    device = otp_confirmed_device(user=user) or otp_enrolment_device(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


# -- records of one controller, made directly through the ORM ---------------------------------
# OBJECT_FACTORIES maps a model label to a function making one row of it at a given controller.
# The IDOR harness (tests/security/test_idor.py) uses it for every API endpoint whose view
# serves that model. An app adds its own with `@object_factory("<app>.<model>")`, here or in
# `tests/<app>/factories.py` (imported by the harness).
OBJECT_FACTORIES: dict[str, Callable[[Controller], Any]] = {}


def object_factory(label: str) -> Callable[[Callable[[Controller], Any]], Callable[[Controller], Any]]:
    def register(function: Callable[[Controller], Any]) -> Callable[[Controller], Any]:
        OBJECT_FACTORIES[label] = function
        return function

    return register


def _staff(controller: Controller, role: str = "agent") -> User:
    username = f"staff-{role}-{controller.slug}"
    existing = User.objects.filter(username=username).first()
    return existing or make_user(username, role, [controller])


@object_factory("core.controller")
def make_controller_record(controller: Controller) -> Controller:
    return controller


@object_factory("core.auditevent")
def make_audit_event(controller: Controller, **fields: Any) -> Any:
    from core.audit import audit_log
    from core.models import AuditAction, AuditPurpose

    return audit_log(
        actor=_staff(controller),
        action=fields.pop("action", AuditAction.VIEW),
        purpose=fields.pop("purpose", AuditPurpose.CUSTOMER_SERVICE),
        object_type=fields.pop("object_type", "contacts.contact"),
        object_id=fields.pop("object_id", 1),
        controller=controller,
        **fields,
    )


@object_factory("contacts.customer")
def make_customer(controller: Controller, **fields: Any) -> Any:
    from contacts.models import Customer

    return Customer.all_controllers.create(controller=controller, **{"name": "Maija Meikäläinen", **fields})


@object_factory("contacts.task")
def make_task(controller: Controller, **fields: Any) -> Any:
    from contacts.models import Task, TaskState, TaskStatus

    # A closed task is a solved ticket (the constraint contacts_task_state_matches_status).
    if fields.get("status") == TaskStatus.CLOSED:
        fields.setdefault("state", TaskState.SOLVED)
    return Task.all_controllers.create(controller=controller, **{"title": "Vuotava hana", **fields})


@object_factory("contacts.contact")
def make_contact(controller: Controller, **fields: Any) -> Any:
    from django.utils import timezone

    from contacts.models import Contact

    defaults = {
        "channel": "call",
        "occurred_at": timezone.now(),
        "name": "Maija Meikäläinen",
        "email": "maija@example.fi",
        "email_normalized": "maija@example.fi",
        "phone": "040 123 4567",
        "phone_e164": "+358401234567",
        "subject": "Vuotava hana",
    }
    return Contact.all_controllers.create(controller=controller, **{**defaults, **fields})


@object_factory("complaints.complaint")
def make_complaint(controller: Controller, **fields: Any) -> Any:
    from complaints.models import Complaint

    return Complaint.all_controllers.create(controller=controller, **{"subject": "Laskutusvirhe", **fields})


@object_factory("complaints.disclosure")
def make_disclosure(controller: Controller, **fields: Any) -> Any:
    from complaints.models import Disclosure

    defaults = {
        "recipient_type": "insurer",
        "recipient_name": "Vakuutusyhtiö Oy",
        "legal_basis": "legal claims",
        "description": "call notes",
        "disclosed_by": _staff(controller, "complaints"),
    }
    return Disclosure.all_controllers.create(controller=controller, **{**defaults, **fields})
