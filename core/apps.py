from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Each app declares its personal data in personal_data.py (see core.personal_data);
        # discovered like admin.py so the privacy and retention machinery never list models.
        autodiscover_modules("personal_data")
