"""Erasure survives a backup restore: the ledger lives outside the database, so after a dump
taken before an erasure is restored (and the old media copied back), `replay_erasures` erases the
person again, rows, files and old access copies, and running it again changes nothing.

Done the real way, with pg_dump and pg_restore into the same database name."""

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.privacy.factories import api_verify_and_review
from tests.privacy.test_erasure import (
    EMAIL,
    NAME,
    PHONE,
    _dump,
    _media_mentioning,
    _subject_with_files,
    _tables_mentioning,
)

URL = "/api/v1/privacy-requests/"
NEEDLES = [NAME, EMAIL, PHONE, "040 987 6543"]
# The request itself keeps the identifiers (accountability, art. 5(2)): only there may they be.
REQUEST_TABLES = {"public.privacy_privacyrequest", "public.privacy_requestidentifier", "public.privacy_letter"}


def _pg(*command: str) -> None:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    where = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    subprocess.run([command[0], *where, *command[1:]], env=env, capture_output=True, text=True, check=True)


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_replay_erasures_after_restoring_a_dump_taken_before_the_erasure_leaves_no_trace(
    media, dpo_api, isannointi, tmp_path, eager_tasks
):
    _subject_with_files(isannointi)
    access = dpo_api.post(
        URL, {"controller": "retta-isannointi", "kind": "access", "email": EMAIL, "name": NAME}, format="json"
    ).json()["id"]
    api_verify_and_review(dpo_api, access)
    dpo_api.post(f"{URL}{access}/execute/", {}, format="json")
    erasure = dpo_api.post(
        URL,
        {"controller": "retta-isannointi", "kind": "erasure", "email": EMAIL, "name": NAME, "phone": "040 987 6543"},
        format="json",
    ).json()["id"]
    api_verify_and_review(dpo_api, erasure)

    # The nightly backup: a dump of the database and a copy of the media.
    backup = tmp_path / "backup.dump"
    _pg("pg_dump", "-Fc", "-f", str(backup), connection.settings_dict["NAME"])
    media_backup = tmp_path / "media-backup"
    shutil.copytree(media, media_backup)

    assert dpo_api.post(f"{URL}{erasure}/execute/", {}, format="json").status_code == 200
    assert _media_mentioning(media, NEEDLES) == []
    assert _tables_mentioning(_dump(), NEEDLES) <= REQUEST_TABLES

    # The restore: the dump into the same database name, the old media copied back.
    connection.close()
    _pg(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--single-transaction",
        "-d",
        connection.settings_dict["NAME"],
        str(backup),
    )
    shutil.copytree(media_backup, media, dirs_exist_ok=True)
    assert {"public.contacts_contact", "public.contacts_customer"} <= _tables_mentioning(_dump(), NEEDLES)
    assert _media_mentioning(media, NEEDLES)
    # The access copy is compressed, so it is looked for by itself rather than by the grep.
    assert [p for p in (media / "exports").rglob("*") if p.is_file()]

    out = StringIO()
    call_command("replay_erasures", stdout=out)

    assert _tables_mentioning(_dump(), NEEDLES) <= REQUEST_TABLES
    assert _media_mentioning(Path(media), NEEDLES) == []
    assert [p for p in (media / "exports").rglob("*") if p.is_file()] == []
    # Idempotent: a second run finds nothing more to erase.
    again = StringIO()
    call_command("replay_erasures", stdout=again)
    assert "Erased again: 0 record(s)." in again.getvalue()
