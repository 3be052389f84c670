from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _roles_sync_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from accounts.services import roles_sync

    roles_sync(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Like Django's own permissions: the role groups follow the code's table after migrate.
        post_migrate.connect(_roles_sync_after_migrate, dispatch_uid="accounts_roles_sync")
