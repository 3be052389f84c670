"""Staff accounts in the record of processing (art. 30): the staff are data subjects too.

Accounts are not records about customers, so they have no declaration of their own (nothing to
discover, export or purge for a customer's request); the activity is declared here, where the
accounts live.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.personal_data import LegalBasis, ProcessingActivity, Purpose, RetentionStatement, registry

registry.register_activity(
    ProcessingActivity(
        key="staff_accounts",
        name=_("Staff accounts"),
        description=_(
            "The accounts of the staff who use the system: who they are, which controllers and roles "
            "they are granted, their second factor, and their logins."
        ),
        subject_categories=(_("Staff using the customer-service system"),),
        categories=(
            _("name and user name"),
            _("work email address"),
            _("roles and controllers granted"),
            _("second-factor device"),
            _("logins and failed logins (time and IP address)"),
        ),
        purposes=(Purpose.STAFF_ACCESS, Purpose.SECURITY),
        legal_bases=(LegalBasis.CONTRACT, LegalBasis.LEGITIMATE_INTEREST),
        source=_("The administrators who create the accounts, and the system as staff log in."),
        retention=(
            RetentionStatement(
                _("As long as the person's work needs access; an administrator closes the account when it ends.")
            ),
            RetentionStatement(
                _("Logins and the actions in the audit log: two years, then deleted by the nightly purge."),
                "RETENTION_AUDIT_EVENT_DAYS",
            ),
        ),
    )
)
