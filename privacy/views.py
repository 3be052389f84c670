"""The DPO's pages: the request dashboard, a request with all its steps, letters, and the record
of processing (art. 30). Short views: a selector to fetch, a form to validate, a service to act."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import Action, Area, access_required
from core.audit import audit_log
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.personal_data import registry
from core.scoping import get_scoped_or_404
from core.selectors import controllers_of
from privacy import deadlines, discovery, execution, exports, forms, letters, selectors, services
from privacy.models import Letter, PrivacyRequest, RecipientNotification, RequestKind
from privacy.readable import field_label, record_type_name
from privacy.record_of_processing import processing_record


def _acting(view: Callable) -> Callable:
    """A POST step on one request: domain refusals become a message, then back to the request."""

    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        privacy_request = get_scoped_or_404(PrivacyRequest, pk=pk)
        try:
            response = view(request, privacy_request, *args, **kwargs)
        except Conflict as error:
            messages.error(request, error.message)
        except services.InvalidRequest as error:
            messages.error(request, error.message)
        else:
            if response is not None:
                return response
        return redirect("privacy:request_detail", pk=pk)

    return access_required(Area.DATA_PROTECTION, Action.CHANGE)(require_POST(wrapped))


def _form_errors(request: HttpRequest, form: Any) -> bool:
    if form.is_valid():
        return False
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return True


@access_required(Area.DATA_PROTECTION)
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    open_requests = [(r, selectors.is_overdue(r, now)) for r in selectors.requests_open_by_due_date()]
    recent = selectors.requests_visible(request.user).filter(completed_at__isnull=False)[:20]
    return render(request, "privacy/dashboard.html", {"open_requests": open_requests, "recent": recent})


@access_required(Area.DATA_PROTECTION)
def request_new(request: HttpRequest) -> HttpResponse:
    initial = {"controller": request.GET.get("controller"), "from_contact": request.GET.get("from_contact")}
    form = forms.RequestForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("from_contact"):
                created = services.request_create_from_record(
                    controller=data["controller"],
                    kind=data["kind"],
                    actor=request.user,
                    record_id=data["from_contact"],
                    language=data["language"],
                )
            else:
                created = services.request_create(
                    controller=data["controller"],
                    kind=data["kind"],
                    actor=request.user,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    received_at=data["received_at"],
                    channel=data["channel"],
                    language=data["language"],
                    details=data["details"],
                    include_consultation_history=data["include_consultation_history"],
                )
        except services.InvalidRequest as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("privacy:request_detail", pk=created.pk)
    return render(request, "privacy/request_new.html", {"form": form})


@access_required(Area.DATA_PROTECTION)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    privacy_request = get_scoped_or_404(PrivacyRequest, pk=pk)
    selectors.audit_request_viewed(request=privacy_request, actor=request.user)
    identifiers = list(privacy_request.identifiers.select_related("verified_by"))
    return render(
        request,
        "privacy/request_detail.html",
        {
            "r": privacy_request,
            "overdue": selectors.is_overdue(privacy_request, timezone.now()),
            "latest_extension": deadlines.latest_extended_due_date(privacy_request.original_due_at),
            "identifiers": identifiers,
            "matches": selectors.match_rows(request=privacy_request, actor=request.user),
            "discovery_state": selectors.discovery_state(privacy_request),
            "report": selectors.execution_report_rows(privacy_request),
            "export": selectors.latest_export(privacy_request),
            "letters": privacy_request.letters.all(),
            "notifications": [(n, record_type_name(n.record_type)) for n in privacy_request.notifications.all()],
            "redactions": [
                (x, record_type_name(x.record_type), field_label(registry.get(x.record_type), x.field))
                for x in privacy_request.redactions.all()
            ],
            "verify_form": forms.VerifyIdentityForm(identifiers=identifiers),
            "identifier_form": forms.IdentifierAddForm(),
            "extend_form": forms.ExtendForm(),
            "reject_form": forms.RejectForm(),
            "execute_form": forms.ExecuteForm(),
            "letter_form": forms.LetterForm(initial={"language": privacy_request.language}),
            "notification_form": forms.NotificationForm(),
            "redaction_form": forms.RedactionForm(),
            "notes_form": forms.NotesForm(
                initial={"notes": privacy_request.notes, "assignee": privacy_request.assignee_id}
            ),
        },
    )


@_acting
def request_verify(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.VerifyIdentityForm(request.POST, identifiers=privacy_request.identifiers.all())
    if not _form_errors(request, form):
        services.request_verify_identity(request=privacy_request, actor=request.user, **form.verification())


@_acting
def request_identifier_add(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.IdentifierAddForm(request.POST)
    if not _form_errors(request, form):
        services.request_identifier_add(request=privacy_request, actor=request.user, **form.cleaned_data)


@_acting
def request_discover(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    services.require_open(privacy_request)
    discovery.request_discover(request=privacy_request, actor=request.user)


@_acting
def request_matches(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    chosen = {int(v) for v in request.POST.getlist("included") if v.isdigit()}
    shown = {int(v) for v in request.POST.getlist("shown") if v.isdigit()}
    discovery.matches_review(
        request=privacy_request, actor=request.user, include=chosen & shown, exclude=shown - chosen
    )


@_acting
def request_execute(request: HttpRequest, privacy_request: PrivacyRequest) -> HttpResponse | None:
    if privacy_request.kind == RequestKind.ERASURE and request.POST.get("confirm") != "1":
        # Erasure cannot be undone: it is asked for on the page that names what will go.
        return redirect("privacy:request_erase_confirm", pk=privacy_request.pk)
    form = forms.ExecuteForm(request.POST)
    if not _form_errors(request, form):
        execution.request_execute(request=privacy_request, actor=request.user, data=form.execution_data())
    return None


@access_required(Area.DATA_PROTECTION, Action.CHANGE)
def request_erase_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The step before an erasure: what will be deleted, by record type, and a last button."""
    privacy_request = get_scoped_or_404(PrivacyRequest, pk=pk)
    if privacy_request.kind != RequestKind.ERASURE or not privacy_request.is_open:
        raise Http404
    waiting = selectors.discovery_state(privacy_request)
    if not privacy_request.identity_verified:
        waiting = services.identity_not_checked_message()
    return render(
        request,
        "privacy/erasure_confirm.html",
        {
            "r": privacy_request,
            "waiting": waiting,
            "to_erase": [] if waiting else selectors.erasure_preview(privacy_request),
            "matches": []
            if waiting
            else [m for m in selectors.match_rows(request=privacy_request, actor=request.user) if m.acted_on],
        },
    )


