"""Purge benchmark: the purge against a hand-written keyset-batched SQL DELETE of the same rows.

    .venv/bin/python benchmarks/purge.py [--n 1000000] [--files 1000] [--window 10000]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432). It builds a
template database with `--n` email contacts (a ~1 KB body each) for the two controllers: 85% past
their 180 days, 10% past them but kept by an open task, 5% recent; `--files` of the due emails
have a raw message file in storage; per controller a subject hold names 50 customers and a
contacts hold 100 contacts. After a CHECKPOINT it makes two identical copies from the
template (same autovacuum setting), runs `retention.purge.purge` on one (in its own process:
wall time, peak memory, longest window, first and last ten window times, files deleted) and a
hand-written keyset-batched DELETE of the same rows (the same keep conditions: open tasks and
complaints, restriction, legal holds of every scope, open requests' matches; children and links
first, files unlinked) on the other, checks both left the same rows, and prints a Markdown table
for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE, PURGED, BASELINE = "retta_bench_purge_template", "retta_bench_purge_a", "retta_bench_purge_b"

PURGE_PROCESS = textwrap.dedent(
    """
    import json, resource, sys, time
    import django
    django.setup()
    from django.utils import timezone
    from retention import purge as engine

    # Time each contact window's transaction, and the plan made once at the start of the run.
    windows, plan_time = [], []
    window_execute, retention_plan = engine._window_execute, engine.retention_plan

    def timed_window(run, stage, *args):
        started = time.monotonic()
        result = window_execute(run, stage, *args)
        if stage == "contacts.contact":
            windows.append(time.monotonic() - started)
        return result

    def timed_plan(**kwargs):
        started = time.monotonic()
        plan = retention_plan(**kwargs)
        plan_time.append(time.monotonic() - started)
        return plan

    engine._window_execute, engine.retention_plan = timed_window, timed_plan
    started = time.monotonic()
    run = engine.purge(now=timezone.now())
    wall = time.monotonic() - started
    print(json.dumps({
        "wall": wall,
        "windows": windows,
        "plan": sum(plan_time),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "longest_window_ms": run.longest_window_ms,
        "window_count": run.windows,
        "deleted": run.deleted,
        "files_deleted": run.files_deleted,
        "status": run.status,
    }))
    """
)


def _admin(base: str):  # type: ignore[no-untyped-def]
    connection = psycopg2.connect(f"{base}/postgres")
    connection.autocommit = True
    return connection


def _connect(base: str, name: str):  # type: ignore[no-untyped-def]
    return psycopg2.connect(f"{base}/{name}")


def _recreate(admin, name: str, template: str | None = None) -> None:  # type: ignore[no-untyped-def]
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _env(base: str, database: str, media: Path, window: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{base}/{database}",
        "MEDIA_ROOT": str(media),
        "SECRET_KEY": "benchmark-only-" + "x" * 40,
        "REDIS_URL": "",
        "RETENTION_PURGE_WINDOW": str(window),
    }


def _populate(base: str, n: int, files: int, media: Path) -> None:
    connection = _connect(base, TEMPLATE)
    try:
        _populate_rows(connection, n, files, media)
    finally:
        connection.close()


def _populate_rows(connection, n: int, files: int, media: Path) -> None:  # type: ignore[no-untyped-def]
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM core_controller ORDER BY id")
        first, second = (row[0] for row in cursor.fetchall())
        # One open task per controller keeps every tenth contact.
        cursor.execute(
            "INSERT INTO contacts_task (controller_id, title, status, state, priority, channel, created_at) "
            "VALUES (%s, 'open', 'open', 'open', 2, 'email', now()), (%s, 'open', 'open', 'open', 2, 'email', now()) "
            "RETURNING id",
            [first, second],
        )
        task_first, task_second = (row[0] for row in cursor.fetchall())
        cursor.execute(
            """
            INSERT INTO contacts_contact (controller_id, channel, direction, occurred_at, name, email,
                email_normalized, phone, phone_e164, subject, body, restricted, processing_objected,
                personal_identity_code_masked, created_at, updated_at, task_id)
            SELECT CASE WHEN i %% 2 = 0 THEN %(first)s ELSE %(second)s END, 'email', 'inbound',
                   now() - CASE WHEN i %% 20 = 0 THEN interval '10 days'
                                ELSE interval '181 days' + (i %% 300) * interval '1 day' END,
                   'Name ' || i, 'c' || i || '@example.fi', 'c' || i || '@example.fi', '', '',
                   'Subject ' || i, 'Body ' || i, false, false, false, now(), now(),
                   CASE WHEN i %% 10 = 1 THEN (CASE WHEN i %% 2 = 0 THEN %(task_first)s ELSE %(task_second)s END)
                   END
            FROM generate_series(1, %(n)s) AS i
            """,
            {"first": first, "second": second, "task_first": task_first, "task_second": task_second, "n": n},
        )
        cursor.execute(
            """
            INSERT INTO contacts_emailmessage (controller_id, contact_id, message_id, in_reply_to, "references",
                from_header, to_header, raw, size_bytes, text_body, html_body, parse_problems, raw_sha256,
                send_status, send_error, send_attempts, message_id_reused)
            SELECT controller_id, id, '', '', '', email, 'asiakaspalvelu@retta.fi', '', 1024,
                   repeat(md5(id::text), 32), '', '', '', '', '', 0, false
            FROM contacts_contact
            """
        )
        # Legal holds in force, so that both purges evaluate them on real rows: per controller a
        # subject hold naming 50 customers' addresses, and a contacts hold on 100 due contacts.
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, "
            "is_staff, is_active, date_joined) VALUES ('!', false, 'dpo', '', '', '', false, true, now()) "
            "RETURNING id"
        )
        dpo = cursor.fetchone()[0]
        for controller, parity in ((first, 0), (second, 1)):
            cursor.execute(
                """
                INSERT INTO complaints_legalhold (matter, reason, scope, subject_emails, subject_phones,
                    placed_at, release_reason, controller_id, placed_by_id)
                SELECT 'benchmark', 'benchmark', 'subject',
                       (SELECT jsonb_agg('c' || i || '@example.fi')
                        FROM generate_series(%(first)s + %(parity)s, %(first)s + %(parity)s + 98, 2) AS i),
                       '[]'::jsonb, now(), '', %(controller)s, %(dpo)s
                UNION ALL
                SELECT 'benchmark', 'benchmark', 'contacts', '[]'::jsonb, '[]'::jsonb, now(), '', %(controller)s,
                       %(dpo)s
                RETURNING id, scope
                """,
                {"first": n // 4, "parity": parity, "controller": controller, "dpo": dpo},
            )
            contacts_hold = next(pk for pk, scope in cursor.fetchall() if scope == "contacts")
            cursor.execute(
                """
                INSERT INTO complaints_legalhold_contacts (legalhold_id, contact_id)
                SELECT %s, id FROM contacts_contact WHERE controller_id = %s AND id > %s AND task_id IS NULL
                ORDER BY id LIMIT 100
                """,
                [contacts_hold, controller, n // 2],
            )
        # Raw files for the first `files` due emails (not kept, not recent).
        cursor.execute(
            """
            UPDATE contacts_emailmessage e SET raw = 'emails/bench/' || e.contact_id || '.eml'
            FROM (SELECT id FROM contacts_contact WHERE task_id IS NULL AND occurred_at < now() - interval '180 days'
                  ORDER BY id LIMIT %s) c
            WHERE e.contact_id = c.id RETURNING e.raw
            """,
            [files],
        )
        folder = media / "emails" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        for (name,) in cursor.fetchall():
            (media / name).write_bytes(b"From: benchmark\n\n" + b"x" * 1024)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# The hand-written keep conditions: the same reasons the purge honours (docs/retention.md).
_HOLD_IN_FORCE = "(h.released_at IS NULL OR h.released_at > now())"
_OPEN_REQUEST_MATCH = (
    "SELECT m.record_id FROM privacy_requestmatch m JOIN privacy_privacyrequest r ON r.id = m.request_id "
    "WHERE m.included AND m.record_type = '{record_type}' "
    "AND r.kind IN ('access', 'portability', 'restriction', 'objection') "
    "AND r.status IN ('received', 'verified', 'in_progress')"
)
_DUE_AND_NOT_KEPT = f"""
    SELECT c.id FROM contacts_contact c LEFT JOIN contacts_task t ON t.id = c.task_id
    WHERE c.id >= %s AND c.id < %s AND c.occurred_at < now() - interval '180 days'
      AND NOT c.restricted AND (t.id IS NULL OR t.status <> 'open')
      AND NOT EXISTS (SELECT 1 FROM complaints_complaint_contacts l
                      JOIN complaints_complaint k ON k.id = l.complaint_id
                      WHERE l.contact_id = c.id AND k.status NOT IN ('closed', 'withdrawn'))
      AND c.id NOT IN (SELECT l.contact_id FROM complaints_legalhold_contacts l
                       JOIN complaints_legalhold h ON h.id = l.legalhold_id WHERE {_HOLD_IN_FORCE})
      AND (c.task_id IS NULL OR c.task_id NOT IN (SELECT h.task_id FROM complaints_legalhold h
                                                  WHERE h.task_id IS NOT NULL AND {_HOLD_IN_FORCE}))
      AND c.id NOT IN (SELECT l.contact_id FROM complaints_complaint_contacts l
                       JOIN complaints_legalhold h ON h.complaint_id = l.complaint_id WHERE {_HOLD_IN_FORCE})
      AND (c.controller_id, c.email_normalized) NOT IN (
          SELECT h.controller_id, e.value FROM complaints_legalhold h,
                 jsonb_array_elements_text(h.subject_emails) e WHERE h.scope = 'subject' AND {_HOLD_IN_FORCE})
      AND (c.controller_id, c.phone_e164) NOT IN (
          SELECT h.controller_id, p.value FROM complaints_legalhold h,
                 jsonb_array_elements_text(h.subject_phones) p WHERE h.scope = 'subject' AND {_HOLD_IN_FORCE})
      AND c.id NOT IN ({_OPEN_REQUEST_MATCH.format(record_type="contacts.contact")})
      AND c.id NOT IN (SELECT contact_id FROM contacts_emailmessage WHERE id IN
                       ({_OPEN_REQUEST_MATCH.format(record_type="contacts.emailmessage")}))
      AND c.id NOT IN (SELECT e.contact_id FROM contacts_emailattachment a
                       JOIN contacts_emailmessage e ON e.id = a.email_id WHERE a.id IN
                       ({_OPEN_REQUEST_MATCH.format(record_type="contacts.emailattachment")}))
      AND c.id NOT IN (SELECT contact_id FROM contacts_callrecording WHERE id IN
                       ({_OPEN_REQUEST_MATCH.format(record_type="contacts.callrecording")}))
      AND c.id NOT IN (SELECT contact_id FROM contacts_chatmessage WHERE id IN
                       ({_OPEN_REQUEST_MATCH.format(record_type="contacts.chatmessage")}))
    FOR UPDATE OF c
