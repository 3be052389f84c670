from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy requests")

    def ready(self) -> None:
        # Erasures waiting for a keep reason to end are finished by the purge after each run.
        from privacy.erasure import erasures_after_purge
        from retention.purge import after_purge_register

        after_purge_register(erasures_after_purge)
