from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff or an integration account. Roles are auth groups (core.roles.Role)."""

    controllers = models.ManyToManyField(
        "core.Controller",
        through="accounts.Membership",
        related_name="users",
        blank=True,
        verbose_name=_("controllers"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def controller_ids(self) -> list[int]:
        """The controllers this user may see (P1). Everything else answers 404."""
        if not self.is_active:
            return []
        cached = getattr(self, "_controller_id_list", None)
        if cached is None:
            cached = list(self.memberships.values_list("controller_id", flat=True))
            self._controller_id_list = cached
        return cached


class Membership(models.Model):
    """A user is granted a controller: they see its records and nothing of the other's."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    controller = models.ForeignKey(
        "core.Controller", on_delete=models.PROTECT, related_name="memberships", verbose_name=_("controller")
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("controller membership")
        verbose_name_plural = _("controller memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "controller"], name="accounts_membership_unique_user_controller"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.controller}"
