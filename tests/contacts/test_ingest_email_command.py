"""`manage.py ingest_email`: files, mbox and Maildir through the one ingestion service."""

from __future__ import annotations

import mailbox
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contacts.models import Contact, EmailMessage, Mailbox
from core.models import AuditEvent
from tests.contacts.test_inbound_email import make_email

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest_email", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_files_are_stored_for_the_given_controller(tmp_path, retta_oy):
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    first.write_bytes(make_email())
    second.write_bytes(make_email(message_id="<b@customer.example>"))
    out, _err = run(str(first), str(second), str(first), "--controller", "retta-oy")
    assert "stored 2, duplicates 1, with parse problems 0, refused 0" in out
    assert set(Contact.objects.values_list("controller", flat=True)) == {retta_oy.pk}
    assert AuditEvent.objects.filter(actor_kind="ingest_email", action="create").count() == 2


def test_an_mbox_is_stored_by_mailbox_address(tmp_path, isannointi):
    Mailbox.objects.create(address="asiakaspalvelu@isannointi.example", controller=isannointi)
    path = tmp_path / "archive.mbox"
    box = mailbox.mbox(str(path))
    for number in range(3):
        box.add(make_email(message_id=f"<m{number}@customer.example>"))
    box.flush()
    out, _err = run("--mbox", str(path))
    assert "stored 3, duplicates 0" in out
    assert EmailMessage.objects.filter(controller=isannointi).count() == 3


def test_a_maildir_is_stored(tmp_path, isannointi):
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(make_email())
    box.add(b"Subject: no headers to speak of\n\nbody\n")
    out, _err = run("--maildir", str(tmp_path / "Maildir"), "--controller", "retta-isannointi")
    assert "stored 2, duplicates 0" in out


def test_a_message_without_a_known_mailbox_is_refused_loudly(tmp_path, isannointi):
    path = tmp_path / "a.eml"
    path.write_bytes(make_email(to="nobody@nowhere.example"))
    with pytest.raises(CommandError, match="1 message"):
        run(str(path))
    assert not Contact.objects.exists()


def test_bad_arguments(tmp_path, isannointi):
    with pytest.raises(CommandError):
        run()
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "missing.eml"), "--controller", "retta-oy")
    path = tmp_path / "a.eml"
    path.write_bytes(make_email())
    with pytest.raises(CommandError, match="Unknown controller"):
        run(str(path), "--controller", "nobody")
