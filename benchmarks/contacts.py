"""Benchmark of the contacts API and search (issue: contacts, acceptance).

    .venv/bin/python benchmarks/contacts.py [--n 1000000] [--seconds 20] [--rounds 4] [--clients 8] [--workers 3]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432). It creates the
database `retta_bench_contacts`, fills it with N contacts over both controllers in one SQL
statement, vacuums and analyses, starts gunicorn, and measures:

1. search by exact email and by phone through the API, end to end (median and p95 of
   sequential requests), with the database plan of each filter's query;
2. name search (3+ characters) in the database: EXPLAIN ANALYZE of the query the `q` filter
   produces, a rare and a common name;
3. create-contact throughput through the API vs a bare DRF ModelViewSet create on the same
   table, in the same run, under the same gunicorn, in alternating rounds;
4. the contact list vs a bare cursor-paginated list of the same table;
and the SQL queries per request of each endpoint (counted in-process). Prints Markdown for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "retta_bench_contacts"
SETTINGS = "benchmarks.contacts_settings"
AUTH_HEADER = "Authorization"
# The controller the bare endpoint writes to (it takes a primary key, not a slug).
BARE_CONTROLLER: dict[str, int] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=f"{base_url}/{DATABASE}",
        SECRET_KEY="benchmark-only-" + "x" * 40,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        MEDIA_ROOT=tempfile.mkdtemp(prefix="retta-bench-media-"),
        ANON_THROTTLE_RATE="1000000/minute",
        INBOUND_THROTTLE_RATE="1000000/minute",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    return env


def _create_database(base_url: str) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{base_url}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()


FILL_SQL = """
INSERT INTO contacts_contact (controller_id, channel, direction, occurred_at, name, email, email_normalized,
    phone, phone_e164, subject, body, restricted, processing_objected, created_at, updated_at)
SELECT CASE WHEN i %% 2 = 0 THEN %(first)s ELSE %(second)s END,
       (ARRAY['email', 'call', 'chat'])[1 + i %% 3], 'inbound',
       now() - (i || ' seconds')::interval * 15,
       (ARRAY['Maija', 'Matti', 'Anna', 'Juha', 'Åsa', 'Erik', 'Liisa', 'Pekka'])[1 + i %% 8] || ' ' ||
       (ARRAY['Virtanen', 'Korhonen', 'Mäkinen', 'Nieminen', 'Lindqvist', 'Björkman', 'Heikkinen',
              'Koskinen', 'Laine', 'Järvinen'])[1 + (i / 8) %% 10] || ' ' || md5(i::text)::varchar(6),
       'asiakas' || i || '@example.fi', 'asiakas' || i || '@example.fi',
       '+35840' || lpad(i::text, 7, '0'), '+35840' || lpad(i::text, 7, '0'),
       (ARRAY['Vuotava hana', 'Avain hukassa', 'Saunavuoro', 'Vuokranmaksu', 'Hyresbetalning'])[1 + i %% 5]
           || ' ' || i,
       'Asiakkaan viesti numero ' || i, false, false, now(), now()
FROM generate_series(1, %(n)s) AS i
"""


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _prepare(n: int) -> tuple[str, str]:
    from django.core.management import call_command
    from django.db import connection

    from accounts.services import token_issue, user_create_staff
    from core.models import Controller
    from core.scoping import unscoped

    call_command("migrate", verbosity=0)
    with unscoped():
        user_create_staff(
            username="bench-agent", role="agent", controller_slugs=["retta-isannointi", "retta-oy"], password=None
        )
        token = token_issue(username="bench-agent")
        first = Controller.objects.get(slug="retta-isannointi").pk
        BARE_CONTROLLER["id"] = first
        second = Controller.objects.get(slug="retta-oy").pk
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(FILL_SQL, {"first": first, "second": second, "n": n})
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE contacts_contact")
    print(f"filled {n} contacts in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return token, "retta-isannointi"


class Client:
    """One keep-alive HTTP connection."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {AUTH_HEADER: f"Token {token}", "Accept": "application/json"}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=data, headers=headers)
        answer = self.connection.getresponse()
        return answer.status, answer.read()


def _latencies(port: int, token: str, paths: list[str]) -> dict[str, float]:
    client = Client(port, token)
    client.request("GET", paths[0])  # warm the connection and the worker
    times = []
    for path in paths:
        started = time.perf_counter()
        status, _body = client.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, (path, status)
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "count": len(times)}


