"""Forms of the staff pages: they validate input; the services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import ComplaintChannel, ComplaintKind, ComplaintStatus, HoldScope, RecipientType
from complaints.selectors import complaint_handlers
from complaints.services import ComplainantDetails, complainant_details_errors
from core.forms import RefusesPersonalIdentityCodes
from core.models import Controller


class UserControllerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


def _user_controllers(user: Any) -> Any:
    return Controller.objects.filter(pk__in=user.controller_ids()).order_by("name")


class QueueFilterForm(RefusesPersonalIdentityCodes, forms.Form):
    AGE_CHOICES = [
        ("", _("Any age")),
        ("7", _("Older than a week")),
        ("14", _("Older than two weeks")),
        ("30", _("Older than a month")),
    ]

    status = forms.MultipleChoiceField(
        label=_("Status"), choices=ComplaintStatus.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ComplaintKind.choices], required=False)
    controller = UserControllerChoiceField(
        label=_("Controller"), queryset=Controller.objects.none(), required=False, to_field_name="slug"
    )
    handler = forms.ChoiceField(label=_("Handler"), required=False)
    age = forms.ChoiceField(label=_("Age"), choices=AGE_CHOICES, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["controller"].queryset = _user_controllers(user)
        self.fields["handler"].choices = [
            ("", "—"),
            ("me", _("Me")),
            ("none", _("Unassigned")),
            *[(u.username, u.username) for u in complaint_handlers(user.controller_ids())],
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for selectors.complaint_queue_filtered; open complaints by default."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        handler = data.get("handler") or ""
        result: dict[str, Any] = {
            "status": data.get("status")
            or [ComplaintStatus.RECEIVED, ComplaintStatus.IN_HANDLING, ComplaintStatus.RESOLVED],
            "kind": data.get("kind") or "",
            "controller": data.get("controller"),
            "unassigned": handler == "none",
            "older_than_days": int(data["age"]) if data.get("age") else None,
        }
        if handler == "me":
            result["handler"] = self.user
        elif handler and handler != "none":
            result["handler"] = complaint_handlers(self.user.controller_ids()).filter(username=handler).first()
        return result


class ComplainantFields(RefusesPersonalIdentityCodes, forms.Form):
    """Who complains: matched to a customer of the controller by email, then phone, or a new
    customer (complaints.services.complainant_match_or_create). All empty: anonymous feedback."""

    complainant_name = forms.CharField(
        label=_("Complainant's name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    complainant_email = forms.CharField(
        label=_("Complainant's email address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    complainant_phone = forms.CharField(
        label=_("Complainant's phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )

    def complainant_details(self) -> ComplainantDetails:
        data = getattr(self, "cleaned_data", {})
        return ComplainantDetails(
            name=data.get("complainant_name", ""),
            email=data.get("complainant_email", ""),
            phone=data.get("complainant_phone", ""),
        )

    def complainant_given(self) -> bool:
        return self.complainant_details().given

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        details = self.complainant_details()
        for name, messages in (complainant_details_errors(details) if details.given else {}).items():
            field = f"complainant_{name}"
            if field not in self.errors:
                self.add_error(field, messages)
        return cleaned


class ComplaintForm(ComplainantFields):
    controller = UserControllerChoiceField(label=_("Controller"), queryset=Controller.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=ComplaintKind.choices)
    channel = forms.ChoiceField(label=_("Received by"), choices=[("", "—"), *ComplaintChannel.choices])
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty if it came in just now."),
    )
    subject = forms.CharField(label=pgettext_lazy("topic of a message or complaint", "Subject"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)

    field_order = [
        "controller",
        "kind",
        "channel",
        "received_at",
        "complainant_name",
        "complainant_email",
        "complainant_phone",
        "subject",
        "description",
    ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        controllers = _user_controllers(user)
        self.fields["controller"].queryset = controllers
        if len(controllers) == 1:
            self.fields["controller"].initial = controllers[0]


class ComplainantLookupForm(ComplainantFields):
    """The intake form's live answer to "who is this?" before saving (htmx)."""

    controller = UserControllerChoiceField(label=_("Controller"), queryset=Controller.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].queryset = _user_controllers(user)


