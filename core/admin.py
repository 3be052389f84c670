"""The Django admin, where administrators manage users, controllers, lockouts, mailboxes and
schedules (docs/security.md). Administrators see only what concerns their own controllers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.audit import audit_log
from core.models import AuditAction, AuditPurpose, Controller, PlatformAuditEvent
from core.selectors import audit_events_platform

admin.site.site_header = _("Retta customer service: administration")
admin.site.site_title = _("Administration")
admin.site.index_title = _("Users, controllers, login lockouts, mailboxes and schedules")


def administered_controller_ids(request: HttpRequest) -> list[int] | None:
    """The controllers an administrator manages: their own (P1). None for a superuser: all."""
    if request.user.is_superuser:
        return None
    return list(request.user.controller_ids())


class AdministrationAdmin(admin.ModelAdmin):
    """An admin page that behaves like the rest of the system: a record outside the user's
    controllers is 404 (not the admin's redirect to the index), and a form with errors is 400."""

    def _get_obj_does_not_exist_redirect(self, request: HttpRequest, opts: Any, object_id: str) -> HttpResponse:
        raise Http404

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and getattr(response, "context_data", None) and response.context_data.get("errors"):
            response.status_code = 400
        return response


@admin.register(Controller)
class ControllerAdmin(AdministrationAdmin):
    """Controllers come from a data migration and are never deleted (their records, audit events
    and memberships refer to them); administrators keep their details up to date."""

    list_display = ["name", "slug", "business_id", "privacy_contact_email"]
    readonly_fields = ["slug", "business_id"]
    fields = ["name", "slug", "business_id", "privacy_contact_email", "address"]

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        ids = administered_controller_ids(request)
        return queryset if ids is None else queryset.filter(pk__in=ids)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the two controllers come from a data migration

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Controller, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:
            audit_log(
                actor=request.user,
                action=AuditAction.CHANGE,
                purpose=AuditPurpose.ADMINISTRATION,
                obj=obj,
                details={"fields": sorted(form.changed_data)},
            )


# -- schedules (django-celery-beat), with columns whose headings can be translated ----------------
admin.site.unregister(PeriodicTask)
admin.site.unregister(CrontabSchedule)


@admin.register(PeriodicTask)
class ScheduledTaskAdmin(beat_admin.PeriodicTaskAdmin):
    list_display = ("name", "enabled", "schedule", "interval", "start_time", "last_run_at", "one_off")

    @admin.display(description=_("Schedule"))
    def schedule(self, obj: PeriodicTask) -> Any:
        return obj.scheduler


@admin.register(CrontabSchedule)
class CronScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    # The schedule in words comes from cron-descriptor, which speaks neither Finnish nor Swedish:
    # the list shows the cron fields and their time zone instead.
    list_display = ("__str__", "timezone")
    fields = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ()


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
