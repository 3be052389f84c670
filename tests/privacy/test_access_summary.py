"""summary.txt of the access copy: readable by a layperson in Finnish, Swedish and English, with
the person's actual data per record, who wrote it, how long it is kept and who receives it."""

import datetime as dt
import io
import re
import zipfile

import pytest

from contacts.services import contact_record
from privacy.discovery import matches_review, request_discover
from privacy.exports import export_write_zip
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db

# 08:05 UTC on 15 March 2026 is 10:05 in Helsinki (EET, UTC+2).
AT = dt.datetime(2026, 3, 15, 8, 5, tzinfo=dt.UTC)
LABELS = {
    "fi": ["Kanava: Puhelu", "Suunta: Saapuva", "Teksti: Hei, hana vuotaa", "15.3.2026 10.05"],
    "sv": ["Kanal: Samtal", "Riktning: Inkommande", "Text: Hei, hana vuotaa", "15.3.2026 10.05"],
    "en": ["Channel: Call", "Direction: Inbound", "Text: Hei, hana vuotaa", "15/03/2026 10:05"],
}
# What a Python value looks like when it leaks into the text instead of being written out.
REPRS = re.compile(r"\('|\['|<[A-Za-z]|__proxy__|datetime\.|\bNone\b|\bTrue\b|\bFalse\b|\{'")


def _summary(isannointi, dpo, language):
    contact_record(
        controller=isannointi,
        channel="call",
        occurred_at=AT,
        name="Maija Meikäläinen",
        phone="040 123 4567",
        subject="Kattovuoto",
    )
    request = make_privacy_request(isannointi, verified=True, phone="040 123 4567", language=language)
    request_discover(request=request, actor=dpo)
    matches_review(request=request, actor=dpo)
    target = io.BytesIO()
    export_write_zip(request=request, export=None, target=target)
    return zipfile.ZipFile(target).read("summary.txt").decode()


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_summary_gives_each_records_data_under_translated_labels_without_python_reprs(
    isannointi, dpo, subject_records, language
):
    summary = _summary(isannointi, dpo, language)
    assert not REPRS.search(summary), REPRS.search(summary)
    for expected in LABELS[language]:
        assert expected in summary, expected
    # The person's own data, per record.
    for value in ["Kattovuoto", "Laskusta", "lasku.pdf", "maija@example.fi", "+358401234567"]:
        assert value in summary
    assert "tietosuoja.fi" in summary


def test_the_summary_gives_attachments_their_retention_and_names_the_processors(isannointi, dpo, subject_records):
    summary = _summary(isannointi, dpo, "en")
    attachments = summary.split("== Email attachments")[1].split("\n== ")[0]
    assert "Kept as long as the record it belongs to (Customer-service contacts (emails, calls, chats))" in attachments
    assert "(180 days)" in attachments
    assert "File in this package: files/contacts-emailattachment/" in attachments
    recipients = summary.split("== Recipients")[1].split("\n== ")[0]
    for processor in ["Hosting provider", "Email service provider", "Telephony service provider"]:
        assert processor in recipients
    assert "Authorities" in recipients


def test_the_summary_says_who_wrote_each_record(isannointi, dpo, subject_records):
    summary = _summary(isannointi, dpo, "en")
    chat = summary.split("== Chat messages")[1].split("\n== ")[0]
    visitor, agent = chat.split("-- Chat message")[1:3]
    assert "Written by: you, when you contacted us" in visitor and "Hei, hana vuotaa" in visitor
    assert "Written by: our customer-service staff" in agent and "Tulemme huomenna" in agent
    # The subject of a call is written by the agent taking it.
    assert "Subject (written by our staff): Vuotava hana" in summary


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_summary_gives_a_tickets_state_priority_and_channel_by_their_names(isannointi, dpo, language):
    from django.utils import translation
    from django.utils.text import capfirst

    from contacts.models import Channel, Task, TaskPriority, TaskState
    from contacts.services import customer_match_or_create

    customer = customer_match_or_create(controller=isannointi, name="Maija", phone="040 123 4567")
    Task.all_controllers.create(
        controller=isannointi,
        customer=customer,
        title="Vesivahinko",
        state=TaskState.WAITING,
        priority=TaskPriority.HIGH,
        channel=Channel.EMAIL,
    )
    summary = _summary(isannointi, dpo, language)
    with translation.override(language):
        for field, value in (("state", TaskState.WAITING), ("priority", TaskPriority.HIGH), ("channel", Channel.EMAIL)):
            line = f"{capfirst(Task._meta.get_field(field).verbose_name)}: {value.label}"
            # Only the ticket has an email channel here: the contact is a call.
            assert line in summary, line
    assert "Vesivahinko" in summary
