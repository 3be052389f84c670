"""retention.deletion.delete_rows: the one way personal data is deleted (purge and erasure)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from complaints.models import Complaint, ComplaintStatus
from contacts.models import (
    CallRecording,
    ChatMessage,
    Contact,
    Customer,
    CustomerEmail,
    EmailAttachment,
    EmailMessage,
    Task,
    TaskStatus,
)
from core.models import AuditAction, AuditEvent
from core.personal_data import KeepReason, registry
from core.scoping import unscoped
from retention import deletion
from retention.deletion import delete_rows, tombstones_sweep
from retention.models import FileTombstone
from tests.factories import make_complaint, make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
CONTACT = registry.get("contacts.contact")


def _old() -> dt.datetime:
    return NOW - dt.timedelta(days=200)


def _email_contact(controller, **fields):  # type: ignore[no-untyped-def]
    contact = make_contact(controller, channel="email", occurred_at=_old(), **fields)
    email = EmailMessage.all_controllers.create(
        controller=controller, contact=contact, message_id=f"<m{contact.pk}@x>", raw=ContentFile(b"raw", name="m.eml")
    )
    EmailAttachment.all_controllers.create(
        controller=controller, email=email, filename="a.pdf", file=ContentFile(b"%PDF", name="a.pdf")
    )
    return contact


def _media_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_a_contact_goes_with_its_email_attachments_recording_chat_and_files(isannointi):
    contact = _email_contact(isannointi)
    CallRecording.all_controllers.create(
        controller=isannointi, contact=contact, file=ContentFile(b"RIFF", name="r.wav"), content_type="audio/wav"
    )
    ChatMessage.all_controllers.create(controller=isannointi, contact=contact, position=1, at=_old(), text="hei")
    paths = [Path(EmailMessage.all_controllers.get().raw.path), Path(EmailAttachment.all_controllers.get().file.path)]
    assert all(p.exists() for p in paths)

    result = delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)

    assert result.deleted["contacts.contact"] == [contact.pk]
    assert len(result.deleted["contacts.emailmessage"]) == 1
    assert len(result.deleted["contacts.emailattachment"]) == 1
    assert len(result.deleted["contacts.callrecording"]) == 1
    assert len(result.deleted["contacts.chatmessage"]) == 1
    assert result.files_deleted == 3
    assert not Contact.all_controllers.exists()
    assert not EmailMessage.all_controllers.exists()
    assert not EmailAttachment.all_controllers.exists()
    assert not CallRecording.all_controllers.exists()
    assert not ChatMessage.all_controllers.exists()
    assert not any(p.exists() for p in paths)
    assert not FileTombstone.objects.exists()


def test_the_customer_left_with_nothing_goes_too_and_one_with_contacts_stays(isannointi):
    customer = make_customer(isannointi)
    CustomerEmail.all_controllers.create(controller=isannointi, customer=customer, email="maija@example.fi")
    first = make_contact(isannointi, occurred_at=_old(), customer=customer)
    second = make_contact(isannointi, occurred_at=_old(), customer=customer)

    delete_rows(declaration=CONTACT, pks=[first.pk], now=NOW)
    assert Customer.all_controllers.filter(pk=customer.pk).exists()

    result = delete_rows(declaration=CONTACT, pks=[second.pk], now=NOW)
    assert result.deleted["contacts.customer"] == [customer.pk]
    assert len(result.deleted["contacts.customeremail"]) == 1
    assert not Customer.all_controllers.exists()


def test_a_closed_task_left_with_no_contacts_goes_an_open_one_keeps_its_contact(isannointi):
    closed = make_task(isannointi, status=TaskStatus.CLOSED, closed_at=_old())
    open_task = make_task(isannointi)
    in_closed = make_contact(isannointi, occurred_at=_old(), task=closed)
    in_open = make_contact(isannointi, occurred_at=_old(), task=open_task)

    result = delete_rows(declaration=CONTACT, pks=[in_closed.pk, in_open.pk], now=NOW)

    assert result.deleted["contacts.contact"] == [in_closed.pk]
    assert result.deleted["contacts.task"] == [closed.pk]
    assert result.kept["contacts.contact"] == {in_open.pk: ["open_task"]}
    assert Task.all_controllers.filter(pk=open_task.pk).exists()
    assert Contact.all_controllers.filter(pk=in_open.pk).exists()


def test_restricted_contact_and_open_complaint_are_kept_with_their_reasons(isannointi):
    restricted = make_contact(isannointi, occurred_at=_old(), restricted=True)
    complained = make_contact(isannointi, occurred_at=_old())
    make_complaint(isannointi).contacts.add(complained)

    result = delete_rows(declaration=CONTACT, pks=[restricted.pk, complained.pk], now=NOW)

    assert result.deleted == {}
    assert result.kept["contacts.contact"] == {restricted.pk: ["restriction"], complained.pk: ["open_complaint"]}
    assert Contact.all_controllers.count() == 2


def test_links_to_a_closed_complaint_go_with_the_contact(isannointi):
    contact = make_contact(isannointi, occurred_at=_old())
    complaint = make_complaint(isannointi, status=ComplaintStatus.CLOSED, closed_at=_old())
    complaint.contacts.add(contact)

    delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)

    assert not Contact.all_controllers.exists()
    assert Complaint.all_controllers.get().contacts.count() == 0


def test_a_keep_reason_registered_by_another_app_is_honoured(isannointi, monkeypatch):
    _hold_by_customer_name(monkeypatch)
    held = make_contact(isannointi, occurred_at=_old(), customer=make_customer(isannointi, name="HELD"))
    free = make_contact(isannointi, occurred_at=_old())

    result = delete_rows(declaration=CONTACT, pks=[held.pk, free.pk], now=NOW)

    assert result.deleted["contacts.contact"] == [free.pk]
    assert result.kept["contacts.contact"] == {held.pk: ["test_hold"]}


def _hold_by_customer_name(monkeypatch):  # type: ignore[no-untyped-def]
    """A test-only keep reason standing for a legal hold: customers named HELD are held."""
    hold = KeepReason(
        code="test_hold",
        label="held for a test",
        q=lambda declaration, now: Q(customer__name="HELD") if declaration.key() == "contacts.contact" else None,
    )
    monkeypatch.setattr(registry, "_keep_reasons", [*registry._keep_reasons, hold])


@pytest.mark.postgresql  # concurrent sessions: SQLite locks the whole database
def test_a_hold_committed_just_before_the_delete_wins_inside_it(isannointi, monkeypatch):
    _hold_by_customer_name(monkeypatch)
    customer = make_customer(isannointi, name="free")
    contact = _email_contact(isannointi, customer=customer)
    calls = {"n": 0}

    def hold_placed_meanwhile(declaration):  # type: ignore[no-untyped-def]
        calls["n"] += 1

        # Another session places the hold and commits just before our DELETE.
        def place_hold() -> None:
            with unscoped():
                Customer.all_controllers.filter(pk=customer.pk).update(name="HELD")
            connection.close()

        thread = threading.Thread(target=place_hold)
        thread.start()
        thread.join()

    with mock.patch.object(deletion, "_before_delete", hold_placed_meanwhile):
        result = delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)

    # The DELETE kept the row, so nothing of it went (the email and its files are still there).
    assert calls["n"] == 1
    assert result.deleted == {}
    assert result.kept["contacts.contact"] == {contact.pk: ["test_hold"]}
    assert Contact.all_controllers.filter(pk=contact.pk).exists()
    assert EmailMessage.all_controllers.count() == 1
    assert EmailAttachment.all_controllers.count() == 1
    assert Path(EmailMessage.all_controllers.get().raw.path).exists()
    assert not FileTombstone.objects.exists()


def test_deleting_twice_is_harmless(isannointi):
    contact = _email_contact(isannointi)
    delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)
    again = delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)
    assert again.deleted == {}
    assert again.files_deleted == 0


def test_only_due_leaves_rows_not_yet_due(isannointi):
    recent = make_contact(isannointi, occurred_at=NOW - dt.timedelta(days=10))
    old = make_contact(isannointi, occurred_at=_old())
    result = delete_rows(declaration=CONTACT, pks=[recent.pk, old.pk], now=NOW, only_due=True)
    assert result.deleted["contacts.contact"] == [old.pk]


def test_files_survive_a_crash_after_commit_and_the_sweep_removes_them(isannointi):
    contact = _email_contact(isannointi)
    paths = [Path(EmailMessage.all_controllers.get().raw.path), Path(EmailAttachment.all_controllers.get().file.path)]

    with mock.patch.object(deletion, "_files_after_commit", lambda result, ids: None):
        delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)

    assert not Contact.all_controllers.exists()
    assert FileTombstone.objects.count() == 2
    assert all(p.exists() for p in paths)
    assert tombstones_sweep() == 2
    assert not any(p.exists() for p in paths)
    assert not FileTombstone.objects.exists()


def test_inside_a_callers_transaction_files_go_when_it_commits(isannointi):
    contact = _email_contact(isannointi)
    path = Path(EmailMessage.all_controllers.get().raw.path)
    with transaction.atomic():
        result = delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)
        assert path.exists()
        assert result.files_deleted == 0
    assert not path.exists()
    assert result.files_deleted == 2


def test_a_rolled_back_caller_keeps_rows_and_files(isannointi):
    contact = _email_contact(isannointi)
    path = Path(EmailMessage.all_controllers.get().raw.path)
    with pytest.raises(RuntimeError), transaction.atomic():
        delete_rows(declaration=CONTACT, pks=[contact.pk], now=NOW)
        raise RuntimeError
    assert Contact.all_controllers.filter(pk=contact.pk).exists()
    assert path.exists()
    assert not FileTombstone.objects.exists()


def test_the_deletion_is_audited_with_counts_and_no_personal_values(isannointi, retta_oy):
    mine = make_contact(isannointi, occurred_at=_old(), name="Marker Person")
    theirs = make_contact(retta_oy, occurred_at=_old(), name="Marker Person")

    delete_rows(declaration=CONTACT, pks=[mine.pk, theirs.pk], now=NOW)

    events = AuditEvent.objects.filter(action=AuditAction.PURGE, object_type="contacts.contact")
    assert {(e.controller_id, e.details["deleted"]) for e in events} == {(isannointi.pk, 1), (retta_oy.pk, 1)}
    assert "Marker" not in str(list(AuditEvent.objects.values()))


def test_a_row_another_record_protects_is_kept_as_still_referenced(isannointi):
    customer = make_customer(isannointi)
    make_complaint(isannointi, complainant=customer, status=ComplaintStatus.CLOSED, closed_at=_old())
    result = delete_rows(declaration=registry.get("contacts.customer"), pks=[customer.pk], now=NOW)
    assert result.deleted == {}
    assert "still_referenced" in result.kept["contacts.customer"][customer.pk]


def test_nothing_to_delete_for_no_ids(db):
    assert delete_rows(declaration=CONTACT, pks=[], now=timezone.now()).deleted == {}
