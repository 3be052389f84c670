from django.contrib import admin

from core.models import Controller


@admin.register(Controller)
class ControllerAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "business_id", "privacy_contact_email"]
    readonly_fields = ["slug", "business_id"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # the two controllers come from a data migration

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
