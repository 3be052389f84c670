"""Staff pages of the complaints app: the handlers' queue and complaint page, intake from a
contact, the disclosure log and the DPO's legal holds. Short views: a selector reads, a form
validates, a service writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors, services
from complaints.forms import (
    ComplainantFields,
    ComplainantLookupForm,
    ComplaintForm,
    ComplaintFromContactForm,
    DisclosureForm,
    LegalHoldForm,
    NoteForm,
    QueueFilterForm,
    ReleaseForm,
    ResolutionForm,
    StatisticsForm,
    TransitionForm,
)
from complaints.holds import hold_coverage, holds_for
from complaints.models import Complaint, ComplaintKind
from complaints.replies import complainant_email, complaint_reply_create
from contacts.forms import ReplyForm
from contacts.models import Contact, Task
from contacts.replies import reply_retry
from contacts.views.replies import reply_form_context, reply_status_response
from core.access import Action, Area, access_required, can
from core.audit import audit_log, audit_log_many
from core.errors import Conflict
from core.models import AuditAction, AuditPurpose
from core.restriction import is_hidden_from
from core.scoping import get_scoped_or_404

PAGE_SIZE = 50


def _form_errors(form: Any, error: ValidationError) -> None:
    """A service's ValidationError shown on the form, by field where the form has one."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _scoped_ids(model: type, ids: list[int], form: Any, field: str, user: Any) -> list[Any]:
    """Records of the user's controllers by id, that the user may see (core.restriction); an id
    not found is a form error."""
    rows = list(model.objects.visible_to(user).filter(pk__in=ids)) if ids else []
    if len(rows) != len(set(ids)):
        form.add_error(field, _("No such record: check the numbers."))
    return rows


def _scoped_one(model: type, pk: int | None, form: Any, field: str, user: Any) -> Any:
    if pk is None:
        return None
    rows = _scoped_ids(model, [pk], form, field, user)
    return rows[0] if rows else None


# -- statistics ----------------------------------------------------------------------------------


@access_required(Area.COMPLAINTS)
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Complaints and feedback by month and kind, for reports and development: a legitimate-
    interest use, so subjects who objected are not counted (complaints.selectors)."""
    form = StatisticsForm(request.GET)
    if not form.is_valid():
        return render(request, "complaints/statistics.html", {"form": form, "rows": []}, status=400)
    controller = form.cleaned_data["controller"]
    if controller is not None and controller.pk not in request.user.controller_ids():
        raise Http404
    months = form.cleaned_data["months"] or form.fields["months"].initial
    today = timezone.localdate()
    first = today.replace(day=1)
    for _month in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    counts = selectors.complaint_statistics(since=since, controller=controller)
    by_month: dict[Any, dict[str, int]] = {}
    for row in counts:
        by_month.setdefault(row["month"], {})[row["kind"]] = row["count"]
    rows = [
        {
            "month": month,
            "complaints": kinds.get(ComplaintKind.COMPLAINT, 0),
            "feedback": kinds.get(ComplaintKind.FEEDBACK, 0),
        }
        for month, kinds in by_month.items()
    ]
    return render(request, "complaints/statistics.html", {"form": form, "rows": rows, "since": first})


# -- the queue ---------------------------------------------------------------------------------


@access_required(Area.COMPLAINTS)
def queue(request: HttpRequest) -> HttpResponse:
    """Open complaints and feedback, oldest first, with the handlers' filters."""
    form = QueueFilterForm(request.GET or None, user=request.user)
    complaints = selectors.complaint_queue_filtered(user=request.user, **form.filters())
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    audit_log_many(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.COMPLAINT_HANDLING, objects=rows)
    context = {"form": form, "page": page, "rows": rows, "held": holds_for(rows)}
    template = "complaints/partials/queue_table.html" if request.headers.get("HX-Request") else "complaints/queue.html"
    return render(request, template, context)


# -- one complaint -----------------------------------------------------------------------------


