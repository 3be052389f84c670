"""Benchmark of the privacy machinery: subject discovery and the access copy.

    .venv/bin/python benchmarks/privacy.py [--contacts 1000000] [--recording-mb 1]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432). It creates
the database `retta_bench_privacy`, fills it with `--contacts` contacts of other people, then a
subject with 200 contacts of which 20 have a call recording, and measures:

- discovery for one subject: wall time (median of 5) and SQL queries, for a subject with 2 and
  with 200 records (the query count must not grow);
- the access copy (ZIP) of that subject: wall time, Python peak memory (tracemalloc) and ZIP
  size, with recordings of `--recording-mb` and of four times that (memory must stay flat).

It prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "retta_bench_privacy"


def _setup(base_url: str, media_root: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="retta_cs.settings",
        DATABASE_URL=f"{base_url}/{DATABASE}",
        SECRET_KEY="benchmark-only-" + "x" * 40,
        DEBUG="true",
        MEDIA_ROOT=media_root,
    )
    os.environ.pop("REDIS_URL", None)
    subprocess.run(["psql", base_url + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DATABASE}"], check=True)
    subprocess.run(["psql", base_url + "/postgres", "-qc", f"CREATE DATABASE {DATABASE}"], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, env=os.environ)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fill(contacts: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # Other people's contacts, spread over both controllers and the last 180 days.
        cursor.execute(
            """
            INSERT INTO contacts_contact (controller_id, channel, direction, occurred_at, name, email,
                email_normalized, phone, phone_e164, subject, body, restricted, processing_objected,
                created_at, updated_at)
            SELECT 1 + (i %% 2), 'email', 'inbound', now() - (i %% 180) * interval '1 day', 'Asiakas ' || i,
                'asiakas' || i || '@example.fi', 'asiakas' || i || '@example.fi', '', '+35840' || (1000000 + i),
                'Asia ' || i, 'Viesti', false, false, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [contacts],
        )
        cursor.execute("ANALYZE")


def _subject(controller, records: int, recordings: int, recording_bytes: int, email: str) -> None:
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from contacts.models import CallRecording
    from contacts.services import contact_record

    # Random bytes: recordings are compressed audio, the ZIP cannot shrink them.
    audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(max(recording_bytes - 12, 0))
    for index in range(records):
        contact = contact_record(
            controller=controller,
            channel="call",
            occurred_at=timezone.now(),
            name="Maija Meikäläinen",
            email=email,
            phone="",
            subject=f"Asia {index}",
            body="Muistiinpano " * 20,
        )
        if index < recordings:
            CallRecording.all_controllers.create(
                controller=controller,
                contact=contact,
                file=ContentFile(audio, name=f"r{index}.wav"),
                content_type="audio/wav",
                size_bytes=len(audio),
            )


def _discovery(controller, email: str) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from privacy.discovery import request_discover
    from privacy.services import request_create

    actor = User.objects.get_or_create(username="bench-dpo")[0]
    timings, queries, found = [], 0, 0
    for _ in range(5):
        request = request_create(controller=controller, kind="access", actor=actor, email=email)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            matches = request_discover(request=request, actor=actor)
            timings.append(time.perf_counter() - started)
        queries, found = len(captured.captured_queries), len(matches)
    return statistics.median(timings), queries, found


def _export(controller, email: str) -> tuple[float, int, int]:
    from accounts.models import User
    from privacy.discovery import request_discover
    from privacy.exports import export_write_zip
    from privacy.services import request_create, request_verify_identity

    actor = User.objects.get_or_create(username="bench-dpo")[0]
    request = request_create(controller=controller, kind="access", actor=actor, email=email)
    request_verify_identity(request=request, actor=actor, method="email_on_file")
    request_discover(request=request, actor=actor)
    with tempfile.TemporaryFile() as target:
        tracemalloc.start()
        started = time.perf_counter()
        export_write_zip(request=request, export=None, target=target)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return elapsed, peak, target.tell()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=1_000_000, help="other people's contacts (N)")
    parser.add_argument("--recording-mb", type=float, default=1.0, help="size of each recording in MB")
    args = parser.parse_args()
    base_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    with tempfile.TemporaryDirectory(prefix="retta-bench-media-") as media_root:
        _setup(base_url, media_root)
        from core.models import Controller
        from core.scoping import unscoped

        with unscoped():
            started = time.perf_counter()
            _fill(args.contacts)
            fill_seconds = time.perf_counter() - started
            controller = Controller.objects.get(slug="retta-isannointi")
            small_bytes = int(args.recording_mb * 1024 * 1024)
            _subject(controller, 2, 0, 0, "pieni@example.fi")
            _subject(controller, 200, 20, small_bytes, "maija@example.fi")
            _subject(controller, 200, 20, small_bytes * 4, "iso@example.fi")
            few = _discovery(controller, "pieni@example.fi")
            many = _discovery(controller, "maija@example.fi")
            _export(controller, "pieni@example.fi")  # warm-up: templates, translations, imports
            small = _export(controller, "maija@example.fi")
            large = _export(controller, "iso@example.fi")
    mb = 1024 * 1024
    print(f"Filled {args.contacts:,} contacts in {fill_seconds:.1f} s.\n")
    print("| measurement | result |")
    print("|---|---|")
    print(f"| discovery, subject with 2 records | {few[0] * 1000:.1f} ms, {few[1]} queries, {few[2]} matches |")
    print(f"| discovery, subject with 200 records | {many[0] * 1000:.1f} ms, {many[1]} queries, {many[2]} matches |")
    print(
        f"| access copy, 200 contacts + 20 recordings of {args.recording_mb:g} MB | {small[0]:.2f} s, "
        f"peak Python memory {small[1] / mb:.1f} MiB, ZIP {small[2] / mb:.1f} MiB |"
    )
    print(
        f"| access copy, 200 contacts + 20 recordings of {args.recording_mb * 4:g} MB | {large[0]:.2f} s, "
        f"peak Python memory {large[1] / mb:.1f} MiB, ZIP {large[2] / mb:.1f} MiB |"
    )


if __name__ == "__main__":
    main()
