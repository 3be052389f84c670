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
from django.utils.translation import pgettext_lazy

from contacts import selectors
from contacts.identifiers import normalise_email, normalise_phone
from contacts.models import Channel, Contact, Customer, Direction, Task, TaskPriority, TaskState
from contacts.tickets import NOTE_MAX_LENGTH
from core.access import Action, Area
from core.filters import MAX_ID
from core.forms import RefusesPersonalIdentityCodes
from core.models import Controller
from core.selectors import staff_with_access


def _controller_field(user: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Controller"),
        queryset=Controller.objects.filter(pk__in=user.controller_ids()).order_by("name"),
        empty_label=None,
    )


class CallForm(RefusesPersonalIdentityCodes, forms.Form):
    """Logging a call: the phone number first; Enter in any field saves."""

    phone = forms.CharField(label=_("Phone number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.INBOUND)
    subject = forms.CharField(
        label=pgettext_lazy("topic of a message or complaint", "Subject"), max_length=500, required=False
    )
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


class ContactFilterForm(RefusesPersonalIdentityCodes, forms.Form):
    """Search and filters of the contact list."""

    q = forms.CharField(label=_("Search"), required=False, min_length=selectors.SEARCH_MIN_LENGTH, max_length=200)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False)
    controller = forms.ModelChoiceField(
        label=_("Controller"), queryset=Controller.objects.none(), required=False, empty_label=_("All controllers")
    )
    occurred_after = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_before = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
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
    """An id of a row of `model` that the form's user may read (`visible_to`: their controllers',
    a restricted record only for the DPO): any other id is unknown."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        self.user: Any = None
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def clean(self, value: Any) -> Any:
        pk = super().clean(value)
        if pk is None:
            return None
        found = self.model.objects.visible_to(self.user).filter(pk=pk).first()
        if found is None:
            raise ValidationError(_("No such record."), code="unknown")
        return found


class ChoosesVisibleRecords:
    """A form whose ids (ScopedIdField) are read as its user sees the records."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if isinstance(field, ScopedIdField):
                field.user = user


class RelinkForm(ChoosesVisibleRecords, RefusesPersonalIdentityCodes, forms.Form):
    customer = ScopedIdField(Customer, label=_("Customer number"))


class MergeForm(ChoosesVisibleRecords, RefusesPersonalIdentityCodes, forms.Form):
    """The merge, after the confirmation page: the duplicate found by search, and the agent's yes."""

    duplicate = ScopedIdField(Customer, label=_("Customer to merge into this one"), widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("I have checked that these are the same person."),
        error_messages={"required": _("Confirm that these are the same person.")},
    )


class CustomerSearchForm(RefusesPersonalIdentityCodes, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, min_length=selectors.SEARCH_MIN_LENGTH, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Name, email address or phone number"), "type": "search", "autocomplete": "off"}
        )

    @property
    def term(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_bound and self.is_valid() else ""


def _lines(value: str) -> list[str]:
    return [part.strip() for part in value.replace(",", "\n").replace(";", "\n").splitlines() if part.strip()]


class CustomerForm(RefusesPersonalIdentityCodes, forms.Form):
    """A customer's name and identifiers, one per line; stored normalised (lower-cased
    addresses, E.164 numbers), each malformed one named in the message."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    emails = forms.CharField(
        label=_("Email addresses"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )
    phones = forms.CharField(
        label=_("Phone numbers"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; Finnish numbers may be written without +358."),
    )

    MAX_IDENTIFIERS = 20

    def _normalised(self, field_name: str, normalise: Any, message: Any) -> list[str]:
        values, bad = [], []
        for raw in _lines(self.cleaned_data[field_name]):
            try:
                values.append(normalise(raw))
            except ValidationError:
                bad.append(raw[:60])
        if bad:
            raise ValidationError(message % {"values": ", ".join(bad)}, code="invalid")
        if len(values) > self.MAX_IDENTIFIERS:
            raise ValidationError(_("At most %(limit)s per customer.") % {"limit": self.MAX_IDENTIFIERS}, code="many")
        return list(dict.fromkeys(values))

    def clean_emails(self) -> list[str]:
        return self._normalised("emails", normalise_email, _("Not an email address: %(values)s"))

    def clean_phones(self) -> list[str]:
        return self._normalised("phones", normalise_phone, _("Not a phone number: %(values)s"))


class TaskAssignForm(RefusesPersonalIdentityCodes, forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_with_access(
            Area.CUSTOMER_SERVICE, Action.CHANGE, controller_ids=[task.controller_id]
        )
        self.fields["assignee"].empty_label = _("Nobody")


class TaskCreateForm(ChoosesVisibleRecords, RefusesPersonalIdentityCodes, forms.Form):
    """A ticket from scratch: a phone call about something new, a letter, a visit."""

    title = forms.CharField(label=_("Title"), max_length=300)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("No channel")), *Channel.choices], required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=TaskPriority.choices, coerce=int, initial=TaskPriority.NORMAL
    )
    customer = ScopedIdField(Customer, label=_("Customer number"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields = {"controller": _controller_field(user), **self.fields}
        self.fields["title"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        customer, controller = cleaned.get("customer"), cleaned.get("controller")
        if customer is not None and controller is not None and customer.controller_id != controller.pk:
            self.add_error("customer", _("The customer belongs to another controller."))
        return cleaned


class TaskNoteForm(RefusesPersonalIdentityCodes, forms.Form):
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


class TaskTriageForm(RefusesPersonalIdentityCodes, forms.Form):
    """State and priority of a ticket, changed together from its page."""

    state = forms.ChoiceField(label=pgettext_lazy("status of a ticket", "State"), choices=TaskState.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=TaskPriority.choices, coerce=int)


class TaskMergeForm(ChoosesVisibleRecords, RefusesPersonalIdentityCodes, forms.Form):
    target = ScopedIdField(Task, label=_("Merge into ticket number"))


class InboxFilterForm(RefusesPersonalIdentityCodes, forms.Form):
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
        label=pgettext_lazy("status of a ticket", "State"),
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


class SavedInboxFilterForm(RefusesPersonalIdentityCodes, forms.Form):
    label = forms.CharField(label=_("Save these filters as"), max_length=100)

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if not label:
            raise ValidationError(_("Give the filter a name."), code="required")
        return label


class QualitySampleForm(RefusesPersonalIdentityCodes, forms.Form):
    """What to sample for quality review: a controller (by slug; one the user lacks is a 404 in
    the view), how many days back and how many contacts."""

    controller = forms.ModelChoiceField(
        label=_("Controller"), queryset=Controller.objects.all(), required=False, to_field_name="slug"
    )
    days = forms.IntegerField(label=_("Days back"), min_value=1, max_value=180, initial=30, required=False)
    size = forms.IntegerField(label=_("Sample size"), min_value=1, max_value=50, initial=10, required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern): a list, empty when none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReplyForm(RefusesPersonalIdentityCodes, forms.Form):
    """An answer by email, from a contact or a complaint: the text (a response template may fill
    it), and attachments checked like every upload (core.uploads: size, sniffed type)."""

    body = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 12}), max_length=50000)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def clean_attachments(self) -> list[Any]:
        from contacts.replies import attachments_check

        try:
            return attachments_check(self.cleaned_data["attachments"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["attachments"]) from None