def _complaint_page(request: HttpRequest, complaint: Complaint, **forms: Any) -> HttpResponse:
    allowed = services.allowed_transitions(complaint.status)
    reply_form = forms.pop("reply_form", None) or ReplyForm()
    # A restricted complainant (art. 18) is neither named nor written to, but for the DPO.
    complainant_hidden = is_hidden_from(complaint.complainant, user=request.user)
    reply_context = reply_form_context(
        form=reply_form,
        controller=complaint.controller,
        customer_name="" if complainant_hidden or not complaint.complainant else complaint.complainant.name,
        agent=request.user,
        ticket_id=complaint.pk,
        subject=complaint.subject,
    )
    context = {
        "complaint": complaint,
        "timeline": selectors.complaint_timeline(complaint),
        "holds": holds_for([complaint]).get(complaint, []),
        "transition_form": forms.get("transition_form") or TransitionForm(allowed=allowed),
        "note_form": forms.get("note_form") or NoteForm(),
        "resolution_form": forms.get("resolution_form") or ResolutionForm(initial={"resolution": complaint.resolution}),
        "finished": not allowed,
        "customer_links": can(request.user, Area.CUSTOMER_SERVICE),
        "reply_form": reply_form,
        "macros": reply_context["macros"],
        "reply_to": "" if complainant_hidden else complainant_email(complaint),
        "can_reply": can(request.user, Area.COMPLAINTS, Action.CHANGE),
    }
    status = 400 if any(form.errors for form in [*forms.values(), reply_form]) else 200
    return render(request, "complaints/complaint_detail.html", context, status=status)


@access_required(Area.COMPLAINTS)
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_detail(pk, user=request.user)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.COMPLAINT_HANDLING, obj=complaint)
    return _complaint_page(request, complaint)


