from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from accounts.forms import OtpCodeForm, StaffAuthenticationForm
from accounts.otp import (
    otp_check_code,
    otp_confirmed_device,
    otp_enrolment_device,
    otp_failure_limit,
    otp_failures,
    otp_qr_svg,
    otp_required_for,
    otp_secret,
)
from accounts.services import sign_in_audit
from core.models import AuditAction


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


def _after_verified(request: HttpRequest, device: Any, *, enrolled: bool) -> HttpResponse:
    otp_login(request, device)
    sign_in_audit(user=request.user, action=AuditAction.LOGIN, details={"factor": "otp", "enrolled": enrolled})
    return redirect(_safe_next(request))


def _wrong_code(request: HttpRequest, form: OtpCodeForm, device: Any, *, throttled: bool) -> HttpResponse | None:
    """Report a refused code; end the session after too many failures in a row."""
    if throttled:
        form.add_error("code", _("Too many wrong codes in a row. Wait a moment, then try again."))
        return None
    sign_in_audit(user=request.user, action=AuditAction.LOGIN_FAILED, details={"factor": "otp"})
    if otp_failures(device) >= otp_failure_limit():
        logout(request)
        messages.error(request, _("Too many wrong codes. Log in again with your password."))
        return redirect(settings.LOGIN_URL)
    form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
    return None


@login_required
@never_cache
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First login of a DPO or administrator: scan the QR code, then confirm with one code."""
    if not otp_required_for(request.user) or request.user.is_verified():
        return redirect(_safe_next(request))
    if otp_confirmed_device(user=request.user) is not None:
        # Replacing an enrolled authenticator is an administrator's job (the device is deleted
        # in the admin), never something a stolen password can do.
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': _safe_next(request)})}")
    device = otp_enrolment_device(user=request.user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted, throttled = otp_check_code(user=request.user, device=device, code=form.cleaned_data["code"])
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return _after_verified(request, device, enrolled=True)
        response = _wrong_code(request, form, device, throttled=throttled)
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
    """Every login of a DPO or administrator: one code from the enrolled authenticator."""
    if not otp_required_for(request.user) or request.user.is_verified():
        return redirect(_safe_next(request))
    device = otp_confirmed_device(user=request.user)
    if device is None:
        return redirect(f"{reverse('accounts:otp_enrol')}?{urlencode({'next': _safe_next(request)})}")
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted, throttled = otp_check_code(user=request.user, device=device, code=form.cleaned_data["code"])
        if accepted:
            return _after_verified(request, device, enrolled=False)
        response = _wrong_code(request, form, device, throttled=throttled)
        if response is not None:
            return response
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})
