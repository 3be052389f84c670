"""Normalised identifiers: how a customer is recognised across contacts (policy P2).

Emails: trimmed and lower-cased. Phones: E.164 via the phonenumbers library, default region FI,
so `040 123 4567`, `+358401234567` and `00358 40 1234567` are the same person.
"""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "FI"


def normalise_email(raw: str) -> str:
    """The stored form of an email address: '' for blank; ValidationError when malformed."""
    value = (raw or "").strip().strip("<>").strip().lower()
    if not value:
        return ""
    validate_email(value)
    return value


def normalise_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a phone number: '' for blank; ValidationError when it is not a number."""
    value = (raw or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_phone_or_blank(raw: str) -> str:
    """For lookups and matching, where a malformed value should simply match nothing."""
    try:
        return normalise_phone(raw)
    except ValidationError:
        return ""


def normalise_email_or_blank(raw: str) -> str:
    try:
        return normalise_email(raw)
    except ValidationError:
        return ""
