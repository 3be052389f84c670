"""After a purge, no trace of a purged contact: not in any table, not in file storage.

Unique marker strings are planted in every field and file of a contact past its date (and of one
still kept, to show the search finds what is there); the nightly task purges; then every table
(history, task results and the beat schedule included), the broker's database and the media
folder are searched for the markers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection

from contacts.models import CallRecording, ChatMessage, Customer, CustomerEmail, EmailAttachment, EmailMessage
from retention import tasks
from retention.models import PurgeRun
from tests.factories import make_contact

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def _plant(controller, marker: str, *, days: int, restricted: bool = False):  # type: ignore[no-untyped-def]
    customer = Customer.all_controllers.create(controller=controller, name=f"Name {marker}")
    CustomerEmail.all_controllers.create(controller=controller, customer=customer, email=f"{marker}@example.fi")
    contact = make_contact(
        controller,
        channel="email",
        occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days),
        name=f"Name {marker}",
        email=f"{marker}@example.fi",
        email_normalized=f"{marker}@example.fi",
        subject=f"Subject {marker}",
        body=f"Body {marker}",
        customer=customer,
        restricted=restricted,
    )
    email = EmailMessage.all_controllers.create(
        controller=controller,
        contact=contact,
        message_id=f"<{marker}@mail>",
        from_header=f"{marker} <{marker}@example.fi>",
        text_body=f"Text {marker}",
        raw=ContentFile(f"From: {marker}\n\nBody {marker}".encode(), name=f"{marker}.eml"),
    )
    EmailAttachment.all_controllers.create(
        controller=controller,
        email=email,
        filename=f"{marker}.txt",
        file=ContentFile(marker.encode(), name=f"{marker}.txt"),
    )
    CallRecording.all_controllers.create(
        controller=controller,
        contact=contact,
        content_type="audio/wav",
        file=ContentFile(b"RIFF" + marker.encode(), name=f"{marker}.wav"),
    )
    ChatMessage.all_controllers.create(
        controller=controller, contact=contact, position=1, at=contact.occurred_at, text=f"Chat {marker}"
    )
    return contact


def _tables_containing(marker: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT count(*) FROM {quoted} AS t WHERE t::text LIKE %s", [f"%{marker}%"])
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def _media_containing(marker: str) -> list[Path]:
    found = []
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if marker in path.name or (path.is_file() and marker.encode() in path.read_bytes()):
            found.append(path)
    return found


def _broker_containing(marker: str) -> list[str]:
    if not settings.REDIS_URL:
        return []
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for key in client.scan_iter(count=1000):
        if marker.encode() in key:
            found.append(key.decode(errors="replace"))
            continue
        if client.type(key) == b"string" and marker.encode() in (client.get(key) or b""):
            found.append(key.decode(errors="replace"))
    return found


def test_no_trace_of_a_purged_contact_remains(isannointi):
    purged_marker = f"PURGEDMARK{uuid.uuid4().hex}"
    kept_marker = f"KEPTMARK{uuid.uuid4().hex}"
    _plant(isannointi, purged_marker, days=200)
    _plant(isannointi, kept_marker, days=200, restricted=True)
    # The markers are really there before the purge, so the search below would find them.
    assert "contacts_contact" in _tables_containing(purged_marker)
    assert len(_media_containing(purged_marker)) == 3

    assert tasks.purge_expired.apply().get() == "finished"
    assert tasks.sweep_files.apply().get()["tombstones"] == 0

    assert PurgeRun.objects.get().files_deleted == 3
    assert _tables_containing(purged_marker) == []
    assert _media_containing(purged_marker) == []
    assert _broker_containing(purged_marker) == []
    # The kept contact is still whole: the search does find what is there.
    assert {"contacts_contact", "contacts_emailmessage", "contacts_chatmessage"} <= set(_tables_containing(kept_marker))
    assert len(_media_containing(kept_marker)) == 3
