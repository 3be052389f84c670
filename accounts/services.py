from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from core.access import model_permissions
from core.audit import audit_log, audit_log_per_controller
from core.models import AuditAction, AuditPurpose, Controller
from core.roles import Role


def roles_sync(*, using: str = "default") -> None:
    """Create a group per role and give it exactly the model permissions the role matrix
    (core.access) grants it: the admin shows administrators what the matrix allows them."""
    for role, grants in model_permissions().items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        condition = Q(pk__in=[])
        for target, actions in grants:
            # "app" grants every model of the app; "app.model" one model only.
            app_label, _dot, model = target.partition(".")
            models_q = Q(content_type__model=model) if model else Q()
            for action in actions:
                condition |= Q(content_type__app_label=app_label, codename__startswith=f"{action}_") & models_q
        group.permissions.set(Permission.objects.using(using).filter(condition))


class StaffError(ValueError):
    pass


@transaction.atomic
def user_create_staff(
    *,
    username: str,
    role: str,
    controller_slugs: Sequence[str],
    password: str | None = None,
) -> tuple[User, str]:
    """Create or update a staff account with one role and its controllers; returns the password."""
    if role not in Role.values:
        raise StaffError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}")
    controllers = list(Controller.objects.filter(slug__in=controller_slugs))
    missing = set(controller_slugs) - {c.slug for c in controllers}
    if missing or not controllers:
        raise StaffError(f"Unknown controller(s): {', '.join(sorted(missing)) or '(none given)'}")
    user, _created = User.objects.get_or_create(username=username)
    password = password or secrets.token_urlsafe(12)
    user.set_password(password)
    user.is_active = True
    user.is_staff = role == Role.ADMIN  # the Django admin is for administrators only
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    Membership.objects.filter(user=user).exclude(controller__in=controllers).delete()
    for controller in controllers:
        Membership.objects.get_or_create(user=user, controller=controller)
    return user, password


@transaction.atomic
def token_issue(*, username: str) -> str:
    """A new API token for the user; the previous one stops working."""
    user = User.objects.get(username=username)
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


def sign_in_audit(*, user: User, action: AuditAction, details: dict[str, Any] | None = None) -> None:
    """A login, logout or refused second factor: one security event for each controller the user
    is granted (each controller's DPO sees the sign-ins of those who may read its data, and
    nothing of the other's), or one platform event for a user granted none."""
    controller_ids = user.controller_ids()
    if not controller_ids:
        audit_log(actor=user, action=action, purpose=AuditPurpose.SECURITY, details=details)
        return
    audit_log_per_controller(
        actor=user,
        action=action,
        purpose=AuditPurpose.SECURITY,
        details_by_controller=dict.fromkeys(controller_ids, details),
    )
