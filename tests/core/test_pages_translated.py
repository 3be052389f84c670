"""Every page (tests/ui_pages.py) renders in Finnish, Swedish and English as the persona who
uses it, and reads in its language: no English string of the catalogue left untranslated on a
Finnish or Swedish page, and no raw value (a model label like `contacts.contact`, a stored
choice like `email`) on any page."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.db import models

from tests.factories import otp_verify_client
from tests.ui_pages import NOT_PAGE_PREFIXES, NOT_PAGES, PAGES, Page, page_world, ui_url_names

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = ("core", "accounts", "contacts", "complaints", "privacy", "retention")
# Written the same in every language: names and borrowed words.
SAME_IN_EVERY_LANGUAGE = {"Retta", "Retta Oy", "Retta Isännöinti Oy", "OK", "ID", "Message-ID", "TOTP", "ZIP", "JSON"}
MODEL_LABEL = re.compile(r"\b(?:%s)\.[a-z_]+(?::\d+)?\b" % "|".join(PROJECT_APPS))  # noqa: UP031


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes outside scripts and styles, and the
    attributes shown or read aloud (title, placeholder, aria-label, alt, button values)."""

    HIDDEN = {"script", "style", "template", "noscript"}
    SPOKEN = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden += 1
        values = dict(attrs)
        for name in self.SPOKEN:
            if values.get(name):
                self.pieces.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            self.pieces.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.pieces.append(text)


def visible_pieces(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.pieces


@cache
def english_left_over(language: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The catalogue's English strings that the language writes differently: short ones are
    looked for as a whole piece of text, long ones (three words or more) anywhere in the page."""
    catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    translations = {e.msgstr for e in catalogue if e.msgstr}
    english = {
        e.msgid
        for e in catalogue
        if e.msgstr
        and not e.msgid_plural
        and "%" not in e.msgid
        and "{" not in e.msgid
        and e.msgstr.strip() != e.msgid.strip()
        and e.msgid not in translations  # the same word in both languages in another sense
        and e.msgid not in SAME_IN_EVERY_LANGUAGE
        and re.search(r"[A-Za-z]{2}", e.msgid)
    }
    long = tuple(sorted((m for m in english if len(m.split()) >= 3), key=len, reverse=True))
    return frozenset(english), long


@cache
def raw_choice_values() -> frozenset[str]:
    """Stored values of the project's choice fields that differ from what the UI should show."""
    raw = set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "choices", None) or ():
                if isinstance(value, str) and value and str(label) != value and re.fullmatch(r"[a-z_]+", value):
                    raw.add(value)
    return frozenset(raw)


def untranslated_on(pieces: list[str], language: str) -> list[str]:
    short, long = english_left_over(language)
    found = [p for p in pieces if p.strip(" :.·—()#") in short or p in short]
    text = "\n".join(pieces)
    found += [m for m in long if re.search(r"(?<![\w])" + re.escape(m) + r"(?![\w])", text)]
    return sorted(set(found))


def raw_values_on(pieces: list[str]) -> list[str]:
    raw = raw_choice_values()
    found = [p for p in pieces if MODEL_LABEL.search(p)]
    found += [p for p in pieces if p.strip(" :·()") in raw]
    return sorted(set(found))


def client_as(page: Page, client, users):  # type: ignore[no-untyped-def]
    from accounts.otp import otp_device_provision

    if page.role == "anonymous":
        return client
    if page.role == "dpo-new":  # logged in with the password, no authenticator yet
        client.force_login(users["dpo"])
        return client
    if page.role == "dpo-unverified":  # an authenticator enrolled, its code not yet given
        otp_device_provision(user=users["dpo"])
        client.force_login(users["dpo"])
        return client
    user = users[page.role]
    if page.role in {"dpo", "admin"}:
        return otp_verify_client(client, user)
    client.force_login(user)
    return client


@pytest.fixture
def users(agent, colleague, dpo, admin_user):  # type: ignore[no-untyped-def]
    """The personas under people's usernames: a username "agent" would read as a stray role key."""
    personas = {"agent": agent, "colleague": colleague, "dpo": dpo, "admin": admin_user}
    for role, user in personas.items():
        user.username = {"agent": "aino.a", "colleague": "kalle.k", "dpo": "tiina.t", "admin": "ylva.y"}[role]
        user.save(update_fields=["username"])
    admin_user.is_staff = True  # as the role service sets it: the Django admin is for administrators
    admin_user.save(update_fields=["is_staff"])
    return personas


@pytest.fixture
def world(isannointi, users):  # type: ignore[no-untyped-def]
    return page_world(isannointi, users)


def render(page: Page, client, users, world, language: str) -> str:  # type: ignore[no-untyped-def]
    browser = client_as(page, client, users)
    browser.cookies["django_language"] = language
    response = browser.get(page.url(world))
    assert response.status_code == 200, f"{page.url(world)} as {page.role} in {language}: {response.status_code}"
    assert response["Content-Language"] == language
    return response.content.decode()


@pytest.mark.parametrize("page", PAGES, ids=[p.slug + "-" + p.role for p in PAGES])
def test_page_reads_in_finnish_swedish_and_english(page, client, users, world):
    problems = {}
    for language in ("fi", "sv", "en"):
        pieces = visible_pieces(render(page, client, users, world, language))
        left = untranslated_on(pieces, language) if language != "en" else []
        raw = raw_values_on(pieces)
        if left or raw:
            problems[language] = {"English left": left, "raw values": raw}
    assert not problems, f"{page.url(world)}: {problems}"


def test_every_ui_url_pattern_is_a_walked_page_or_named_as_not_one():
    walked = {page.name for page in PAGES}
    unknown = [
        name
        for name in ui_url_names()
        if name not in walked and name not in NOT_PAGES and not name.startswith(NOT_PAGE_PREFIXES)
    ]
    assert not unknown, f"add these to PAGES or NOT_PAGES in tests/ui_pages.py: {unknown}"


def test_not_pages_names_only_existing_url_patterns():
    stale = sorted(set(NOT_PAGES) - set(ui_url_names()))
    assert not stale, f"no such URL pattern any more: {stale}"


def test_the_walk_finds_english_left_on_a_finnish_page():
    """The check itself: a heading not translated, and a model label, are caught."""
    pieces = visible_pieces(
        "<h1>Privacy requests</h1><p title='Audit log'>Aihe</p><td>contacts.contact:13</td><td>email</td>"
    )
    assert untranslated_on(pieces, "fi") == ["Audit log", "Privacy requests"]
    assert raw_values_on(pieces) == ["contacts.contact:13", "email"]
    assert not untranslated_on(visible_pieces("<h1>Tietosuojapyynnöt</h1><script>x='Audit log'</script>"), "fi")


def test_a_choice_field_keeps_its_raw_values_distinct_from_its_labels():
    assert {"email", "call", "chat"} <= raw_choice_values()
    assert isinstance(apps.get_model("contacts", "Contact")._meta.get_field("channel"), models.CharField)
