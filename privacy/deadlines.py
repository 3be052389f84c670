"""Deadlines of GDPR art. 12(3): one month from receipt, extendable once by two further months.

The day of receipt is the calendar day in Finland (Europe/Helsinki), whatever the server's clock
zone: a request arriving at 23:30 UTC on 31 January arrives on 1 February in Helsinki. A month
later is the same date of the next month, or that month's last day when the date does not exist
(31 January -> 28/29 February).

The two further months are counted from the original due date, not from receipt: the stricter
reading where the two differ at month ends (received 31 January, due 28 February, extended to
28 April at the latest, not 30 April).
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
MONTHS_TO_ANSWER = 1
MONTHS_OF_EXTENSION = 2


def add_months(day: dt.date, months: int) -> dt.date:
    """The same date `months` later, or the last day of that month when it has no such date."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def receipt_day(received_at: dt.datetime) -> dt.date:
    return received_at.astimezone(HELSINKI).date()


def due_date(received_at: dt.datetime) -> dt.date:
    return add_months(receipt_day(received_at), MONTHS_TO_ANSWER)


def latest_extended_due_date(original_due_at: dt.date) -> dt.date:
    """At most two further months, counted from the original due date (never from receipt)."""
    return add_months(original_due_at, MONTHS_OF_EXTENSION)


def today_in_helsinki(now: dt.datetime) -> dt.date:
    return now.astimezone(HELSINKI).date()
