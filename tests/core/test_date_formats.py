"""Dates read day before month in every language of the UI (Django's English is US-style)."""

import datetime as dt

import pytest
from django import forms
from django.utils import formats, translation

AT = dt.datetime(2026, 3, 4, 9, 5)


@pytest.mark.parametrize(
    ("language", "short_date", "short_datetime"),
    [
        ("fi", "4.3.2026", "4.3.2026 9.05"),
        ("sv", "4.3.2026", "4.3.2026 09.05"),
        ("en", "04/03/2026", "04/03/2026 09:05"),
    ],
)
def test_short_dates_put_the_day_first(language, short_date, short_datetime):
    with translation.override(language):
        assert formats.date_format(AT.date(), "SHORT_DATE_FORMAT") == short_date
        assert formats.date_format(AT, "SHORT_DATETIME_FORMAT") == short_datetime


def test_english_long_date_is_day_month_year():
    with translation.override("en"):
        assert formats.date_format(AT.date(), "DATE_FORMAT") == "4 March 2026"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_a_browser_date_field_gets_and_sends_iso(language):
    """<input type="date"> only accepts ISO values, so ISO stays the first input format."""

    class Range(forms.Form):
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    with translation.override(language):
        assert 'value="2026-03-04"' in str(Range(initial={"day": AT.date()})["day"])
        assert Range({"day": "2026-03-04"}).is_valid()
