"""A purge process killed (SIGKILL) mid-run, then run again, ends exactly like an uninterrupted run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from contacts.models import Contact, EmailMessage, Task, TaskStatus
from retention.models import FileTombstone, PurgeRun, PurgeRunStatus
from retention.purge import PURGE_LOCK_KEY, purge
from tests.factories import make_task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql, pytest.mark.slow]

T = dt.datetime(2026, 6, 1, 0, 30, tzinfo=dt.UTC)
CONTACTS = 1500
WINDOW = 50

# Runs the purge in a separate process and prints a line after every window, so the test knows
# when it is in the middle of the run without waiting on a clock.
PURGE_PROCESS = textwrap.dedent(
    """
    import datetime as dt, sys
    import django
    django.setup()
    from retention.purge import purge
    purge(now=dt.datetime.fromisoformat(sys.argv[1]), progress=lambda rows: print(rows, flush=True))
    print("done", flush=True)
    """
)


def _data_set(controller) -> set[int]:  # type: ignore[no-untyped-def]
    """1,500 contacts past their date, every tenth kept by an open task, some with emails and
    files; returns the ids that must survive."""
    open_task = make_task(controller)
    rows = [
        Contact(
            controller=controller,
            channel="email",
            occurred_at=T - dt.timedelta(days=181 + i % 50),
            name=f"n{i}",
            task=open_task if i % 10 == 0 else None,
        )
        for i in range(CONTACTS)
    ]
    contacts = Contact.all_controllers.bulk_create(rows)
    for contact in contacts[::15]:
        EmailMessage.all_controllers.create(
            controller=controller, contact=contact, raw=ContentFile(b"From: x", name="m.eml")
        )
    return {c.pk for c in contacts if c.task_id is not None}


def _subprocess_env() -> dict[str, str]:
    database = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retta_cs.settings_test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RETENTION_PURGE_WINDOW": str(WINDOW),
        "REDIS_URL": "",
    }


def _wait_for_the_lock_to_be_released() -> None:
    """The killed process's database session ends with it, releasing its advisory lock: a
    blocking acquire returns as soon as that has happened."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [PURGE_LOCK_KEY])
        cursor.execute("SELECT pg_advisory_unlock(%s)", [PURGE_LOCK_KEY])


def test_a_killed_purge_run_again_equals_an_uninterrupted_run(isannointi, settings):
    settings.RETENTION_PURGE_WINDOW = WINDOW
    survivors = _data_set(isannointi)
    due = CONTACTS - len(survivors)
    emails = EmailMessage.all_controllers.count()

    process = subprocess.Popen(
        [sys.executable, "-c", PURGE_PROCESS, T.isoformat()],
        env=_subprocess_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for windows_seen, _line in enumerate(process.stdout, start=1):
        if windows_seen == 10:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    interrupted = PurgeRun.objects.get()
    assert interrupted.status == PurgeRunStatus.RUNNING
    left = Contact.all_controllers.count()
    assert len(survivors) < left < CONTACTS  # really in the middle

    _wait_for_the_lock_to_be_released()
    run = purge(now=T + dt.timedelta(days=30))  # resumes the same run, at its own moment T

    assert run.pk == interrupted.pk and run.as_of == T
    assert run.status == PurgeRunStatus.FINISHED
    assert set(Contact.all_controllers.values_list("pk", flat=True)) == survivors
    assert Task.all_controllers.filter(status=TaskStatus.OPEN).count() == 1
    # The counts are those of an uninterrupted run: each window saved them with its deletes.
    assert run.deleted["contacts.contact"] == {str(isannointi.pk): due}
    assert sum(run.deleted["contacts.emailmessage"].values()) == emails - EmailMessage.all_controllers.count()
    assert run.files_deleted == sum(run.deleted["contacts.emailmessage"].values())
    assert not FileTombstone.objects.exists()