def _throughput(port: int, token: str, clients: int, seconds: float, make_request) -> dict[str, float]:  # type: ignore[no-untyped-def]
    counts = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def run(slot: int) -> None:
        client = Client(port, token)
        number = 0
        while time.monotonic() < stop:
            number += 1
            method, path, body = make_request(slot, number)
            status, _body = client.request(method, path, body)
            if status in (200, 201):
                counts[slot] += 1
            else:
                errors[slot] += 1

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"rps": sum(counts) / elapsed, "requests": sum(counts), "errors": sum(errors), "seconds": elapsed}


def _alternating(rounds: int, measure, api, bare) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    """The endpoint and its baseline measured in alternating rounds, each first in turn, so that
    whatever else the machine does (autovacuum, a checkpoint, a neighbour) falls on both alike.
    Totals over all rounds, plus the ratio of each round."""
    totals = {label: {"requests": 0, "errors": 0, "seconds": 0.0} for label, _make in (api, bare)}
    ratios = []
    for number in range(rounds):
        rps = {}
        for label, make_request in (api, bare) if number % 2 == 0 else (bare, api):
            row = measure(make_request)
            rps[label] = row["rps"]
            for key in ("requests", "errors", "seconds"):
                totals[label][key] += row[key]
        ratios.append(rps[api[0]] / rps[bare[0]])
    result = {label: {**row, "rps": row["requests"] / row["seconds"]} for label, row in totals.items()}
    result[api[0]]["round_ratios"] = ratios
    return result


def _queries_per_request(token: str) -> dict[str, int]:
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient(HTTP_AUTHORIZATION=f"Token {token}")
    body = {"controller": "retta-isannointi", "channel": "call", "phone": "040 765 4321", "name": "Kysely Testi"}
    bare = {"controller": BARE_CONTROLLER["id"], "channel": "call", "phone": "040 765 4321", "name": "Kysely Testi",
            "occurred_at": dt.datetime.now(dt.UTC).isoformat()}  # fmt: skip
    counts = {}
    for label, method, path, data in (
        ("create (API)", "post", "/api/v1/contacts/", body),
        ("create (bare)", "post", "/bench/bare-contacts/", bare),
        ("list (API)", "get", "/api/v1/contacts/?page_size=50", None),
        ("list (bare)", "get", "/bench/bare-contacts/?page_size=50", None),
        ("email search (API)", "get", "/api/v1/contacts/?email=asiakas1234@example.fi", None),
        ("phone search (API)", "get", "/api/v1/contacts/?phone=040%20000%201234", None),
    ):
        with CaptureQueriesContext(connection) as queries:
            if method == "post":
                answer = client.post(path, json.dumps(data), content_type="application/json")
            else:
                answer = client.get(path)
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.content[:300])
        counts[label] = len(queries)
    return counts


