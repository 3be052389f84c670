"""The UI speaks Finnish (default), Swedish and English, and the catalogues are complete."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_finnish_is_the_default(client):
    assert "Kirjaudu sisään" in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize(("language", "text"), [("fi", "Kirjaudu sisään"), ("sv", "Logga in"), ("en", "Log in")])
def test_language_switcher_changes_the_ui(client, language, text):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/accounts/login/"}, follow=True)
    assert response.status_code == 200
    assert text in response.content.decode()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_catalogue_has_every_string_translated(language):
    catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated in {language}: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:20]}"
    assert (ROOT / "locale" / language / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext) to extract strings")
def test_catalogue_holds_every_string_of_the_code(tmp_path):
    """Extract the strings afresh into a copy of the tree: none may be missing from the catalogue."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "media", "staticfiles", "node_modules", "*.pyc")
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fi", "--no-obsolete", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "PYTHONPATH": str(copy)},
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale" / "fi" / "LC_MESSAGES" / "django.po"))}
    committed = {e.msgid for e in polib.pofile(str(ROOT / "locale" / "fi" / "LC_MESSAGES" / "django.po"))}
    missing = sorted(fresh - committed)
    assert not missing, f"strings missing from the catalogue (run make messages): {missing[:20]}"
