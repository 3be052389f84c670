from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PurgeRunForm(forms.Form):
    dry_run = forms.BooleanField(
        label=_("Dry run: delete nothing, only report what would go and what is kept"), required=False
    )
