"""Roles (DESIGN.md, Roles): stored as auth groups. What each role may do is the matrix of
core.access; this module names the roles and marks the inbound endpoints."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class Role(models.TextChoices):
    AGENT = "agent", _("Customer-service agent")
    COMPLAINTS = "complaints", _("Complaint handler")
    DPO = "dpo", _("Data protection officer")
    ADMIN = "admin", _("Administrator")
    INTEGRATION = "integration", _("Integration")


# Roles that must pass a second factor before they may see anything (issue: security).
PRIVILEGED_ROLES = frozenset({Role.DPO, Role.ADMIN})


def user_roles(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return frozenset(name for name in user.group_names() if name in Role.values)


def has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


# The throttle scope of the inbound endpoints (mail server, telephony, website chat). A view
# with this scope is an inbound endpoint: the only kind an integration account may call.
INBOUND_THROTTLE_SCOPE = "inbound"


def is_inbound_view(view: Any) -> bool:
    """True for a view marked inbound: `inbound = True` or `throttle_scope = "inbound"`, on the
    class or, for one action of a viewset, as `@action(..., throttle_scope="inbound")`."""
    return getattr(view, "inbound", False) is True or getattr(view, "throttle_scope", None) == INBOUND_THROTTLE_SCOPE


def inbound_endpoint(view: Any) -> Any:
    """Mark a DRF view class, or a function already wrapped by `@api_view`, as an inbound
    endpoint: integration tokens may call it, and it is throttled with the "inbound" rate.

        @inbound_endpoint
        @api_view(["POST"])
        def inbound_email(request): ...
    """
    view_class = getattr(view, "cls", view)
    view_class.inbound = True
    view_class.throttle_scope = INBOUND_THROTTLE_SCOPE
    return view


class IntegrationOnlyInbound(BasePermission):
    """Integration accounts (tokens of the mail server, telephony, chat) reach only the inbound
    endpoints: 403 anywhere else. In DEFAULT_PERMISSION_CLASSES, and the base of
    core.access.AreaPermission, so a view with its own permission classes keeps this rule."""

    message = _("Integration accounts may use only the inbound endpoints.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_inbound_view(view) or not has_role(request.user, Role.INTEGRATION)
