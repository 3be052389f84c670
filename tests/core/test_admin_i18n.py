"""The admin reads Finnish and Swedish: the names of apps and models, the columns of every list,
the filters and the actions, including those of third-party apps (django-axes,
django-celery-beat), which this project translates in its own catalogue
(retta_cs/third_party_messages.py)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from django.utils import translation

from tests.factories import otp_verify_client

pytestmark = pytest.mark.django_db

# The same word in English and in the language: a name, or a word the language borrowed.
SAME_IN = {
    "fi": {"Axes", "ID"},
    "sv": {"Axes", "ID", "Token", "Tokens", "Status", "Crontab", "crontab"},
}


def _texts(language: str) -> list[tuple[str, str, str]]:
    """(what, English, translated) for every label the admin's index and lists show."""
    found = []

    def both(what: str, make) -> None:  # type: ignore[no-untyped-def]
        with translation.override("en"):
            english = str(make())
        with translation.override(language):
            translated = str(make())
        found.append((what, english, translated))

    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        both(f"{label} app", lambda m=model: apps.get_app_config(m._meta.app_label).verbose_name)
        both(f"{label} model", lambda m=model: m._meta.verbose_name_plural)
        for name in model_admin.list_display:
            if name == "__str__":
                continue
            both(f"{label} column {name}", lambda n=name, m=model, a=model_admin: label_for_field(n, m, a))
        for name, function in ((n, f) for n, f in _actions(model_admin)):
            both(f"{label} action {name}", lambda f=function: f.short_description)
    return found


def _actions(model_admin):  # type: ignore[no-untyped-def]
    for action in model_admin.actions or ():
        function = getattr(model_admin, action) if isinstance(action, str) else action
        yield getattr(function, "__name__", str(action)), function


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_admin_label_is_translated(language):
    leftovers = [
        (what, english)
        for what, english, translated in _texts(language)
        if translated == english and english not in SAME_IN[language] and re.search("[A-Za-z]", english)
    ]
    assert not leftovers, f"English left in the {language} admin: {leftovers}"


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_admin_index_and_lists_render_in_the_language(client, django_user_model, language):
    root = django_user_model.objects.create_superuser("root", password="correct horse battery")
    otp_verify_client(client, root)
    index = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override("en"):
        english_header = str(admin.site.site_header)
    assert english_header not in index
    for what, english, translated in _texts(language):
        if what.endswith((" app", " model")) and translated != english:
            assert translated.capitalize() in index or translated in index, what
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200, url
