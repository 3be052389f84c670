from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import Controller, PlatformAuditEvent
from core.selectors import audit_events_platform


@admin.register(Controller)
class ControllerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "business_id", "privacy_contact_email"]
    readonly_fields = ["slug", "business_id"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # the two controllers come from a data migration

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(PlatformAuditEvent)
class PlatformAuditEventAdmin(admin.ModelAdmin):
    """The platform's audit events (no controller), for administrators: read-only, as the audit
    trail is append-only. Each controller's events are the DPO's (`/audit/`)."""

    list_display = ["at", "actor", "actor_kind", "action", "purpose", "object_type", "object_id", "request_id"]
    list_filter = ["action", "purpose", "actor_kind"]
    search_fields = ["actor__username", "object_type", "object_id", "request_id"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in PlatformAuditEvent._meta.fields]
    show_full_result_count = False  # no COUNT(*) over the whole trail per page

    def get_queryset(self, request: HttpRequest) -> Any:
        return audit_events_platform()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
