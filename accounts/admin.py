"""Administrators' tools in the Django admin (docs/security.md): staff accounts with their roles
and controllers, resetting a lost second factor, and lifting login lockouts.

- An administrator manages the users of their own controllers (and users with none yet), grants
  only their own controllers, and never changes their own roles or controllers.
- Authenticators are never edited here: the reset removes them, and the user sets up a new one
  at the next login. django-otp's own device pages are therefore not registered.
- Every change is a platform audit event (purpose administration).
"""

from __future__ import annotations

import contextlib
from typing import Any

from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import Membership, User
from core.access import Action, Area, can
from core.admin import AdministrationAdmin, administered_controller_ids
from core.forms import RefusesPersonalIdentityCodes
from core.models import Controller
from core.roles import Role

# Authenticators are removed by the reset below, never edited by hand (nor their keys shown).
for _device in (TOTPDevice, StaticDevice):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(_device)


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Group) -> str:
        return str(Role(obj.name).label)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["controller", "granted_at"]
    readonly_fields = ["granted_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        queryset = super().get_queryset(request).select_related("controller")
        ids = administered_controller_ids(request)
        return queryset if ids is None else queryset.filter(controller_id__in=ids)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "controller":
            ids = administered_controller_ids(request)
            kwargs["queryset"] = Controller.objects.all() if ids is None else Controller.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _not_oneself(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or obj.pk != request.user.pk

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._not_oneself(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._not_oneself(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._not_oneself(request, obj) and super().has_delete_permission(request, obj)


class RoleFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        return queryset.filter(groups__name=self.value()) if self.value() in Role.values else queryset


class ControllerFilter(admin.SimpleListFilter):
    title = _("controller")
    parameter_name = "controller"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        ids = administered_controller_ids(request)
        controllers = Controller.objects.all() if ids is None else Controller.objects.filter(pk__in=ids)
        return [(controller.slug, controller.name) for controller in controllers]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if not self.value():
            return queryset
        return queryset.filter(Exists(Membership.objects.filter(user=OuterRef("pk"), controller__slug=self.value())))


class TwoFactorResetForm(RefusesPersonalIdentityCodes, forms.Form):
    confirm = forms.BooleanField(
        label=_("The person is ready to set up a new authenticator at their next login."),
        error_messages={"required": _("Tick the box to confirm the reset.")},
    )


@admin.register(User)
class StaffAdmin(AdministrationAdmin, UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "roles", "controllers", "two_factor", "is_active", "last_login"]
    list_filter = ["is_active", RoleFilter, ControllerFilter]
    change_form_template = "admin/accounts/user/change_form.html"

    # -- which users an administrator manages -------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = (
            super()
            .get_queryset(request)
            .prefetch_related("groups", "memberships__controller")
            .annotate(two_factor_set_up=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        )
        ids = administered_controller_ids(request)
        if ids is None:
            return queryset
        memberships = Membership.objects.filter(user=OuterRef("pk"))
        # Users of the administrator's controllers, and new users not yet granted any.
        return queryset.filter(is_superuser=False).filter(
            Q(Exists(memberships.filter(controller_id__in=ids))) | ~Q(Exists(memberships))
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff with a history are deactivated, never deleted (the audit trail names them).
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    # -- the form ----------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        access = ("is_active", "roles") if obj.pk == request.user.pk else ("is_active", "groups")
        return [
            (None, {"fields": ("username", "password")}),
            (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
            (_("Roles"), {"fields": access}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = ["last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            readonly += ["is_active", "roles"]  # no administrator widens or ends their own access
        return readonly

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            return RoleChoiceField(
                queryset=Group.objects.filter(name__in=Role.values).order_by("name"),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label=_("Roles"),
                help_text=_("What the user may do; their controllers below say whose records they see."),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # -- saving: is_staff follows the role, and the change is audited -------------------------
    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            services.staff_created(actor=request.user, user=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        user = form.instance
        # Read before the form's many-to-many and the memberships are saved.
        roles_before = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        controllers_before = set(Membership.objects.filter(user=user).values_list("controller_id", flat=True))
        super().save_related(request, form, formsets, change)
        services.staff_access_changed(
            actor=request.user, user=user, roles_before=roles_before, controllers_before=controllers_before
        )

    # -- the list ------------------------------------------------------------------------------
    @admin.display(description=_("name"))
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("Roles"))
    def roles(self, obj: User) -> str:
        return ", ".join(str(Role(group.name).label) for group in obj.groups.all() if group.name in Role.values)

    @admin.display(description=_("controllers"))
    def controllers(self, obj: User) -> str:
        return ", ".join(membership.controller.name for membership in obj.memberships.all())

    @admin.display(description=_("Two-factor login set up"), boolean=True)
    def two_factor(self, obj: User) -> bool:
        return bool(getattr(obj, "two_factor_set_up", False))

    # -- resetting a lost second factor -------------------------------------------------------
    def get_urls(self) -> list[Any]:
        reset = self.admin_site.admin_view(self.two_factor_reset_view)
        return [
            path("<path:object_id>/two-factor-reset/", reset, name="accounts_user_two_factor_reset"),
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        context["may_reset_two_factor"] = can(request.user, Area.ADMINISTRATION, Action.CHANGE)
        return super().render_change_form(request, context, *args, **kwargs)

    def two_factor_reset_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm, then remove the user's authenticator and backup codes and end their sessions."""
        if not can(request.user, Area.ADMINISTRATION, Action.CHANGE):
            raise PermissionDenied
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404
        form = TwoFactorResetForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                devices, sessions = services.two_factor_reset(user=user, actor=request.user)
            except services.StaffError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "The two-factor login of %(user)s was reset: %(devices)s devices removed, "
                        "%(sessions)s sessions ended. They set up a new authenticator at their next login."
                    )
                    % {"user": user.get_username(), "devices": devices, "sessions": sessions},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reset two-factor login"),
            "opts": self.opts,
            "original": user,
            "form": form,
            "authenticator": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "backup_codes": StaticDevice.objects.filter(user=user).exists(),
            "oneself": user.pk == request.user.pk,
        }
        return TemplateResponse(
            request,
            "admin/accounts/user/two_factor_reset.html",
            context,
            status=400 if form.errors else 200,
        )


# -- login lockouts (django-axes) ----------------------------------------------------------------


class LockedOutFilter(admin.SimpleListFilter):
    title = _("Locked out")
    parameter_name = "locked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> QuerySet[AccessAttempt]:
        limit = settings.AXES_FAILURE_LIMIT
        if self.value() == "yes":
            return queryset.filter(failures_since_start__gte=limit)
        if self.value() == "no":
            return queryset.filter(failures_since_start__lt=limit)
        return queryset


# Replaced by the pages below: lifting a lockout is an audited action, and the logs are read-only.
for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Failed logins per username and address; after AXES_FAILURE_LIMIT the pair is locked out
    for AXES_COOLOFF_MINUTES. An administrator lifts a lockout with the action (audited); rows are
    never deleted by hand, which would lift it unrecorded."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked_out"]
    list_filter = [LockedOutFilter]
    search_fields = ["username", "ip_address"]
    fields = ["username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time"]
    readonly_fields = fields
    ordering = ["-attempt_time"]
    actions = ["lift_lockouts"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Locked out"), boolean=True)
    def locked_out(self, obj: AccessAttempt) -> bool:
        return obj.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description=_("Lift the lockout of the selected logins"), permissions=["change"])
    def lift_lockouts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        lifted = services.login_lockouts_lift(attempts=list(queryset), actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)s login may be tried again now.", "%(count)s logins may be tried again now.", lifted)
            % {"count": lifted},
            messages.SUCCESS,
        )


class ReadOnlyLogAdmin:
    """The login records are evidence: read, never changed or deleted here."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class LoginLogAdmin(ReadOnlyLogAdmin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class LoginFailureLogAdmin(ReadOnlyLogAdmin, AccessFailureLogAdmin):
    pass
