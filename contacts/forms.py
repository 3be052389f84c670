"""Forms of the agent UI: they validate and give the clear message; services do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts import selectors
from contacts.identifiers import normalise_email, normalise_phone
from contacts.models import Channel, Contact, Customer, Direction, Task, TaskPriority, TaskState
from contacts.tickets import NOTE_MAX_LENGTH
from core.access import Action, Area
from core.filters import MAX_ID
from core.models import Controller
from core.selectors import staff_with_access


def _controller_field(user: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Controller"),
        queryset=Controller.objects.filter(pk__in=user.controller_ids()).order_by("name"),
        empty_label=None,
    )


class CallForm(forms.Form):
    """Logging a call: the phone number first; Enter in any field saves."""

    phone = forms.CharField(label=_("Phone number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.INBOUND)
    subject = forms.CharField(label=_("Subject"), max_length=500, required=False)
    body = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    # A number, not a list: a select of every open ticket would be 100,000 options.
    task = forms.IntegerField(label=_("Ticket number"), required=False, min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"controller": _controller_field(user), **self.fields}
        self.fields["phone"].widget.attrs.update({"autofocus": True, "autocomplete": "off", "inputmode": "tel"})

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        normalise_phone(value)  # ValidationError with a clear message
        return value.strip()

    def clean_email(self) -> str:
        value = self.cleaned_data["email"]
        normalise_email(value)
        return value.strip()

    def clean_task(self) -> Task | None:
        number = self.cleaned_data["task"]
        if number is None:
            return None
        task = selectors.tasks_open().filter(pk=number).first()
        if task is None:
            raise ValidationError(_("No open ticket has this number."), code="unknown")
        return task

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        task, controller = cleaned.get("task"), cleaned.get("controller")
        if task is not None and controller is not None and task.controller_id != controller.pk:
            self.add_error("task", _("The task belongs to another controller."))
        return cleaned


class ContactFilterForm(forms.Form):
    """Search and filters of the contact list."""

    q = forms.CharField(label=_("Search"), required=False, min_length=selectors.SEARCH_MIN_LENGTH, max_length=200)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False)
    controller = forms.ModelChoiceField(
        label=_("Controller"), queryset=Controller.objects.none(), required=False, empty_label=_("All controllers")
    )
    occurred_after = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    occurred_before = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    task = forms.IntegerField(label=_("Task number"), required=False, min_value=1, max_value=MAX_ID)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].queryset = Controller.objects.filter(pk__in=user.controller_ids()).order_by("name")
        self.fields["q"].widget.attrs["placeholder"] = _("Name, email, phone or subject")

    def filter(self, contacts: QuerySet[Contact]) -> QuerySet[Contact]:
        data = self.cleaned_data
        if data.get("q"):
            contacts = contacts.filter(selectors.contact_search_q(data["q"]))
        if data.get("channel"):
            contacts = contacts.filter(channel=data["channel"])
        if data.get("controller"):
            contacts = contacts.filter(controller=data["controller"])
        zone = timezone.get_current_timezone()
        if data.get("occurred_after"):
            start = dt.datetime.combine(data["occurred_after"], dt.time.min, tzinfo=zone)
            contacts = contacts.filter(occurred_at__gte=start)
        if data.get("occurred_before"):
            end = dt.datetime.combine(data["occurred_before"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
            contacts = contacts.filter(occurred_at__lt=end)
        if data.get("task"):
            contacts = contacts.filter(task_id=data["task"])
        return contacts

    @property
    def searched(self) -> bool:
        return bool(self.is_bound and self.is_valid() and self.cleaned_data.get("q"))


class ScopedIdField(forms.IntegerField):
    """An id of a row of `model`, through the scoped manager: another controller's is unknown."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def clean(self, value: Any) -> Any:
        pk = super().clean(value)
        if pk is None:
            return None
        found = self.model.objects.filter(pk=pk).first()
        if found is None:
            raise ValidationError(_("No such record."), code="unknown")
        return found


class RelinkForm(forms.Form):
    customer = ScopedIdField(Customer, label=_("Customer number"))


class MergeForm(forms.Form):
    duplicate = ScopedIdField(Customer, label=_("Customer number to merge into this one"))


class TaskAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_with_access(
            Area.CUSTOMER_SERVICE, Action.CHANGE, controller_ids=[task.controller_id]
        )
        self.fields["assignee"].empty_label = _("Nobody")


class TaskCreateForm(forms.Form):
    """A ticket from scratch: a phone call about something new, a letter, a visit."""

    title = forms.CharField(label=_("Title"), max_length=300)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("No channel")), *Channel.choices], required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=TaskPriority.choices, coerce=int, initial=TaskPriority.NORMAL
    )
    customer = ScopedIdField(Customer, label=_("Customer number"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"controller": _controller_field(user), **self.fields}
        self.fields["title"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        customer, controller = cleaned.get("customer"), cleaned.get("controller")
        if customer is not None and controller is not None and customer.controller_id != controller.pk:
            self.add_error("customer", _("The customer belongs to another controller."))
        return cleaned


class TaskNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "data-shortcut": "n", "aria-keyshortcuts": "n"}),
        help_text=_("Seen by staff only. Ctrl+Enter saves."),
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise ValidationError(_("Write the note."), code="required")
        return body


class TaskTriageForm(forms.Form):
    """State and priority of a ticket, changed together from its page."""

    state = forms.ChoiceField(label=_("State"), choices=TaskState.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=TaskPriority.choices, coerce=int)


class TaskMergeForm(forms.Form):
    target = ScopedIdField(Task, label=_("Merge into ticket number"))


class InboxFilterForm(forms.Form):
    """The inbox's filters; a set of them can be saved under a label (SavedInboxFilter)."""

    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (selectors.InboxShow.QUEUE, _("Unassigned and mine")),
            (selectors.InboxShow.MINE, _("Mine")),
            (selectors.InboxShow.UNASSIGNED, _("Unassigned")),
            (selectors.InboxShow.ALL, _("Everyone's")),
        ],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All open states")), *[(s.value, s.label) for s in selectors.INBOX_STATES]],
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All channels")), *Channel.choices])
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *TaskPriority.choices],
    )
    controller = forms.ModelChoiceField(
        label=_("Controller"), queryset=Controller.objects.none(), required=False, empty_label=_("All controllers")
    )
    FIELDS = ("show", "state", "channel", "priority", "controller")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].queryset = Controller.objects.filter(pk__in=user.controller_ids()).order_by("name")

    def selection(self) -> dict[str, Any]:
        """The arguments of selectors.inbox_tasks; the default queue when nothing valid is chosen."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "show": data.get("show") or selectors.InboxShow.QUEUE,
            "state": data.get("state") or "",
            "channel": data.get("channel") or "",
            "priority": data.get("priority"),
            "controller_id": data["controller"].pk if data.get("controller") else None,
        }

    def query(self) -> str:
        """The chosen filters as a query string, without blanks: what a saved filter stores."""
        from urllib.parse import urlencode

        return urlencode([(name, self.data[name]) for name in self.FIELDS if self.data.get(name)])


class SavedInboxFilterForm(forms.Form):
    label = forms.CharField(label=_("Save these filters as"), max_length=100)

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if not label:
            raise ValidationError(_("Give the filter a name."), code="required")
        return label
