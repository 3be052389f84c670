"""The application's PostgreSQL sessions run without the JIT compiler: it spent about 1.5 s
compiling each of the purge's keep-condition statements (docs/benchmarks.md, Purge)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def test_the_applications_database_sessions_have_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_a_purge_statement_is_not_jit_compiled(isannointi):
    from django.utils import timezone

    from core.personal_data import registry
    from retention.deletion import any_keep_q, keep_conditions

    declaration = registry.get("contacts.contact")
    keep = any_keep_q(keep_conditions(declaration))
    queryset = declaration.queryset().filter(declaration.due_q(timezone.now())).exclude(keep)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Costs this high made PostgreSQL compile the statement (jit_above_cost 100,000).
        cursor.execute("SET LOCAL jit_above_cost = 0")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0][0]
    assert "JIT" not in plan
