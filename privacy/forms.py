"""Forms of the DPO's pages; the rules themselves live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.access import Action, Area
from core.forms import RefusesPersonalIdentityCodes
from core.selectors import controllers_of, staff_with_access
from privacy.models import (
    IdentityMethod,
    Language,
    LetterKind,
    NotificationStatus,
    RejectionReason,
    RequestChannel,
    RequestKind,
    RestrictionBasis,
)


class RequestForm(RefusesPersonalIdentityCodes, forms.Form):
    controller = forms.ModelChoiceField(queryset=None, label=_("Controller"), to_field_name="slug")
    kind = forms.ChoiceField(choices=RequestKind.choices, label=_("Kind"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
    received_at = forms.DateTimeField(label=_("Received at"), required=False)
    channel = forms.ChoiceField(choices=RequestChannel.choices, label=_("Received by"))
    language = forms.ChoiceField(choices=Language.choices, label=_("Language of the answer"))
    details = forms.CharField(label=_("What the subject asked for"), widget=forms.Textarea, required=False)
    include_consultation_history = forms.BooleanField(label=_("Include the consultation history"), required=False)
    from_contact = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].queryset = controllers_of(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("from_contact") and not (data.get("email") or data.get("phone")):
            raise forms.ValidationError(_("Give at least an email address or a phone number of the subject."))
        return data


class VerifyIdentityForm(RefusesPersonalIdentityCodes, forms.Form):
    method = forms.ChoiceField(choices=IdentityMethod.choices, label=_("How was the identity established?"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, required=False)
    identifiers = forms.MultipleChoiceField(
        label=_("Addresses and numbers this check shows to be the requester's"),
        help_text=_(
            "None ticked: a reply proves the first address, a call-back the first number; an identification "
            "or a document proves the person only."
        ),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, identifiers: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["identifiers"].choices = [(i.value, i.value) for i in identifiers if not i.verified]

    def verification(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["identifiers"] = data.get("identifiers") or None
        return data


class IdentifierAddForm(RefusesPersonalIdentityCodes, forms.Form):
    value = forms.CharField(label=_("Email address or phone number"), max_length=254)


class LetterSendForm(RefusesPersonalIdentityCodes, forms.Form):
    to_address = forms.ChoiceField(label=_("Send to"), choices=())

    def __init__(self, *args: Any, addresses: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_address"].choices = [(a, a) for a in addresses]


class ExtendForm(RefusesPersonalIdentityCodes, forms.Form):
    reason = forms.CharField(label=_("Reason (told to the subject)"), widget=forms.Textarea)
    due_at = forms.DateField(label=_("New due date (at most two further months)"), required=False)


class RejectForm(RefusesPersonalIdentityCodes, forms.Form):
    reason = forms.ChoiceField(choices=RejectionReason.choices, label=_("Reason"))
    justification = forms.CharField(label=_("Justification (told to the subject)"), widget=forms.Textarea)


class ExecuteForm(RefusesPersonalIdentityCodes, forms.Form):
    basis = forms.ChoiceField(
        choices=[("", "—"), *RestrictionBasis.choices], label=_("Basis of the restriction"), required=False
    )
    compelling_grounds = forms.CharField(
        label=_("Compelling legitimate grounds, if any"), widget=forms.Textarea, required=False
    )
    reason = forms.CharField(label=_("Reason for the rectification"), widget=forms.Textarea, required=False)
    record = forms.CharField(label=_("Record (type:id)"), required=False)
    field = forms.CharField(label=_("Field"), required=False)
    value = forms.CharField(label=_("Correct value"), required=False)

    def execution_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        record = data.pop("record", "")
        field, value = data.pop("field", ""), data.pop("value", "")
        if record and ":" in record:
            record_type, _sep, record_id = record.partition(":")
            if record_id.isdigit():
                data["changes"] = [
                    {"record_type": record_type, "record_id": int(record_id), "field": field, "value": value}
                ]
        return data


class LetterForm(RefusesPersonalIdentityCodes, forms.Form):
    kind = forms.ChoiceField(choices=LetterKind.choices, label=_("Letter"))
    language = forms.ChoiceField(choices=Language.choices, label=_("Language"))


class NotificationForm(RefusesPersonalIdentityCodes, forms.Form):
    status = forms.ChoiceField(
        choices=[c for c in NotificationStatus.choices if c[0] != NotificationStatus.PENDING], label=_("Status")
    )
    reason = forms.CharField(label=_("Reason"), required=False)


class RedactionForm(RefusesPersonalIdentityCodes, forms.Form):
    record = forms.CharField(label=_("Record (type:id)"))
    field = forms.CharField(label=_("Field"))
    reason = forms.CharField(label=_("Reason"))


class NotesForm(RefusesPersonalIdentityCodes, forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Assignee"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_with_access(Area.DATA_PROTECTION, Action.CHANGE)
