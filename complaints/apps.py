from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints and feedback")

    def ready(self) -> None:
        # A complaint handler resends a failed answer to a complainant from the complaint.
        from contacts.views.replies import RETRY_ROUTES
        from core.access import Area

        route = (Area.COMPLAINTS, "complaints", "complaints:complaint_reply_retry")
        if route not in RETRY_ROUTES:
            RETRY_ROUTES.append(route)
