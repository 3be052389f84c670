"""The DPO's retention pages: the dashboard, the purge runs, starting a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import Action, Area, access_required
from core.audit import audit_log_per_controller
from core.models import AuditAction, AuditPurpose, Controller
from core.scoping import get_scoped_or_404
from retention.deletion import keep_reason_labels
from retention.forms import PurgeConfirmForm, PurgeRunForm
from retention.models import PurgeRun
from retention.purge import PurgeInProgress
from retention.selectors import (
    AgeChart,
    counts_for_controllers,
    kept_totals_by_reason,
    purge_dry_run_for_confirmation,
    purge_runs_visible_to,
    record_type_labels,
    retention_dashboard,
    totals_by_record_type,
)
from retention.services import purge_run_request

# The chart's drawing area, in SVG user units.
CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 640, 200, 30


@dataclass
class Bar:
    x: int
    y: int
    width: int
    height: int
    count: int
    from_days: int
    to_days: int | None


def _chart_geometry(chart: AgeChart) -> dict:
    """Bars and the retention line of an age chart, drawn on the server (no script: CSP)."""
    slots = len(chart.buckets)
    slot = (CHART_WIDTH - CHART_MARGIN) // slots
    tallest = max(chart.buckets) or 1
    bars = []
    for index, count in enumerate(chart.buckets):
        height = round((CHART_HEIGHT - CHART_MARGIN) * count / tallest)
        bars.append(
            Bar(
                x=CHART_MARGIN + index * slot + 2,
                y=CHART_HEIGHT - CHART_MARGIN - height,
                width=slot - 4,
                height=height,
                count=count,
                from_days=index * chart.bucket_days,
                to_days=None if index == slots - 1 else (index + 1) * chart.bucket_days,
            )
        )
    return {
        "chart": chart,
        "bars": bars,
        "line_x": CHART_MARGIN + chart.line_index * slot,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "axis_y": CHART_HEIGHT - CHART_MARGIN,
        "label_y": CHART_HEIGHT - CHART_MARGIN + 16,
    }


@require_GET
@access_required(Area.DATA_PROTECTION)
def dashboard(request: HttpRequest) -> HttpResponse:
    data = retention_dashboard(user=request.user)
    return render(
        request,
        "retention/dashboard.html",
        {
            "dashboard": data,
            "charts": [_chart_geometry(chart) for chart in data.charts],
            "form": PurgeRunForm(),
        },
    )


@require_GET
@access_required(Area.DATA_PROTECTION)
def run_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(purge_runs_visible_to(request.user), 50).get_page(request.GET.get("page"))
    ids = request.user.controller_ids()
    rows = [
        (run, sum(totals_by_record_type(counts_for_controllers(run.deleted, ids)).values())) for run in page.object_list
    ]
    return render(request, "retention/run_list.html", {"page": page, "rows": rows, "form": PurgeRunForm()})


def _audit_run_viewed(request: HttpRequest, run: Any) -> None:
    """One event for each of the viewer's controllers the run purged: the figures shown are theirs."""
    ids = set(request.user.controller_ids())
    audit_log_per_controller(
        actor=request.user,
        action=AuditAction.VIEW,
        purpose=AuditPurpose.RETENTION,
        obj=run,
        details_by_controller=dict.fromkeys(set(run.controllers.values_list("pk", flat=True)) & ids),
    )


@require_GET
@access_required(Area.DATA_PROTECTION)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_scoped_or_404(purge_runs_visible_to(request.user), pk=pk)
    ids = request.user.controller_ids()
    controllers = {str(c.pk): c for c in Controller.objects.filter(pk__in=ids)}
    deleted = counts_for_controllers(run.deleted, ids)
    kept = counts_for_controllers(run.kept, ids)
    labels = keep_reason_labels()
    names = record_type_labels()
    _audit_run_viewed(request, run)
    return render(
        request,
        "retention/run_detail.html",
        {
            "run": run,
            "deleted_rows": [
                (names.get(key, key), controllers[pk].name, count)
                for key, per in sorted(deleted.items())
                for pk, count in sorted(per.items())
            ],
            "kept_rows": [
                (names.get(key, key), controllers[pk].name, labels.get(code, code), count)
                for key, per in sorted(kept.items())
                for pk, reasons in sorted(per.items())
                for code, count in sorted(reasons.items())
            ],
            "kept_totals": [(code, labels.get(code, code), n) for code, n in kept_totals_by_reason(kept).items()],
            "run_controllers": [
                controllers[str(pk)].name
                for pk in run.controllers.values_list("pk", flat=True)
                if str(pk) in controllers
            ],
        },
    )


@require_POST
@access_required(Area.DATA_PROTECTION, Action.CHANGE)
def run_start(request: HttpRequest) -> HttpResponse:
    """Start a dry run. A real purge is never started here: unticking the dry run leads to the
    confirmation page, which shows what the latest dry run said would go."""
    form = PurgeRunForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["dry_run"]:
        return redirect("retention:run_confirm")
    try:
        run = purge_run_request(user=request.user, dry_run=True)
    except PurgeInProgress:
        messages.error(request, _("A purge run is in progress; try again when it has finished."))
        return redirect("retention:dashboard")
    messages.success(request, _("Dry run started."))
    return redirect("retention:run_detail", pk=run.pk)


def _run_counts(run: PurgeRun, user: Any) -> dict[str, Any]:
    """A run's counts for the user's controllers, named, for the pages."""
    ids = user.controller_ids()
    controllers = {str(c.pk): c for c in Controller.objects.filter(pk__in=ids)}
    labels = record_type_labels()
    reasons = keep_reason_labels()
    deleted = counts_for_controllers(run.deleted, ids)
    kept = counts_for_controllers(run.kept, ids)
    return {
        "deleted_rows": [
            (key, labels.get(key, key), controllers[pk].name, count)
            for key, per in sorted(deleted.items())
            for pk, count in sorted(per.items())
        ],
        "deleted_total": sum(totals_by_record_type(deleted).values()),
        "kept_totals": [(code, reasons.get(code, code), n) for code, n in kept_totals_by_reason(kept).items()],
    }


@require_http_methods(["GET", "POST"])
@access_required(Area.DATA_PROTECTION, Action.CHANGE)
def run_confirm(request: HttpRequest) -> HttpResponse:
    """A real purge: first what the latest dry run said would go, then the DPO types a word."""
    found = purge_dry_run_for_confirmation(user=request.user)
    latest = {"dry_run": found.run.pk if found.usable else None}  # type: ignore[union-attr]
    form = PurgeConfirmForm(request.POST if request.method == "POST" else None, initial=latest)
    stale = False
    if request.method == "POST" and form.is_valid():
        if not found.usable or form.cleaned_data["dry_run"] != found.run.pk:  # type: ignore[union-attr]
            # Confirmed against figures that are no longer the latest: show the latest instead.
            stale, form = True, PurgeConfirmForm(initial=latest)
        else:
            try:
                run = purge_run_request(user=request.user, dry_run=False, confirmed_dry_run=found.run)
            except PurgeInProgress:
                messages.error(request, _("A purge run is in progress; try again when it has finished."))
                return redirect("retention:dashboard")
            messages.success(request, _("Purge run started."))
            return redirect("retention:run_detail", pk=run.pk)
    context: dict[str, Any] = {"found": found, "form": form, "stale": stale}
    if found.run is not None:
        _audit_run_viewed(request, found.run)
        context.update(_run_counts(found.run, request.user))
    return render(request, "retention/run_confirm.html", context, status=400 if stale or form.errors else 200)