@require_POST
@access_required(Area.COMPLAINTS, Action.CHANGE)
def complaint_assign_to_me(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_detail(pk, user=request.user)
    try:
        services.complaint_assign(complaint=complaint, handler=request.user, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The complaint is now yours."))
    return redirect("complaints:complaint_detail", pk=pk)


@require_POST
@access_required(Area.COMPLAINTS, Action.CHANGE)
def complaint_transition(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_detail(pk, user=request.user)
    form = TransitionForm(request.POST, allowed=services.allowed_transitions(complaint.status))
    if not form.is_valid():
        return _complaint_page(request, complaint, transition_form=form)
    try:
        services.complaint_transition(
            complaint=complaint, to=form.cleaned_data["to"], actor=request.user, note=form.cleaned_data["note"]
        )
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("complaints:complaint_detail", pk=pk)
    messages.success(request, _("Status changed to %(status)s.") % {"status": complaint.get_status_display()})
    return redirect("complaints:complaint_detail", pk=pk)


@require_POST
@access_required(Area.COMPLAINTS, Action.CHANGE)
def complaint_note(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_detail(pk, user=request.user)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _complaint_page(request, complaint, note_form=form)
    try:
        services.complaint_note_add(complaint=complaint, text=form.cleaned_data["text"], actor=request.user)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("complaints:complaint_detail", pk=pk)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "complaints/partials/timeline.html",
            {"complaint": complaint, "timeline": selectors.complaint_timeline(complaint)},
        )
    return redirect("complaints:complaint_detail", pk=pk)


@require_POST
@access_required(Area.COMPLAINTS, Action.CHANGE)
def complaint_resolution(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = selectors.complaint_detail(pk, user=request.user)
    form = ResolutionForm(request.POST)
    if not form.is_valid():
        return _complaint_page(request, complaint, resolution_form=form)
    try:
        services.complaint_update(complaint=complaint, actor=request.user, resolution=form.cleaned_data["resolution"])
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The resolution was saved."))
    return redirect("complaints:complaint_detail", pk=pk)


@require_POST
@access_required(Area.COMPLAINTS, Action.CHANGE)
def complaint_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the complainant by email; back on the complaint, the answer shows its delivery."""
    complaint = selectors.complaint_detail(pk, user=request.user)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            complaint_reply_create(
                complaint=complaint,
                actor=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The answer was saved and is being sent."))
            return redirect("complaints:complaint_detail", pk=pk)
    return _complaint_page(request, complaint, reply_form=form)


@require_POST
@access_required(Area.COMPLAINTS, Action.CHANGE)
def complaint_reply_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed answer to a complainant again (`pk` is the answer's contact)."""
    reply = get_scoped_or_404(
        Contact.objects.select_related("email_message")
        .filter(direction="outbound", complaints__isnull=False)
        .distinct(),
        pk=pk,
        email_message__isnull=False,
    )
    try:
        reply_retry(reply=reply, actor=request.user, purpose=AuditPurpose.COMPLAINT_HANDLING)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    reply.email_message.refresh_from_db()
    if request.headers.get("HX-Request"):
        return reply_status_response(request, reply)
    complaint = reply.complaints.order_by("pk").first()
    return redirect("complaints:complaint_detail", pk=complaint.pk)


# -- intake ------------------------------------------------------------------------------------


def _after_create(request: HttpRequest, complaint: Complaint) -> HttpResponse:
    if complaint.complainant_id:
        messages.success(
            request,
            _("Complaint %(number)s was recorded; complainant: %(complainant)s (customer %(customer)s).")
            % {"number": complaint.pk, "complainant": complaint.complainant, "customer": complaint.complainant_id},
        )
    else:
        messages.success(request, _("Complaint %(number)s was recorded.") % {"number": complaint.pk})
    if can(request.user, Area.COMPLAINTS):
        return redirect("complaints:complaint_detail", pk=complaint.pk)
    return redirect("core:home")


@access_required(Area.COMPLAINTS, Action.CREATE)
def complaint_create(request: HttpRequest) -> HttpResponse:
    """Intake: the complaint and who made it, matched to a customer or recorded as a new one."""
    form = ComplaintForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_create(
                controller=data["controller"],
                actor=request.user,
                kind=data["kind"],
                channel=data["channel"],
                received_at=data["received_at"],
                subject=data["subject"],
                description=data["description"],
                complainant_details=form.complainant_details() if form.complainant_given() else None,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return _after_create(request, complaint)
    return render(
        request,
        "complaints/complaint_form.html",
        {
            "form": form,
            "match": _complainant_match(request, form) if form.is_bound else None,
            "links": can(request.user, Area.CUSTOMER_SERVICE),
        },
        status=400 if form.errors else 200,
    )


def _complainant_match(request: HttpRequest, form: ComplainantFields) -> selectors.ComplainantPreview:
    """What saving the form will do with the complainant; a customer shown is audited."""
    data = getattr(form, "cleaned_data", {})
    details = form.complainant_details()
    if not details.given:
        return selectors.ComplainantPreview(given=False)
    if data.get("controller") is None or any(name.startswith("complainant_") for name in form.errors):
        return selectors.ComplainantPreview(given=True, errors=True)
    preview = selectors.complainant_preview(controller=data["controller"], details=details)
    if preview.customer is not None:
        audit_log(
            actor=request.user, action=AuditAction.SEARCH, purpose=AuditPurpose.COMPLAINT_HANDLING, obj=preview.customer
        )
    return preview


@require_POST
@access_required(Area.COMPLAINTS, Action.CREATE)
def complainant_lookup(request: HttpRequest) -> HttpResponse:
    """htmx, from the intake form: which customer the complainant's details match, as typed.
    POST, so that names, addresses and numbers stay out of URLs and access logs."""
    form = ComplainantLookupForm(request.POST, user=request.user)
    form.is_valid()
    return render(
        request,
        "complaints/partials/complainant_match.html",
        {"match": _complainant_match(request, form), "links": can(request.user, Area.CUSTOMER_SERVICE)},
    )


@access_required(Area.COMPLAINTS, Action.CREATE)
def complaint_from_contact(request: HttpRequest, contact_pk: int) -> HttpResponse:
    """Turn this contact into a complaint: the contact and its task linked, the complainant its
    customer (the contacts page links here)."""
    contact = get_scoped_or_404(
        Contact.objects.visible_to(request.user).select_related("customer", "task", "controller"), pk=contact_pk
    )
    form = ComplaintFromContactForm(request.POST or None, initial={"subject": contact.subject[:300]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_from_contact(
                contact=contact,
                actor=request.user,
                kind=data["kind"],
                subject=data["subject"],
                description=data["description"],
            )
        except ValidationError as error:
            _form_errors(form, error)
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            return _after_create(request, complaint)
    else:
        audit_log(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.COMPLAINT_HANDLING, obj=contact)
    return render(
        request,
        "complaints/complaint_from_contact.html",
        {"form": form, "contact": contact},
        status=400 if form.errors else 200,
    )


# -- disclosures -------------------------------------------------------------------------------


@access_required(Area.DISCLOSURES)
def disclosure_list(request: HttpRequest) -> HttpResponse:
    disclosures = selectors.disclosure_log()
    complaint = request.GET.get("complaint", "")
    if complaint.isdigit():
        disclosures = disclosures.filter(complaint_id=int(complaint))
    page = Paginator(disclosures, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    audit_log_many(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.LEGAL_CLAIMS, objects=rows)
    return render(request, "complaints/disclosure_list.html", {"page": page, "rows": rows})


@access_required(Area.DISCLOSURES, Action.CREATE)
def disclosure_create(request: HttpRequest) -> HttpResponse:
    initial = {"complaint": request.GET.get("complaint")} if request.GET.get("complaint", "").isdigit() else {}
    form = DisclosureForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        complaint = _scoped_one(Complaint, data["complaint"], form, "complaint", request.user)
        contacts = _scoped_ids(Contact, data["contacts"], form, "contacts", request.user)
        if not form.errors:
            try:
                disclosure = services.disclosure_record(
                    controller=data["controller"],
                    actor=request.user,
                    recipient_type=data["recipient_type"],
                    recipient_name=data["recipient_name"],
                    legal_basis=data["legal_basis"],
                    description=data["description"],
                    complaint=complaint,
                    contacts=contacts,
                    disclosed_at=data["disclosed_at"],
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The disclosure was logged."))
                if complaint is not None and can(request.user, Area.COMPLAINTS):
                    return redirect("complaints:complaint_detail", pk=complaint.pk)
                if not can(request.user, Area.COMPLAINTS):
                    return redirect("core:home")
                return redirect(reverse("complaints:disclosure_list") + f"#disclosure-{disclosure.pk}")
    return render(request, "complaints/disclosure_form.html", {"form": form}, status=400 if form.errors else 200)


# -- legal holds (DPO) -------------------------------------------------------------------------


@access_required(Area.DATA_PROTECTION)
def hold_list(request: HttpRequest) -> HttpResponse:
    holds = selectors.legal_holds()
    show = request.GET.get("show", "active")
    if show == "active":
        holds = holds.filter(released_at__isnull=True)
    elif show == "released":
        holds = holds.filter(released_at__isnull=False)
    page = Paginator(holds, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    audit_log_many(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.LEGAL_CLAIMS, objects=rows)
    return render(request, "complaints/hold_list.html", {"page": page, "rows": rows, "show": show})


@access_required(Area.DATA_PROTECTION, Action.CHANGE)
def hold_place(request: HttpRequest) -> HttpResponse:
    initial = {}
    for name in ("complaint", "task"):
        if request.GET.get(name, "").isdigit():
            initial = {"scope": name, name: request.GET[name]}
    form = LegalHoldForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scope = data["scope"]
        complaint = (
            _scoped_one(Complaint, data["complaint"], form, "complaint", request.user) if scope == "complaint" else None
        )
        task = _scoped_one(Task, data["task"], form, "task", request.user) if scope == "task" else None
        contacts = _scoped_ids(Contact, data["contacts"], form, "contacts", request.user) if scope == "contacts" else []
        if not form.errors:
            try:
                hold = services.legal_hold_place(
                    controller=data["controller"],
                    actor=request.user,
                    matter=data["matter"],
                    reason=data["reason"],
                    scope=scope,
                    complaint=complaint,
                    task=task,
                    contacts=contacts,
                    emails=data["emails"],
                    phones=data["phones"],
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("The legal hold was placed."))
                return redirect("complaints:hold_detail", pk=hold.pk)
    return render(request, "complaints/hold_form.html", {"form": form}, status=400 if form.errors else 200)


@access_required(Area.DATA_PROTECTION)
def hold_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_scoped_or_404(selectors.legal_holds(), pk=pk)
    audit_log(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.LEGAL_CLAIMS, obj=hold)
    return render(request, "complaints/hold_detail.html", {"hold": hold})


@require_http_methods(["GET", "POST"])
@access_required(Area.DATA_PROTECTION, Action.CHANGE)
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release a hold, after a page naming what it covers and what the purge may then delete."""
    hold = get_scoped_or_404(selectors.legal_holds(), pk=pk)
    if not hold.is_active:
        messages.error(request, _("This legal hold has already been released."))
        return redirect("complaints:hold_detail", pk=pk)
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.legal_hold_release(hold=hold, actor=request.user, reason=form.cleaned_data["reason"])
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The legal hold was released."))
        return redirect("complaints:hold_detail", pk=pk)
    if request.method == "GET":
        audit_log(actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.LEGAL_CLAIMS, obj=hold)
    coverage = hold_coverage(hold)
    return render(
        request,
        "complaints/hold_release.html",
        {"hold": hold, "form": form, "coverage": coverage, "freed": sum(row.freed for row in coverage)},
        status=400 if form.errors else 200,
    )