def _plans(n: int) -> dict[str, tuple[str, float]]:
    """EXPLAIN ANALYZE of the query each filter really produces, as the API runs it."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection

    from contacts.api import ContactFilter
    from contacts.selectors import contacts_visible
    from core.models import Controller
    from core.scoping import controller_scope

    some = max(1, n // 3)
    cases = {
        "email": {"email": f"ASIAKAS{some}@example.fi"},
        "phone": {"phone": f"040 {some:07d}"},
        "name, rare (q=6-character tag)": {"q": _tag_of(some)},
        "name, common (q=Lindqvist)": {"q": "Lindqvist"},
    }
    ids = list(Controller.objects.values_list("pk", flat=True))
    plans = {}
    for label, params in cases.items():
        with controller_scope(ids):
            # As a reader who does not see restricted contacts (the agents' query).
            filterset = ContactFilter(data=params, queryset=contacts_visible(user=AnonymousUser()))
            assert filterset.is_valid(), filterset.errors
            queryset = filterset.qs[:51]
            sql, sql_params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, sql_params)  # warm-up
            timings = []
            for _ in range(5):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, sql_params)
                lines = [row[0] for row in cursor.fetchall()]
                timings.append(float(lines[-1].split(":")[1].split()[0]))
        plans[label] = ("\n".join(lines), statistics.median(timings))
    return plans


def _tag_of(number: int) -> str:
    import hashlib

    return hashlib.md5(str(number).encode(), usedforsecurity=False).hexdigest()[:6]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="contacts in the table")
    parser.add_argument("--seconds", type=float, default=20, help="time each endpoint is measured, over all rounds")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of endpoint and baseline")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (4 threads each)")
    parser.add_argument("--searches", type=int, default=100, help="sequential searches per filter")
    args = parser.parse_args()

    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    env = _environment(base_url)
    _create_database(base_url)
    _django(env)
    token, _controller = _prepare(args.n)
    plans = _plans(args.n)
    queries = _queries_per_request(token)

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "retta_cs.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers), "--worker-class", "gthread", "--threads", "4",
            "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning",
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(4)
        step = max(1, args.n // args.searches)
        emails = [f"/api/v1/contacts/?email=asiakas{i}%40example.fi" for i in range(1, args.n, step)]
        phones = [f"/api/v1/contacts/?phone=%2B35840{i:07d}" for i in range(1, args.n, step)]
        latency = {"email": _latencies(port, token, emails), "phone": _latencies(port, token, phones)}

        def api_create(slot: int, number: int):  # type: ignore[no-untyped-def]
            phone = f"+35850{slot:02d}{number:05d}"
            return "POST", "/api/v1/contacts/", {"controller": "retta-isannointi", "channel": "call", "phone": phone}

        def bare_create(slot: int, number: int):  # type: ignore[no-untyped-def]
            phone = f"+35850{slot:02d}{number:05d}"
            body = {
                "controller": BARE_CONTROLLER["id"],
                "channel": "call",
                "phone": phone,
                "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            }
            return "POST", "/bench/bare-contacts/", body

        def api_list(slot: int, number: int):  # type: ignore[no-untyped-def]
            return "GET", "/api/v1/contacts/?page_size=50", None

        def bare_list(slot: int, number: int):  # type: ignore[no-untyped-def]
            return "GET", "/bench/bare-contacts/?page_size=50", None

        def measure(make_request) -> dict[str, float]:  # type: ignore[no-untyped-def]
            return _throughput(port, token, args.clients, args.seconds / args.rounds, make_request)

        creates = (("create (API)", api_create), ("create (bare ModelViewSet)", bare_create))
        lists = (("list (API)", api_list), ("list (bare cursor-paginated)", bare_list))
        throughput = {**_alternating(args.rounds, measure, *creates), **_alternating(args.rounds, measure, *lists)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    _report(args, latency, plans, throughput, queries)


def _report(args, latency, plans, throughput, queries) -> None:  # type: ignore[no-untyped-def]
    print(f"Measured {dt.date.today().isoformat()} on {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, PostgreSQL; {args.n} contacts over two controllers; gunicorn "
          f"{args.workers} workers x 4 threads; {args.clients} client connections, {args.seconds:.0f} s per "
          f"throughput measurement in {args.rounds} alternating rounds.")  # fmt: skip
    print()
    print("| search through the API (end to end) | median ms | p95 ms | requests |")
    print("|---|---:|---:|---:|")
    for label, row in latency.items():
        print(f"| exact {label} | {row['median']:.1f} | {row['p95']:.1f} | {row['count']} |")
    print()
    print("| query in the database (EXPLAIN ANALYZE, median of 5) | execution ms |")
    print("|---|---:|")
    for label, (_plan, ms) in plans.items():
        print(f"| {label} | {ms:.2f} |")
    print()
    print("| throughput | req/s | requests | errors | SQL queries per request |")
    print("|---|---:|---:|---:|---:|")
    per_request = {
        "create (API)": queries["create (API)"],
        "create (bare ModelViewSet)": queries["create (bare)"],
        "list (API)": queries["list (API)"],
        "list (bare cursor-paginated)": queries["list (bare)"],
    }
    for label, row in throughput.items():
        print(f"| {label} | {row['rps']:.1f} | {row['requests']} | {row['errors']} | {per_request[label]} |")
    create_ratio = throughput["create (API)"]["rps"] / throughput["create (bare ModelViewSet)"]["rps"]
    list_ratio = throughput["list (API)"]["rps"] / throughput["list (bare cursor-paginated)"]["rps"]
    print()
    print(f"API create / bare create: {create_ratio:.2f} (target at least 0.5; rounds "
          f"{_ratios(throughput['create (API)'])}); API list / bare list: {list_ratio:.2f} (target at least "
          f"0.67; rounds {_ratios(throughput['list (API)'])}).")  # fmt: skip
    print(f"Queries per request: email search {queries['email search (API)']}, "
          f"phone search {queries['phone search (API)']}.")  # fmt: skip
    print()
    for label, (plan, _ms) in plans.items():
        print(f"Plan, {label}:")
        print()
        print("```")
        print(plan)
        print("```")
        print()


def _ratios(row: dict) -> str:
    return ", ".join(f"{ratio:.2f}" for ratio in row["round_ratios"])


if __name__ == "__main__":
    main()