@_acting
def request_extend(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.ExtendForm(request.POST)
    if not _form_errors(request, form):
        services.request_extend(request=privacy_request, actor=request.user, **form.cleaned_data)


@_acting
def request_reject(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.RejectForm(request.POST)
    if not _form_errors(request, form):
        services.request_reject(request=privacy_request, actor=request.user, **form.cleaned_data)


@_acting
def request_letter(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.LetterForm(request.POST)
    if not _form_errors(request, form):
        letters.letter_generate(request=privacy_request, actor=request.user, **form.cleaned_data)


@_acting
def request_notes(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.NotesForm(request.POST)
    if not _form_errors(request, form):
        services.request_update_notes(request=privacy_request, actor=request.user, **form.cleaned_data)


@_acting
def request_lift_restriction(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    execution.request_restriction_lift(request=privacy_request, actor=request.user)


@_acting
def request_redact(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    form = forms.RedactionForm(request.POST)
    if _form_errors(request, form):
        return
    record_type, _sep, record_id = form.cleaned_data["record"].partition(":")
    if not record_id.isdigit():
        raise services.InvalidRequest("record", form.fields["record"].label)
    exports.redaction_add(
        request=privacy_request,
        actor=request.user,
        record_type=record_type,
        record_id=int(record_id),
        field=form.cleaned_data["field"],
        reason=form.cleaned_data["reason"],
    )


@_acting
def request_export(request: HttpRequest, privacy_request: PrivacyRequest) -> None:
    exports.export_start(request=privacy_request, actor=request.user)


@access_required(Area.DATA_PROTECTION)
def export_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx partial polled while a copy is built."""
    privacy_request = get_scoped_or_404(PrivacyRequest, pk=pk)
    return render(
        request,
        "privacy/partials/export_progress.html",
        {"r": privacy_request, "export": selectors.latest_export(privacy_request)},
    )


@access_required(Area.DATA_PROTECTION)
def request_download(request: HttpRequest, pk: int) -> HttpResponse:
    privacy_request = get_scoped_or_404(PrivacyRequest, pk=pk)
    try:
        export = exports.export_for_download(request=privacy_request, actor=request.user)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("privacy:request_detail", pk=pk)
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"privacy-request-{pk}.zip",
        content_type="application/zip",
    )


@access_required(Area.DATA_PROTECTION)
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_scoped_or_404(Letter, pk=pk)
    addresses = letter.request.verified_emails
    audit_log(
        actor=request.user,
        action=AuditAction.VIEW,
        purpose=AuditPurpose.DATA_SUBJECT_REQUEST,
        object_type="privacy.letter",
        object_id=letter.pk,
        controller=letter.controller_id,
    )
    return render(
        request,
        "privacy/letter.html",
        {
            "letter": letter,
            "r": letter.request,
            "send_form": forms.LetterSendForm(addresses=addresses) if addresses else None,
            "deliveries": letter.deliveries.all(),
        },
    )


@access_required(Area.DATA_PROTECTION, Action.CHANGE)
@require_POST
def letter_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the letter by email to the requester's verified address (queued, sent after commit)."""
    letter = get_scoped_or_404(Letter, pk=pk)
    form = forms.LetterSendForm(request.POST, addresses=letter.request.verified_emails)
    if not _form_errors(request, form):
        try:
            delivery = letters.letter_send(letter=letter, actor=request.user, **form.cleaned_data)
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The letter is queued for sending to %(address)s.") % {"address": delivery.to_address}
            )
    return redirect("privacy:letter_detail", pk=letter.pk)


@access_required(Area.DATA_PROTECTION, Action.CHANGE)
@require_POST
def notification_update(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_scoped_or_404(RecipientNotification, pk=pk)
    form = forms.NotificationForm(request.POST)
    if not _form_errors(request, form):
        try:
            execution.notification_update(notification=notification, actor=request.user, **form.cleaned_data)
        except services.InvalidRequest as error:
            messages.error(request, error.message)
    return redirect("privacy:request_detail", pk=notification.request_id)


@access_required(Area.DATA_PROTECTION)
def processing_records(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/processing_records.html", {"controllers": controllers_of(request.user)})


@access_required(Area.DATA_PROTECTION)
def processing_record_detail(request: HttpRequest, slug: str) -> HttpResponse:
    controller = controllers_of(request.user).filter(slug=slug).first()
    if controller is None:
        raise Http404
    context = processing_record(controller=controller, today=deadlines.today_in_helsinki(timezone.now()))
    template = "privacy/processing_record_print.html" if request.GET.get("print") else "privacy/processing_record.html"
    return render(request, template, context)