"""


def _baseline(base: str, window: int, media: Path) -> dict:
    """The hand-written purge: keyset windows over contacts.id, the same keep conditions, children
    and links first, files unlinked after each commit; ids passed as one array literal."""
    connection = _connect(base, BASELINE)
    timings = []
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM contacts_contact")
        low, high = cursor.fetchone()
    connection.commit()
    files = 0
    for window_start in range(low, high + 1, window):
        window_started = time.monotonic()
        names: list[str] = []
        with connection, connection.cursor() as cursor:
            cursor.execute(_DUE_AND_NOT_KEPT, [window_start, window_start + window])
            ids = "{" + ",".join(str(row[0]) for row in cursor.fetchall()) + "}"
            if ids != "{}":
                cursor.execute(
                    "DELETE FROM contacts_emailattachment WHERE email_id IN "
                    "(SELECT id FROM contacts_emailmessage WHERE contact_id = ANY(%s::bigint[])) RETURNING file",
                    [ids],
                )
                names += [name for (name,) in cursor.fetchall() if name]
                cursor.execute(
                    "DELETE FROM contacts_emailmessage WHERE contact_id = ANY(%s::bigint[]) RETURNING raw", [ids]
                )
                names += [name for (name,) in cursor.fetchall() if name]
                cursor.execute(
                    "DELETE FROM contacts_callrecording WHERE contact_id = ANY(%s::bigint[]) RETURNING file", [ids]
                )
                names += [name for (name,) in cursor.fetchall() if name]
                for table in (
                    "contacts_chatmessage",
                    "complaints_complaint_contacts",
                    "complaints_disclosure_contacts",
                    "complaints_legalhold_contacts",
                ):
                    cursor.execute(f"DELETE FROM {table} WHERE contact_id = ANY(%s::bigint[])", [ids])
                cursor.execute("DELETE FROM contacts_contact WHERE id = ANY(%s::bigint[])", [ids])
        for name in names:
            (media / name).unlink(missing_ok=True)
            files += 1
        timings.append(time.monotonic() - window_started)
    wall = time.monotonic() - started
    connection.close()
    return {"wall": wall, "timings": timings, "files": files}


def _remaining(base: str, database: str) -> tuple[int, int, int]:
    connection = _connect(base, database)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(id), 0) FROM contacts_contact")
        count, checksum = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM contacts_emailmessage")
        emails = cursor.fetchone()[0]
    connection.close()
    return count, checksum, emails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="contacts (default 1,000,000)")
    parser.add_argument("--files", type=int, default=1000, help="due emails with a raw file in storage")
    parser.add_argument("--window", type=int, default=4_000, help="ids per window (RETENTION_PURGE_WINDOW)")
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    work = Path(tempfile.mkdtemp(prefix="retta-bench-purge-"))
    media_template, media_a, media_b = work / "template", work / "a", work / "b"
    admin = _admin(base)
    try:
        print(f"building the template database ({args.n:,} contacts)…", file=sys.stderr)
        _recreate(admin, TEMPLATE)
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=_env(base, TEMPLATE, media_template, args.window),
            check=True,
        )
        media_template.mkdir(parents=True, exist_ok=True)
        _populate(base, args.n, args.files, media_template)
        with admin.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        for name, media in ((PURGED, media_a), (BASELINE, media_b)):
            _recreate(admin, name, TEMPLATE)
            shutil.copytree(media_template, media)
        before = _remaining(base, PURGED)
        with admin.cursor() as cursor:
            cursor.execute("CHECKPOINT")

        print("purging…", file=sys.stderr)
        output = subprocess.run(
            [python, "-c", PURGE_PROCESS],
            cwd=ROOT,
            env={**_env(base, PURGED, media_a, args.window), "DJANGO_SETTINGS_MODULE": "retta_cs.settings"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        purge = json.loads(output.strip().splitlines()[-1])
        print("hand-written batched DELETE…", file=sys.stderr)
        baseline = _baseline(base, args.window, media_b)

        after_purge, after_baseline = _remaining(base, PURGED), _remaining(base, BASELINE)
        assert after_purge == after_baseline, (after_purge, after_baseline)
        windows = purge["windows"]
        # First and last ten contact windows (halves when there are fewer than twenty).
        edge = min(10, len(windows) // 2) or 1
        first, last = statistics.mean(windows[:edge]), statistics.mean(windows[-edge:])
        emails_deleted = sum(purge["deleted"].get("contacts.emailmessage", {}).values())
        files_left = sum(1 for _ in (media_a / "emails" / "bench").iterdir())
        rows = [
            ("contacts / deleted / kept", f"{before[0]:,} / {before[0] - after_purge[0]:,} / {after_purge[0]:,}"),
            ("purge wall time", f"{purge['wall']:.1f} s"),
            ("hand-written batched DELETE wall time", f"{baseline['wall']:.1f} s"),
            ("hand-written: longest window", f"{max(baseline['timings']) * 1000:.0f} ms"),
            ("ratio purge / hand-written (target ≤ 1.3)", f"{purge['wall'] / baseline['wall']:.2f}"),
            ("peak memory of the purge process (RSS)", f"{purge['peak_rss_kb'] / 1024:.0f} MB"),
            ("longest window transaction (target < 1 s)", f"{max(windows) * 1000:.0f} ms"),
            (
                f"first {edge} / last {edge} of {len(windows)} contact windows (mean)",
                f"{first * 1000:.0f} ms / {last * 1000:.0f} ms",
            ),
            ("last / first windows (target ≤ 1.2)", f"{last / first:.2f}"),
            ("of which the plan (due and kept counts) at the start", f"{purge['plan']:.1f} s"),
            ("windows (all record types)", f"{purge['window_count']}"),
            (
                "files deleted / file rows deleted",
                f"{purge['files_deleted']} / {args.files} (left in storage: {files_left})",
            ),
            ("email rows deleted", f"{emails_deleted:,}"),
        ]
        print(f"\nN = {args.n:,}, window {args.window:,}, {platform.python_version()}, same rows left: yes\n")
        print("| measure | value |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
    finally:
        for name in (PURGED, BASELINE, TEMPLATE):
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
