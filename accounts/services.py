from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from accounts.models import Membership, User
from accounts.otp import otp_devices_remove
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


# -- what administrators do (docs/security.md) --------------------------------------------------
# Their audit events are platform events: they name users and controllers, no controller's data.


def staff_created(*, actor: Any, user: User) -> None:
    """An administrator added an account; its roles and controllers follow in the same save."""
    audit_log(actor=actor, action=AuditAction.CREATE, purpose=AuditPurpose.ADMINISTRATION, obj=user)


@transaction.atomic
def staff_access_changed(
    *, actor: Any, user: User, roles_before: Iterable[str], controllers_before: Iterable[int]
) -> None:
    """After an administrator has changed a user's roles or controllers: the Django admin is open
    to administrators only (`is_staff` follows the role), and the change is audited."""
    roles_after = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    controllers_after = set(Membership.objects.filter(user=user).values_list("controller_id", flat=True))
    user._access_cache = None  # the roles and controllers cached on this instance are old
    is_staff = user.is_superuser or Role.ADMIN in roles_after
    if user.is_staff != is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=is_staff)
        user.is_staff = is_staff
    roles_before, controllers_before = set(roles_before), set(controllers_before)
    changes = {
        "roles_added": sorted(roles_after - roles_before),
        "roles_removed": sorted(roles_before - roles_after),
        "controllers_granted": sorted(controllers_after - controllers_before),
        "controllers_revoked": sorted(controllers_before - controllers_after),
    }
    if any(changes.values()):
        audit_log(
            actor=actor,
            action=AuditAction.CHANGE,
            purpose=AuditPurpose.ADMINISTRATION,
            obj=user,
            details={key: value for key, value in changes.items() if value},
        )


def user_sessions_end(*, user: User) -> int:
    """End every session of the user (database sessions: staff only, so few rows, and only the
    unexpired ones are read). Returns how many ended."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def two_factor_reset(*, user: User, actor: Any) -> tuple[int, int]:
    """A lost phone: remove the user's authenticator and backup codes, so that they set up a new
    one at their next login (trust on first use, as at the first login), and end their sessions,
    so that no session of theirs, verified or not, carries on or enrols in their place.

    Never for oneself: a stolen password and session must not be able to replace the
    authenticator. Returns (devices removed, sessions ended).
    """
    if getattr(actor, "pk", None) == user.pk:
        raise StaffError(_("You cannot reset your own two-factor login: ask another administrator."))
    devices = otp_devices_remove(user=user)
    sessions = user_sessions_end(user=user)
    audit_log(
        actor=actor,
        action=AuditAction.TWO_FACTOR_RESET,
        purpose=AuditPurpose.ADMINISTRATION,
        obj=user,
        details={"devices": devices, "sessions": sessions},
    )
    return devices, sessions


def login_lockouts() -> QuerySet[AccessAttempt]:
    """Username and address pairs locked out by django-axes, newest first."""
    return AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).order_by("-attempt_time")


@transaction.atomic
def login_lockouts_lift(*, attempts: Iterable[AccessAttempt], actor: Any) -> int:
    """Let these username and address pairs try again now (axes' own reset); each audited."""
    lifted = 0
    for attempt in attempts:
        axes_reset(ip=attempt.ip_address, username=attempt.username)
        audit_log(
            actor=actor,
            action=AuditAction.UNLOCK,
            purpose=AuditPurpose.ADMINISTRATION,
            object_type="axes.accessattempt",
            object_id=attempt.pk,
            details={"failures": attempt.failures_since_start},
        )
        lifted += 1
    return lifted


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
