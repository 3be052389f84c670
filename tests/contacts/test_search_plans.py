"""The search filters use indexes: EXPLAIN on the SQL each filter really produces (PostgreSQL).

Django compiles `icontains` to `UPPER(col::text) LIKE UPPER(%s)`; an index on another
expression (lower(col), or a plain trigram index on col) would never serve it, so each filter's
own query is explained here, with sequential scans priced out, and must name its index.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from contacts.api import ContactFilter
from contacts.models import Contact
from contacts.selectors import contacts_visible
from core.scoping import controller_scope

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

# Enough rows, over both controllers as in production, for the planner to prefer an index.
ROWS = 8000
TRIGRAM_INDEXES = ["contacts_contact_name_trgm", "contacts_contact_subject_trgm", "contacts_contact_email_trgm"]


@pytest.fixture
def many_contacts(isannointi, retta_oy):  # type: ignore[no-untyped-def]
    start = timezone.now() - dt.timedelta(days=10)
    Contact.all_controllers.bulk_create(
        Contact(
            controller=isannointi if i % 2 else retta_oy,
            channel="call",
            occurred_at=start + dt.timedelta(minutes=i),
            name=f"Asiakas {i:05d} Virtanen",
            email=f"asiakas{i:05d}@example.fi",
            email_normalized=f"asiakas{i:05d}@example.fi",
            phone=f"+35840{i:07d}",
            phone_e164=f"+35840{i:07d}",
            subject=f"Asia numero {i:05d}",
        )
        for i in range(ROWS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return isannointi


def _plan(isannointi, params: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    # As an agent reads: restricted contacts left out (core.restriction).
    with controller_scope([isannointi.pk]):
        filterset = ContactFilter(data=params, queryset=contacts_visible(user=AnonymousUser()))
        assert filterset.is_valid(), filterset.errors
        return filterset.qs[:51].explain()


@pytest.mark.parametrize(
    ("params", "indexes"),
    [
        ({"email": "Asiakas00017@example.fi"}, ["contacts_contact_email_idx"]),
        ({"phone": "040 000 0017"}, ["contacts_contact_phone_idx"]),
        (
            {"q": "00017"},
            ["contacts_contact_name_trgm", "contacts_contact_subject_trgm", "contacts_contact_email_trgm"],
        ),
        ({"q": "s 00017 v"}, ["contacts_contact_name_trgm", "contacts_contact_subject_trgm"]),
        ({"q": "0400000017"}, ["contacts_contact_phone_idx", "contacts_contact_name_trgm"]),
    ],
)
def test_each_search_filter_is_served_by_its_index(many_contacts, params, indexes):
    plan = _plan(many_contacts, params)
    assert "Seq Scan on contacts_contact" not in plan, plan
    for index in indexes:
        assert index in plan, plan


def test_the_trigram_index_is_on_the_expression_the_orm_emits(many_contacts):
    with controller_scope([many_contacts.pk]):
        sql, _params = Contact.objects.filter(name__icontains="virtanen").query.sql_with_params()
    assert 'UPPER("contacts_contact"."name"::text) LIKE UPPER(' in sql
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'contacts_contact_name_trgm'")
        (definition,) = cursor.fetchone()
    assert "upper((name)::text) gin_trgm_ops" in definition


def test_new_rows_go_straight_into_the_trigram_indexes(many_contacts):
    """No pending list (contacts migration 0005): a search never reads through rows waiting for
    vacuum, however many contacts arrived since the last one."""
    with connection.cursor() as cursor:
        for index in [*TRIGRAM_INDEXES, "contacts_customer_name_trgm"]:
            cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [index])
            (options,) = cursor.fetchone()
            assert "fastupdate=off" in (options or []), (index, options)
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        cursor.execute("SELECT pending_tuples FROM pgstatginindex('contacts_contact_name_trgm')")
        assert cursor.fetchone() == (0,)
