"""Who may do what: the one role matrix (DESIGN.md, Roles) and the one restriction rule (art. 18).

Every page decorator (`access_required`), every API permission (`AreaPermission`), every service
that checks a person's role (`can`) and the Django model permissions of the role groups
(`model_permissions`) read `ACCESS` below. A change of what a role may do is one edit here.

Restriction of processing (art. 18): a restricted record is kept, not used. Its content is shown
only to those who may read the data-protection area (the DPO, who handles the restriction);
`sees_restricted_content` is that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS

from core.roles import IntegrationOnlyInbound, Role, user_roles


class Area(models.TextChoices):
    """What the roles are granted, as the design's role table lists it."""

    CUSTOMER_SERVICE = "customer_service", _("Contacts, customers and tasks")
    COMPLAINTS = "complaints", _("Complaints and feedback")
    DISCLOSURES = "disclosures", _("The disclosure log")
    DATA_PROTECTION = "data_protection", _("Privacy requests, legal holds, purge runs and the audit log")
    ADMINISTRATION = "administration", _("Users, roles, mailboxes and schedules")
    INBOUND = "inbound", _("Incoming contacts from the mail server, telephony and chat")


class Action(models.TextChoices):
    READ = "read"
    CREATE = "create"
    CHANGE = "change"


READ = frozenset({Action.READ})
CREATE = frozenset({Action.CREATE})
READ_CREATE = frozenset({Action.READ, Action.CREATE})
ALL = frozenset({Action.READ, Action.CREATE, Action.CHANGE})

# DESIGN.md, Roles. "create" without "read": agents record complaints and disclosures, but the
# handling of them is not their work (P9: access only for those whose work needs it).
ACCESS: Mapping[Area, Mapping[Role, frozenset[Action]]] = {
    Area.CUSTOMER_SERVICE: {Role.AGENT: ALL, Role.COMPLAINTS: READ, Role.DPO: READ},
    Area.COMPLAINTS: {Role.AGENT: CREATE, Role.COMPLAINTS: ALL, Role.DPO: ALL},
    Area.DISCLOSURES: {Role.AGENT: CREATE, Role.COMPLAINTS: READ_CREATE, Role.DPO: READ_CREATE},
    Area.DATA_PROTECTION: {Role.DPO: ALL},
    Area.ADMINISTRATION: {Role.ADMIN: ALL},
    Area.INBOUND: {Role.INTEGRATION: CREATE},
}

# The Django model permissions each area stands for (the role groups, and through them the
# admin): "app" is every model of the app, "app.model" one model.
AREA_MODELS: Mapping[Area, tuple[str, ...]] = {
    Area.CUSTOMER_SERVICE: ("contacts",),
    Area.COMPLAINTS: ("complaints.complaint", "complaints.complaintevent"),
    Area.DISCLOSURES: ("complaints.disclosure",),
    Area.DATA_PROTECTION: ("privacy", "retention", "complaints.legalhold", "core.auditevent"),
    # Controllers' details (never their data), login lockouts (django-axes), users and their
    # memberships, mailboxes, service levels and schedules.
    Area.ADMINISTRATION: (
        "accounts",
        "core.controller",
        "core.platformauditevent",
        "axes",
        "django_celery_beat",
        "contacts.mailbox",
        "contacts.responsetemplate",
        "contacts.slapolicy",
    ),
    Area.INBOUND: ("contacts",),
}
_DJANGO_ACTIONS = {Action.READ: ("view",), Action.CREATE: ("add",), Action.CHANGE: ("change", "delete")}


def can(user: Any, area: Area | str, action: Action | str = Action.READ) -> bool:
    """True when one of the user's roles grants `action` on `area`."""
    grants = ACCESS[Area(area)]
    return any(action in grants.get(Role(role), ()) for role in user_roles(user))


def roles_with(area: Area | str, action: Action | str = Action.READ) -> list[Role]:
    """The roles granted `action` on `area` (e.g. who may be a complaint's handler)."""
    return [role for role, actions in ACCESS[Area(area)].items() if action in actions]


# The one answer for a person who may not be assigned (a task's assignee, a complaint's handler):
# no such user, another role and staff of the other controller only are told apart by nothing,
# so the API cannot be used to find out who works where.
NOT_ASSIGNABLE = _("No one by that name may be assigned here.")


def access_required(area: Area | str, action: Action | str = Action.READ) -> Callable:
    """Web views: log in first (redirect), then 403 for a role that may not."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not can(request.user, area, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


class AreaPermission(IntegrationOnlyInbound):
    """API: `permission_classes = [AreaPermission.for_area(Area.X)]`. Reading methods need
    "read"; others need `write` ("change" unless given, "create" for a create-only view)."""

    area: Area
    write: Action = Action.CHANGE
    message = _("Your role does not allow this.")

    @classmethod
    def for_area(cls, area: Area, *, write: Action = Action.CHANGE) -> type[AreaPermission]:
        return type("AreaPermission", (cls,), {"area": area, "write": write})

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            self.message = IntegrationOnlyInbound.message
            return False
        action = Action.READ if request.method in SAFE_METHODS else self.write
        return can(request.user, self.area, action)


def model_permissions() -> dict[Role, list[tuple[str, tuple[str, ...]]]]:
    """The Django permissions of each role group, derived from the matrix."""
    granted: dict[Role, list[tuple[str, tuple[str, ...]]]] = {role: [] for role in Role}
    for area, grants in ACCESS.items():
        for role, actions in grants.items():
            codenames = tuple(sorted({name for action in actions for name in _DJANGO_ACTIONS[action]}))
            granted[role].extend((target, codenames) for target in AREA_MODELS[area])
    return granted


# -- restriction of processing (art. 18) -------------------------------------------------------
def sees_restricted_content(user: Any) -> bool:
    """Only those who handle data-subject requests (the DPO) see a restricted record's content."""
    return can(user, Area.DATA_PROTECTION, Action.READ)
