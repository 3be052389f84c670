"""Load test: agents and the mail gateway under gunicorn, with and without a purge running.

    .venv/bin/python benchmarks/load.py [--due 200000] [--users 20] [--seconds 60]

Needs PostgreSQL and Redis (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432, and
REDIS_URL). It creates the database `retta_load`, fills it with contacts of which `--due` are past
their 180 days (work for the purge), starts gunicorn, and runs the locust scenario of
benchmarks/locustfile.py twice: once alone, once while `manage.py purge_expired` runs. It prints
a Markdown table (requests/s, p50/p95/p99, errors) for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DATABASE = "retta_load"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(base_url: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="retta_cs.settings",
        DATABASE_URL=f"{base_url}/{DATABASE}",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        SECRET_KEY="load-test-only-" + "x" * 40,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        MEDIA_ROOT=media_root,
        # The scenario measures capacity, not the rate limits.
        ANON_THROTTLE_RATE="1000000/minute",
        INBOUND_THROTTLE_RATE="1000000/minute",
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return result.stdout


def _prepare(base_url: str, env: dict[str, str], due: int) -> tuple[str, str]:
    import psycopg2

    admin = psycopg2.connect(f"{base_url}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput")  # gunicorn serves them through whitenoise, as in production
    _manage(env, "create_staff", "load-agent", "--role", "agent", "--controller", "retta-isannointi")
    _manage(env, "create_staff", "load-gateway", "--role", "integration", "--controller", "retta-isannointi")
    agent_token = _manage(env, "issue_token", "load-agent").strip().split()[-1]
    gateway_token = _manage(env, "issue_token", "load-gateway").strip().split()[-1]
    _seed_due_contacts(env, due)
    return agent_token, gateway_token


def _seed_due_contacts(env: dict[str, str], count: int) -> None:
    """Contacts 200 days old with email bodies: all due, the purge's work during the second run."""
    code = f"""
import datetime as dt
from django.utils import timezone
from contacts.models import Contact
from core.models import Controller
from core.scoping import unscoped
with unscoped():
    controller = Controller.objects.get(slug="retta-isannointi")
    old = timezone.now() - dt.timedelta(days=200)
    batch = []
    for number in range({count}):
        batch.append(Contact(controller=controller, channel="email", direction="inbound",
            occurred_at=old - dt.timedelta(seconds=number), name=f"Old Customer {{number}}",
            email=f"old{{number}}@example.fi", email_normalized=f"old{{number}}@example.fi",
            subject="Vanha asia", body="Vanha viesti. " * 40))
        if len(batch) == 5000:
            Contact.all_controllers.bulk_create(batch)
            batch = []
    Contact.all_controllers.bulk_create(batch)
"""
    subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)


def _wait_until_serving(host: str, seconds: float = 60.0) -> None:
    """Every gunicorn worker imports Django on start: measure only once the health check answers."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{host}/healthz", timeout=5) as response:  # noqa: S310 (local URL)
                if response.status == 200:
                    time.sleep(2)  # the other workers finish booting meanwhile
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def _run_locust(
    env: dict[str, str], host: str, users: int, seconds: int, prefix: str
) -> tuple[dict[str, dict[str, str]], list[dict[str, str]]]:
    subprocess.run(
        [
            PYTHON, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
            "--host", host, "-u", str(users), "-r", str(max(1, users // 4)), "-t", f"{seconds}s",
            "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
        ],
        cwd=ROOT, env=env, check=False, capture_output=True, text=True,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as handle:
        stats = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{prefix}_failures.csv", newline="") as handle:
        failures = list(csv.DictReader(handle))
    return stats, failures


def _row(label: str, stats: dict[str, str]) -> str:
    return (
        f"| {label} | {float(stats['Requests/s']):.1f} | {stats['50%']} | {stats['95%']} | {stats['99%']} "
        f"| {stats['Request Count']} | {stats['Failure Count']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--due", type=int, default=200_000, help="contacts past 180 days for the purge")
    parser.add_argument("--users", type=int, default=20, help="simulated users (4 agents : 1 mail gateway)")
    parser.add_argument("--seconds", type=int, default=60, help="length of each run")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    args = parser.parse_args()

    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    media_root = tempfile.mkdtemp(prefix="retta-load-media-")
    env = _environment(base_url, media_root)
    print(f"preparing {DATABASE} with {args.due} due contacts", file=sys.stderr)
    agent_token, gateway_token = _prepare(base_url, env, args.due)
    env.update(LOAD_AGENT_TOKEN=agent_token, LOAD_INTEGRATION_TOKEN=gateway_token)

    port = _free_port()
    server = subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "retta_cs.wsgi:application", "--bind", f"127.0.0.1:{port}",
            # Settings of gunicorn.conf.py, as deployed, except the address, the workers and the log.
            "--workers", str(args.workers), "--access-logfile", "/dev/null", "--log-level", "warning",
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    results: dict[str, dict[str, dict[str, str]]] = {}
    failures: dict[str, list[dict[str, str]]] = {}
    purge_seconds = None
    try:
        host = f"http://127.0.0.1:{port}"
        _wait_until_serving(host)
        work = tempfile.mkdtemp(prefix="retta-load-")
        print("run 1: without the purge", file=sys.stderr)
        results["alone"], failures["alone"] = _run_locust(env, host, args.users, args.seconds, f"{work}/alone")
        print("run 2: while the purge runs", file=sys.stderr)
        started = time.monotonic()
        purge = subprocess.Popen([PYTHON, "manage.py", "purge_expired"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        results["purge"], failures["purge"] = _run_locust(env, host, args.users, args.seconds, f"{work}/purge")
        purge.wait()
        purge_seconds = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    today = dt.date.today().isoformat()
    print(f"Measured {today} on {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; ")
    threads = os.environ.get("GUNICORN_THREADS", "4")
    print(f"gunicorn {args.workers} workers x {threads} threads (gunicorn.conf.py), ", end="")
    print(f"{args.users} users, {args.seconds} s per run, ")
    print(f"{args.due} due contacts purged during the second run (purge took {purge_seconds:.0f} s).")
    print()
    print("| run, request | req/s | p50 ms | p95 ms | p99 ms | requests | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for run, label in (("alone", "no purge"), ("purge", "purge running")):
        for name, stats in results[run].items():
            print(_row(f"{label}: {name}", stats))
    for run, label in (("alone", "no purge"), ("purge", "purge running")):
        for failure in failures[run]:
            request = f"{failure['Method']} {failure['Name']}"
            print(f"\nerror ({label}): {request}: {failure['Error']} x{failure['Occurrences']}")


if __name__ == "__main__":
    main()
