"""Phone and email normalisation: real-world Finnish and Swedish formats."""

import pytest
from django.core.exceptions import ValidationError

from contacts.identifiers import normalise_email, normalise_phone
from contacts.services import customer_match_or_create


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("040 123 4567", "+358401234567"),
        ("+358401234567", "+358401234567"),
        ("00358 40 1234567", "+358401234567"),
        ("+358 (0)40 123 4567", "+358401234567"),
        ("040-1234567", "+358401234567"),
        ("09 4242 4242", "+358942424242"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046 70-123 45 67", "+46701234567"),
        ("+46 (0)8 123 456 78", "+46812345678"),
    ],
)
def test_phone_formats_normalise_to_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["not a phone", "12", "+358"])
def test_nonsense_phone_is_refused(raw):
    with pytest.raises(ValidationError):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" Matti.Meikalainen@Example.FI ", "matti.meikalainen@example.fi"),
        ("<anna@retta.fi>", "anna@retta.fi"),
        ("", ""),
    ],
)
def test_email_normalisation(raw, normalised):
    assert normalise_email(raw) == normalised


def test_malformed_email_is_refused():
    with pytest.raises(ValidationError):
        normalise_email("matti@")


@pytest.mark.django_db
def test_same_person_by_any_phone_format_is_one_customer(isannointi):
    first = customer_match_or_create(controller=isannointi, name="Matti", phone="040 123 4567")
    second = customer_match_or_create(controller=isannointi, phone="00358 40 1234567", email="matti@example.fi")
    third = customer_match_or_create(controller=isannointi, email="MATTI@example.fi")
    assert first == second == third
    assert sorted(first.emails.values_list("email", flat=True)) == ["matti@example.fi"]


@pytest.mark.django_db
def test_customers_are_never_shared_between_controllers(isannointi, retta_oy):
    here = customer_match_or_create(controller=isannointi, email="anna@example.fi")
    there = customer_match_or_create(controller=retta_oy, email="anna@example.fi")
    assert here != there
    assert here.controller == isannointi and there.controller == retta_oy


@pytest.mark.django_db
def test_nothing_to_match_on_gives_no_customer(isannointi):
    assert customer_match_or_create(controller=isannointi, name="Nimetön") is None