class ComplaintFromContactForm(RefusesPersonalIdentityCodes, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ComplaintKind.choices)
    subject = forms.CharField(label=pgettext_lazy("topic of a message or complaint", "Subject"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)


class TransitionForm(RefusesPersonalIdentityCodes, forms.Form):
    to = forms.ChoiceField(label=_("New status"), choices=ComplaintStatus.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(value, ComplaintStatus(value).label) for value in allowed]


class NoteForm(RefusesPersonalIdentityCodes, forms.Form):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}))


class ResolutionForm(RefusesPersonalIdentityCodes, forms.Form):
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 4}))


class DisclosureForm(RefusesPersonalIdentityCodes, forms.Form):
    controller = UserControllerChoiceField(label=_("Controller"), queryset=Controller.objects.none())
    recipient_type = forms.ChoiceField(label=_("Recipient type"), choices=RecipientType.choices)
    recipient_name = forms.CharField(label=_("Recipient"), max_length=200)
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300)
    description = forms.CharField(label=_("What was disclosed"), widget=forms.Textarea(attrs={"rows": 3}))
    complaint = forms.IntegerField(label=_("Complaint number"), required=False, min_value=1)
    contacts = forms.CharField(
        label=_("Contact numbers"), required=False, help_text=_("Separate the numbers with commas.")
    )
    disclosed_at = forms.DateTimeField(
        label=_("Disclosed at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        controllers = _user_controllers(user)
        self.fields["controller"].queryset = controllers
        if len(controllers) == 1:
            self.fields["controller"].initial = controllers[0]

    def clean_contacts(self) -> list[int]:
        return _id_list(self.cleaned_data.get("contacts", ""))


def _id_list(raw: str) -> list[int]:
    ids = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise forms.ValidationError(_("Give the numbers separated by commas."))
        ids.append(int(part))
    return ids


class LegalHoldForm(RefusesPersonalIdentityCodes, forms.Form):
    controller = UserControllerChoiceField(label=_("Controller"), queryset=Controller.objects.none())
    matter = forms.CharField(label=_("Matter"), max_length=300)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    scope = forms.ChoiceField(label=_("The hold covers"), choices=HoldScope.choices, widget=forms.RadioSelect)
    complaint = forms.IntegerField(label=_("Complaint number"), required=False, min_value=1)
    task = forms.IntegerField(label=_("Task number"), required=False, min_value=1)
    contacts = forms.CharField(
        label=_("Contact numbers"), required=False, help_text=_("Separate the numbers with commas.")
    )
    emails = forms.CharField(
        label=_("Subject's email addresses"), required=False, help_text=_("Separate the addresses with commas.")
    )
    phones = forms.CharField(
        label=_("Subject's phone numbers"), required=False, help_text=_("Separate the numbers with commas.")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        controllers = _user_controllers(user)
        self.fields["controller"].queryset = controllers
        if len(controllers) == 1:
            self.fields["controller"].initial = controllers[0]

    def clean_contacts(self) -> list[int]:
        return _id_list(self.cleaned_data.get("contacts", ""))

    def clean_emails(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data.get("emails", "").split(",") if part.strip()]

    def clean_phones(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data.get("phones", "").split(",") if part.strip()]


class ReleaseForm(RefusesPersonalIdentityCodes, forms.Form):
    """Releasing a hold hands its records back to the retention rules: asked for once more."""

    reason = forms.CharField(label=_("Reason for release"), widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("I understand that the records this hold keeps may then be deleted by the purge, for good."),
        error_messages={"required": _("Tick the box to confirm the release.")},
    )


class StatisticsForm(RefusesPersonalIdentityCodes, forms.Form):
    """The period of the complaint statistics, and a controller (by slug; one the user lacks is a
    404 in the view)."""

    controller = forms.ModelChoiceField(
        label=_("Controller"), queryset=Controller.objects.all(), required=False, to_field_name="slug"
    )
    months = forms.IntegerField(label=_("Months back"), min_value=1, max_value=36, initial=12, required=False)
