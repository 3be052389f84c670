"""The administrator's part of the contacts app: the customer-service mailboxes, the response
templates and the service levels of tickets (configuration, no personal data). Contacts, customers
and tasks are worked in the agent pages, not here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from contacts.models import Mailbox, ResponseTemplate, SlaPolicy
from core.admin import AdministrationAdmin, administered_controller_ids
from core.forms import RefusesPersonalIdentityCodes
from core.models import Controller


class MailboxForm(RefusesPersonalIdentityCodes, forms.ModelForm):
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "controller",
            "imap_enabled",
            "imap_host",
            "imap_port",
            "imap_username",
            "imap_password",
            "imap_folder",
        ]

    def clean_address(self) -> str:
        # Matching recipients compares lower-cased addresses.
        return self.cleaned_data["address"].strip().lower()

    def clean_imap_password(self) -> str:
        password = self.cleaned_data.get("imap_password") or ""
        return password or (self.instance.imap_password if self.instance.pk else "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("imap_enabled"):
            for name in ("imap_host", "imap_username"):
                if not cleaned.get(name):
                    self.add_error(name, _("Needed for polling over IMAP."))
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "controller", "imap_enabled", "imap_host", "last_polled_at"]
    list_filter = ["controller", "imap_enabled"]
    search_fields = ["address"]
    readonly_fields = ["last_polled_at", "last_poll_error"]


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(AdministrationAdmin):
    """Response templates of the administrator's own controllers; an unknown placeholder is a
    form error (ResponseTemplate.clean)."""

    list_display = ["name", "language", "controller", "active", "updated_at"]
    list_filter = ["controller", "language", "active"]
    search_fields = ["name", "body"]

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        ids = administered_controller_ids(request)
        return queryset if ids is None else queryset.filter(controller_id__in=ids)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "controller":
            ids = administered_controller_ids(request)
            kwargs["queryset"] = Controller.objects.all() if ids is None else Controller.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Service levels: how soon a ticket of a channel is answered and solved, per controller. A
    ticket takes its due times when it is opened, so a change applies to new tickets."""

    list_display = ["controller", "channel", "first_response_minutes", "resolution_minutes"]
    list_filter = ["controller", "channel"]
