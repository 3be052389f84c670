from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import AuditAction, AuditEvent, AuditPurpose, Controller, audited_model_choices
from core.personal_identity_code import REFUSED_CODE, REFUSED_MESSAGE, contains_personal_identity_code


class RefusesPersonalIdentityCodes:
    """Every staff form derives from this: a personal identity code typed into any text field
    (core.personal_identity_code) is an error on that field. Passwords are not looked at: they
    are never stored as typed. A test walks the project's forms to see that none forgets."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is None:
            return
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
                continue
            if contains_personal_identity_code(cleaned.get(name)):
                self.add_error(name, forms.ValidationError(REFUSED_MESSAGE, code=REFUSED_CODE))  # type: ignore[attr-defined]


class AuditFilterForm(RefusesPersonalIdentityCodes, forms.Form):
    controller = forms.ModelChoiceField(
        label=_("Controller"), queryset=Controller.objects.none(), required=False, to_field_name="slug"
    )
    action = forms.ChoiceField(label=_("Action"), choices=[("", "—"), *AuditAction.choices], required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=[("", "—"), *AuditPurpose.choices], required=False)
    actor = forms.CharField(label=_("User"), required=False, max_length=150)
    object_type = forms.ChoiceField(
        label=_("Object type"), choices=lambda: [("", "—"), *audited_model_choices()], required=False
    )
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    after = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].queryset = Controller.objects.filter(pk__in=user.controller_ids())

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        if data.get("controller"):
            events = events.filter(controller=data["controller"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("purpose"):
            events = events.filter(purpose=data["purpose"])
        if data.get("actor"):
            events = events.filter(actor__username=data["actor"])
        if data.get("object_type"):
            events = events.filter(object_type=data["object_type"])
        if data.get("object_id"):
            events = events.filter(object_id=data["object_id"])
        if data.get("after"):
            events = events.filter(at__date__gte=data["after"])
        if data.get("before"):
            events = events.filter(at__date__lte=data["before"])
        return events
