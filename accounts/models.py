from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from core.models import Controller


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
        return list(self._access()[1])

    def controller_slugs(self) -> dict[int, str]:
        """The slug of each controller this user may see, by id."""
        if not self.is_active:
            return {}
        return self._access()[1]

    def group_names(self) -> frozenset[str]:
        """The names of this user's groups (core.roles reads the roles among them)."""
        return self._access()[0]

    def _access(self) -> tuple[frozenset[str], dict[int, str]]:
        # Every request needs both the roles and the controllers: one query, kept on the instance
        # (a request has its own user instance).
        cached = getattr(self, "_access_cache", None)
        if cached is None:
            groups = Group._meta.db_table
            user_groups = User.groups.through._meta.db_table
            memberships = Membership._meta.db_table
            controllers = Controller._meta.db_table
            # Table names from the models' own metadata; the user id is a parameter.
            statement = (
                f"SELECT g.name, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR(40)) FROM {groups} g "  # nosec  # noqa: S608
                f"JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = %s "
                f"UNION ALL SELECT NULL, c.id, c.slug FROM {memberships} m "
                f"JOIN {controllers} c ON c.id = m.controller_id WHERE m.user_id = %s"
            )
            with connection.cursor() as cursor:
                cursor.execute(statement, [self.pk, self.pk])
                rows = cursor.fetchall()
            cached = (
                frozenset(name for name, _id, _slug in rows if name is not None),
                dict(sorted((controller, slug) for _name, controller, slug in rows if controller is not None)),
            )
            self._access_cache = cached
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
