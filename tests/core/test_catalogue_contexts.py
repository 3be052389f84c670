"""The catalogues: an English word with two meanings never shares one msgid, and fi/sv are complete.

"Subject" is the topic of an email and also the person a privacy request is about; "From"/"To"
are a date range and also email headers. One msgid for both gave Finnish users "Rekisteröity"
(data subject) as the heading over email subjects. Each such word is translated only with a
message context (`pgettext`, `{% translate "x" context "y" %}`) that names its meaning.
"""

from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fi", "sv")

# English words this UI uses in more than one sense, whose Finnish or Swedish differ by sense.
AMBIGUOUS = {
    "Subject": "topic of a message or complaint / the person a privacy request is about",
    "From": "date range / email header",
    "To": "date range / email header",
    "Sent": "status of a message / audit action",
    "Record": "a stored record (noun) / to write down (verb, on buttons)",
    "Request": "privacy request / HTTP request",
    "Created": "date / audit action",
    "Deleted": "records removed / audit action",
    "Restricted": "audit action / restricted processing (state)",
    "Close": "to close (verb) / near",
    "State": "status / a country's state",
    "Post": "to post / mail",
}
# Decided to need no context: one sense, or the same Finnish and Swedish in every sense here.
ONE_MEANING = ("Open", "Closed", "Received", "Status", "Type", "Kind", "Name", "Due", "Scope")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ambiguous_word_is_translated_only_with_a_context(language):
    bare = [e.msgid for e in catalogue(language) if e.msgid.rstrip(":") in AMBIGUOUS and not e.msgctxt]
    assert not bare, f"{language}: give these a message context naming their meaning: {bare}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_entry_is_fuzzy_or_untranslated(language):
    po = catalogue(language)
    fuzzy = [(e.msgctxt, e.msgid) for e in po if "fuzzy" in e.flags and not e.obsolete]
    untranslated = [(e.msgctxt, e.msgid) for e in po if not e.obsolete and not e.translated()]
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:20]}"
    assert not untranslated, f"untranslated in {language}: {untranslated[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_is_as_new_as_the_source(language):
    """A .po edited without compiling would pass the checks above while the UI stays wrong."""
    directory = ROOT / "locale" / language / "LC_MESSAGES"
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(directory / "django.mo"))}
    source = {(e.msgctxt or None, e.msgid): e.msgstr for e in catalogue(language) if e.msgstr and not e.obsolete}
    differing = [key for key, text in source.items() if compiled.get(key) != text]
    assert not differing, f"{language}: recompile the catalogue, stale: {differing[:10]}"


@pytest.mark.parametrize(
    ("context", "word", "language", "expected"),
    [
        ("topic of a message or complaint", "Subject", "fi", "Aihe"),
        ("topic of a message or complaint", "Subject", "sv", "Ämne"),
        ("the person a privacy request is about", "Subject", "fi", "Rekisteröity"),
        ("date range", "From", "fi", "Alkaen"),
        ("date range", "To", "fi", "Päättyen"),
        ("email header", "From", "fi", "Lähettäjä"),
        ("status of a message", "Sent", "fi", "Lähetetty"),
        ("status of a message", "Sent", "sv", "Skickat"),
        ("privacy request", "Request", "sv", "Begäran"),
        ("date", "Created", "fi", "Luotu"),
    ],
)
def test_each_meaning_reads_right(context, word, language, expected):
    with translation.override(language):
        assert translation.pgettext(context, word) == expected


def test_the_known_ambiguous_words_are_kept_apart_from_the_plain_ones():
    assert not set(AMBIGUOUS) & set(ONE_MEANING)
