"""The agent's inbox: the queue of open tickets, unassigned and mine first, with saved filters.

The page polls its own rows (htmx) so new work shows without a full reload.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contacts import selectors, services
from contacts.forms import CallForm, InboxFilterForm, SavedInboxFilterForm
from contacts.models import Channel, SavedInboxFilter, Task, TaskPriority, TaskState
from contacts.views.base import audit_shown, can_write, list_page
from core.access import Area, access_required
from core.errors import Conflict

# Seconds between the page's refreshes of its rows.
INBOX_POLL_SECONDS = 20


def _labels_set(rows: list[Task]) -> None:
    # The labels translated once per page, not per cell (get_FOO_display rebuilds its choices
    # on every call: a third of the page's rendering at 50 rows).
    labels = {
        "state": {key: str(label) for key, label in TaskState.choices},
        "channel": {key: str(label) for key, label in Channel.choices},
        "priority": {key: str(label) for key, label in TaskPriority.choices},
    }
    for task in rows:
        task.state_label = labels["state"].get(task.state, task.state)
        task.channel_label = labels["channel"].get(task.channel, "")
        task.priority_label = labels["priority"].get(task.priority, "")


@access_required(Area.CUSTOMER_SERVICE)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET or None, user=request.user)
    tasks = selectors.inbox_tasks(user=request.user, **form.selection())
    page = list_page(request, tasks)
    audit_shown(request, page.rows)
    _labels_set(page.rows)
    context = {
        "form": form,
        "page": page,
        "now": timezone.now(),
        "query": form.query() if form.is_bound and form.is_valid() else "",
        "poll_seconds": INBOX_POLL_SECONDS,
        "can_write": can_write(request),
    }
    if request.headers.get("HX-Request"):
        return render(request, "contacts/partials/inbox_rows.html", context)
    context["saved_filters"] = selectors.saved_inbox_filters(user=request.user)
    context["save_form"] = SavedInboxFilterForm()
    # Logging a call from the inbox is this form, saved straight back to the inbox: one page load.
    context["call_form"] = CallForm(user=request.user) if context["can_write"] else None
    return render(request, "contacts/inbox.html", context)


@access_required(Area.CUSTOMER_SERVICE)
@require_POST
def inbox_filter_save(request: HttpRequest) -> HttpResponse:
    filters = InboxFilterForm(request.POST, user=request.user)
    form = SavedInboxFilterForm(request.POST)
    if not (form.is_valid() and filters.is_valid()):
        messages.error(request, _("Give the filter a name and choose valid filters."))
        return redirect("contacts:inbox")
    try:
        services.saved_inbox_filter_create(user=request.user, label=form.cleaned_data["label"], query=filters.query())
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("The filter is saved."))
    return redirect(f"{reverse('contacts:inbox')}?{filters.query()}")


@access_required(Area.CUSTOMER_SERVICE)
@require_POST
def inbox_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's filter is not there at all.
    saved = get_object_or_404(SavedInboxFilter, pk=pk, user=request.user)
    services.saved_inbox_filter_delete(saved=saved)
    messages.success(request, _("The filter is removed."))
    return redirect("contacts:inbox")
