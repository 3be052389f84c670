"""Benchmark of the agent's inbox (issue 14: the inbox answers in under 100 ms server time at 1M
contacts and 100k open tickets).

    .venv/bin/python benchmarks/inbox.py [--contacts 1000000] [--open 100000] [--closed 100000] [--repeat 40]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432). It creates the
database `retta_bench_inbox`, migrates it, fills it in SQL with open and solved tickets over both
controllers and contacts linked to them, vacuums and analyses, then requests the inbox in-process
through Django's test client as an agent of both controllers (middleware, scoping, audit events,
the navigation counts and the template included: the server's whole work for a request, without
the network). Prints Markdown for docs/benchmarks.md: the median and p95 per view of the inbox,
the queries per request, and the database plan of the queue's query.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "retta_bench_inbox"

TASKS_SQL = """
INSERT INTO contacts_task (controller_id, title, status, state, priority, channel, assignee_id, created_at,
    closed_at, first_response_due, resolution_due, first_responded_at)
SELECT CASE WHEN i %% 2 = 0 THEN %(first)s ELSE %(second)s END,
       (ARRAY['Vuotava hana', 'Avain hukassa', 'Saunavuoro', 'Vuokranmaksu', 'Hyresbetalning'])[1 + i %% 5] || ' ' || i,
       CASE WHEN i > %(open)s THEN 'closed' ELSE 'open' END,
       CASE WHEN i > %(open)s THEN 'solved' ELSE (ARRAY['new', 'open', 'waiting'])[1 + i %% 3] END,
       1 + i %% 4,
       (ARRAY['email', 'call', 'chat'])[1 + (i / 3) %% 3],
       -- 60 %% of the tickets nobody's yet, 5 %% the measured agent's, the rest a colleague's.
       CASE WHEN i %% 20 < 12 THEN NULL WHEN i %% 20 = 12 THEN %(agent)s ELSE %(colleague)s END,
       now() - (i || ' seconds')::interval * 30,
       CASE WHEN i > %(open)s THEN now() - (i || ' seconds')::interval * 10 ELSE NULL END,
       now() + ((i %% 2000) - 1000 || ' minutes')::interval,
       now() + ((i %% 5000) || ' minutes')::interval,
       CASE WHEN i %% 3 = 1 THEN now() ELSE NULL END
FROM generate_series(1, %(tasks)s) AS i
"""

CONTACTS_SQL = """
INSERT INTO contacts_contact (controller_id, channel, direction, occurred_at, name, email, email_normalized,
    phone, phone_e164, subject, body, restricted, processing_objected, personal_identity_code_masked, created_at,
    updated_at, task_id)
SELECT t.controller_id, t.channel, 'inbound', now() - (i || ' seconds')::interval * 15,
       'Asiakas ' || i, 'asiakas' || i || '@example.fi', 'asiakas' || i || '@example.fi',
       '+35840' || lpad(i::text, 7, '0'), '+35840' || lpad(i::text, 7, '0'),
       t.title, 'Asiakkaan viesti numero ' || i, false, false, false, now(), now(), t.id
FROM generate_series(1, %(n)s) AS i
JOIN contacts_task AS t ON t.id = %(first_task)s + (i %% %(tasks)s)
"""


def _django(base_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="retta_cs.settings",
        DATABASE_URL=f"{base_url}/{DATABASE}",
        SECRET_KEY="benchmark-only-" + "x" * 40,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        MEDIA_ROOT=tempfile.mkdtemp(prefix="retta-bench-media-"),
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # The pages are rendered without `collectstatic` having run: plain static URLs.
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _create_database(base_url: str) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{base_url}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()


def _prepare(contacts: int, open_tasks: int, closed_tasks: int) -> object:
    from django.core.management import call_command
    from django.db import connection

    from accounts.services import user_create_staff
    from core.models import Controller
    from core.scoping import unscoped

    call_command("migrate", verbosity=0)
    with unscoped():
        both = ["retta-isannointi", "retta-oy"]
        agent, _password = user_create_staff(username="bench-agent", role="agent", controller_slugs=both)
        colleague, _password = user_create_staff(username="bench-colleague", role="agent", controller_slugs=both)
        first = Controller.objects.get(slug="retta-isannointi").pk
        second = Controller.objects.get(slug="retta-oy").pk
    started = time.monotonic()
    tasks = open_tasks + closed_tasks
    with connection.cursor() as cursor:
        cursor.execute(
            TASKS_SQL,
            {
                "first": first,
                "second": second,
                "open": open_tasks,
                "tasks": tasks,
                "agent": agent.pk,
                "colleague": colleague.pk,
            },
        )
        cursor.execute("SELECT min(id) FROM contacts_task")
        first_task = cursor.fetchone()[0]
        cursor.execute(CONTACTS_SQL, {"n": contacts, "first_task": first_task, "tasks": tasks})
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE contacts_task")
        cursor.execute("VACUUM ANALYZE contacts_contact")
    print(f"filled {tasks} tickets and {contacts} contacts in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return agent


def _measure(client, path: str, repeat: int, **headers: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm the connection, the caches and the templates
        assert client.get(path, **headers).status_code == 200
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = client.get(path, **headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(path, **headers)
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[max(0, int(len(times) * 0.95) - 1)],
        "max": times[-1],
        # The Python process's own CPU time: what the request costs the web worker, apart from
        # waiting for the CPU on a busy machine (the database's time is in the wall time only).
        "cpu": statistics.median(cpu),
        "queries": len(queries),
    }


def _plan(agent: object) -> str:
    from django.db import connection

    from contacts.selectors import inbox_tasks
    from core.scoping import unscoped

    with unscoped():
        queryset = inbox_tasks(user=agent).filter(controller_id__in=agent.controller_ids())[:51]  # type: ignore[attr-defined]
        sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    _create_database(base_url)
    _django(base_url)
    agent = _prepare(args.contacts, args.open, args.closed)

    from django.test import Client

    client = Client()
    client.force_login(agent)
    views = [
        ("the queue (unassigned and mine), page 1", "/contacts/inbox/", {}),
        ("the queue, htmx poll of the rows", "/contacts/inbox/", {"HTTP_HX_REQUEST": "true"}),
        ("the queue, page 20", "/contacts/inbox/?page=20", {}),
        ("mine only", "/contacts/inbox/?show=mine", {}),
        ("everyone's, waiting for the customer", "/contacts/inbox/?show=all&state=waiting", {}),
        ("unassigned chats, urgent", "/contacts/inbox/?show=unassigned&channel=chat&priority=4", {}),
    ]
    print(f"### N = {args.contacts:,} contacts, {args.open:,} open and {args.closed:,} solved tickets\n")
    print(
        f"{platform.node()}: Python {platform.python_version()}, {os.cpu_count()} CPUs; {args.repeat} requests each\n"
    )
    print(f"load average before: {os.getloadavg()[0]:.1f}\n")
    print("| view | median ms | p95 ms | max ms | median CPU ms (web process) | SQL queries |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, path, headers in views:
        result = _measure(client, path, args.repeat, **headers)
        print(
            f"| {label} | {result['median']:.1f} | {result['p95']:.1f} | {result['max']:.1f} "
            f"| {result['cpu']:.1f} | {result['queries']} |"
        )
    print("\nPlan of the queue's query (page 1):\n\n```")
    print(_plan(agent))
    print("```")


if __name__ == "__main__":
    main()
