from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from core.forms import RefusesPersonalIdentityCodes


class PurgeRunForm(RefusesPersonalIdentityCodes, forms.Form):
    """Start a run: a dry run unless the DPO unticks it, and a real purge only after the
    confirmation page (PurgeConfirmForm)."""

    dry_run = forms.BooleanField(
        label=_("Dry run: delete nothing, only report what would go and what is kept"), required=False, initial=True
    )


def confirmation_word() -> str:
    """The word the DPO types to confirm a real purge, in the language of the page."""
    return pgettext("the word typed to confirm a purge", "DELETE")


class PurgeConfirmForm(RefusesPersonalIdentityCodes, forms.Form):
    """A real purge, confirmed against the dry run the DPO was shown, by typing a word."""

    dry_run = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    word = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["word"].label = _("Type %(word)s to confirm") % {"word": confirmation_word()}

    def clean_word(self) -> str:
        word = self.cleaned_data["word"].strip()
        if word.upper() != confirmation_word().upper():
            raise forms.ValidationError(
                _("Type %(word)s to confirm the purge.") % {"word": confirmation_word()}, code="confirmation"
            )
        return word
