"""What the agent pages share: a page of a big list without a COUNT, the audit of what a page
shows, and whether the user may change customer-service records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from core.access import Action, Area, can
from core.audit import audit_log_page
from core.models import AuditAction, AuditPurpose

PAGE_SIZE = 50
PURPOSE = AuditPurpose.CUSTOMER_SERVICE


@dataclass
class ListPage:
    """One page of a big list, without counting the table: a next page exists if one more row does."""

    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def list_page(request: HttpRequest, queryset: QuerySet, size: int = PAGE_SIZE) -> ListPage:
    try:
        number = max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        number = 1
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return ListPage(rows=rows[:size], number=number, has_next=len(rows) > size)


def can_write(request: HttpRequest) -> bool:
    return can(request.user, Area.CUSTOMER_SERVICE, Action.CHANGE)


def audit_shown(request: HttpRequest, rows: list[Any], *, action: str = AuditAction.VIEW) -> None:
    if rows:
        audit_log_page(actor=request.user, action=action, purpose=PURPOSE, objects=rows)
