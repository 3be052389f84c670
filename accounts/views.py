from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accounts.forms import BackupCodesForm, OtpCodeForm, OtpVerifyForm, StaffAuthenticationForm
from accounts.otp import (
    is_backup_code,
    otp_backup_codes_issue,
    otp_backup_codes_left,
    otp_backup_device,
    otp_check_code,
    otp_confirmed_device,
    otp_enrolment_device,
    otp_failure_limit,
    otp_failures,
    otp_failures_forget,
    otp_qr_svg,
    otp_required_for,
    otp_secret,
)
from accounts.services import sign_in_audit
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = StaffAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        sign_in_audit(user=form.get_user(), action=AuditAction.LOGIN)
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            sign_in_audit(user=request.user, action=AuditAction.LOGOUT)
        return super().post(request, *args, **kwargs)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _verified(request: HttpRequest, device: Any, *, enrolled: bool, backup_code: bool = False) -> None:
    otp_login(request, device)
    otp_failures_forget(user=request.user)
    sign_in_audit(
        user=request.user,
        action=AuditAction.LOGIN,
        details={"factor": "otp", "enrolled": enrolled, "backup_code": backup_code},
    )


def _wrong_code(request: HttpRequest, form: Any, *, throttled: bool) -> HttpResponse | None:
    """Report a refused code; end the session after too many failures in a row."""
    if throttled:
        form.add_error("code", _("Too many wrong codes in a row. Wait a moment, then try again."))
        return None
    sign_in_audit(user=request.user, action=AuditAction.LOGIN_FAILED, details={"factor": "otp"})
    if otp_failures(user=request.user) >= otp_failure_limit():
        logout(request)
        messages.error(request, _("Too many wrong codes. Log in again with your password."))
        return redirect(settings.LOGIN_URL)
    form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
    return None


def _backup_codes_page(request: HttpRequest, *, next_url: str) -> HttpResponse:
    """New backup codes, shown this once (never stored in the session or sent anywhere)."""
    codes = otp_backup_codes_issue(user=request.user)
    audit_log(
        actor=request.user,
        action=AuditAction.BACKUP_CODES,
        purpose=AuditPurpose.SECURITY,
        obj=otp_backup_device(user=request.user),
        details={"codes": len(codes)},
    )
    return render(request, "accounts/otp_backup_codes.html", {"codes": codes, "next": next_url})


@login_required
@never_cache
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First login of a DPO or administrator: scan the QR code, confirm with one code, and take
    the backup codes."""
    if not otp_required_for(request.user) or request.user.is_verified():
        return redirect(_safe_next(request))
    if otp_confirmed_device(user=request.user) is not None:
        # Replacing an enrolled authenticator is an administrator's job (two_factor_reset),
        # never something a stolen password can do.
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': _safe_next(request)})}")
    device = otp_enrolment_device(user=request.user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted, throttled = otp_check_code(user=request.user, device=device, code=form.cleaned_data["code"])
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _verified(request, device, enrolled=True)
            return _backup_codes_page(request, next_url=_safe_next(request))
        response = _wrong_code(request, form, throttled=throttled)
        if response is not None:
            return response
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "qr_svg": otp_qr_svg(device),
            "secret": otp_secret(device),
            "next": _safe_next(request),
        },
    )


@login_required
@never_cache
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Every login of a DPO or administrator: one code from the enrolled authenticator, or one
    of the backup codes (each works once)."""
    if not otp_required_for(request.user) or request.user.is_verified():
        return redirect(_safe_next(request))
    device = otp_confirmed_device(user=request.user)
    if device is None:
        return redirect(f"{reverse('accounts:otp_enrol')}?{urlencode({'next': _safe_next(request)})}")
    form = OtpVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        backup = otp_backup_device(user=request.user) if is_backup_code(code) else None
        # A backup code with no backup codes issued counts against the authenticator.
        tried = backup or device
        accepted, throttled = otp_check_code(user=request.user, device=tried, code=code)
        if accepted:
            _verified(request, tried, enrolled=False, backup_code=backup is not None)
            if backup is not None:
                left = otp_backup_codes_left(user=request.user)
                messages.warning(
                    request,
                    ngettext(
                        "You logged in with a backup code: %(count)s code is left.",
                        "You logged in with a backup code: %(count)s codes are left.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(_safe_next(request))
        response = _wrong_code(request, form, throttled=throttled)
        if response is not None:
            return response
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
@never_cache
def otp_backup_codes(request: HttpRequest) -> HttpResponse:
    """How many backup codes are left, and new ones (the old ones stop working)."""
    if not otp_required_for(request.user):
        raise PermissionDenied
    form = BackupCodesForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _backup_codes_page(request, next_url=resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(
        request,
        "accounts/otp_backup_codes_manage.html",
        {"form": form, "left": otp_backup_codes_left(user=request.user)},
        status=400 if form.errors else 200,
    )
