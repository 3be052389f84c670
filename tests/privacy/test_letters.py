"""Letters: printable, and sent by email from the request to the requester's verified address
only, through the outgoing mail path (saved, sent after commit, at most once, audited)."""

from pathlib import Path

import pytest
from django.core import mail

from core.models import AuditEvent
from core.roles import Role
from privacy.letters import letter_deliver, letter_generate, letters_unsent
from privacy.models import LetterDelivery
from tests.factories import make_user
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db
CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "retta.css"


@pytest.fixture(autouse=True)
def _locmem_email(settings, eager_tasks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _letter(isannointi, dpo, **fields):
    request = make_privacy_request(isannointi, language="sv", **fields)
    return letter_generate(request=request, kind="acknowledgement", actor=dpo)


def test_a_letter_is_sent_by_email_to_the_verified_address(web_as, dpo, isannointi):
    letter = _letter(isannointi, dpo, verified=True)
    client = web_as(dpo)
    page = client.get(f"/privacy/letters/{letter.pk}/").content.decode()
    assert 'id="send-letter-button"' in page
    answer = client.post(f"/privacy/letters/{letter.pk}/send/", {"to_address": "maija@example.fi"})
    assert answer.status_code == 302
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["maija@example.fi"] and sent.from_email == "tietosuoja@retta.fi"
    assert sent.body == letter.body and f"nr {letter.request_id}" in sent.subject  # in the letter's language
    delivery = LetterDelivery.objects.get()
    assert delivery.status == "sent" and delivery.sent_at and delivery.queued_by == dpo
    events = AuditEvent.objects.filter(action="send", object_type="privacy.letter", object_id=str(letter.pk))
    assert events.count() == 2  # queued by the DPO, sent by the task
    # A second click sends nothing more.
    client.post(f"/privacy/letters/{letter.pk}/send/", {"to_address": "maija@example.fi"})
    assert len(mail.outbox) == 1 and LetterDelivery.objects.count() == 1


def test_no_letter_goes_to_an_address_not_verified(web_as, dpo, isannointi):
    # Identity checked by a document: the address is the requester's word only.
    request = make_privacy_request(isannointi)
    from privacy.services import request_verify_identity

    request_verify_identity(request=request, actor=dpo, method="document_seen")
    letter = letter_generate(request=request, kind="acknowledgement", actor=dpo)
    client = web_as(dpo)
    page = client.get(f"/privacy/letters/{letter.pk}/").content.decode()
    assert 'id="no-verified-email"' in page and 'id="send-letter-button"' not in page
    answer = client.post(f"/privacy/letters/{letter.pk}/send/", {"to_address": "maija@example.fi"}, follow=True)
    assert 'class="message error"' in answer.content.decode()
    assert not mail.outbox and not LetterDelivery.objects.exists()


def test_sending_to_another_address_than_the_verified_one_is_refused(web_as, dpo, isannointi):
    letter = _letter(isannointi, dpo, verified=True)
    answer = web_as(dpo).post(f"/privacy/letters/{letter.pk}/send/", {"to_address": "other@example.fi"}, follow=True)
    assert 'class="message error"' in answer.content.decode()
    assert not mail.outbox and not LetterDelivery.objects.exists()


def test_sending_a_letter_needs_the_dpo_of_that_controller(web_as, client, agent, dpo, isannointi, retta_oy):
    letter = _letter(isannointi, dpo, verified=True)
    url = f"/privacy/letters/{letter.pk}/send/"
    body = {"to_address": "maija@example.fi"}
    assert client.post(url, body).status_code == 302 and not LetterDelivery.objects.exists()
    assert web_as(agent).post(url, body).status_code == 403
    other = web_as(make_user("dpo-oy", Role.DPO, [retta_oy]))
    assert other.post(url, body).status_code == 404
    assert other.get(f"/privacy/letters/{letter.pk}/").status_code == 404
    assert not mail.outbox and not LetterDelivery.objects.exists()


def test_a_failed_sending_is_kept_and_tried_again(web_as, dpo, isannointi, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    letter = _letter(isannointi, dpo, verified=True)

    def refuse(self, messages):
        raise OSError("connection refused")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    web_as(dpo).post(f"/privacy/letters/{letter.pk}/send/", {"to_address": "maija@example.fi"})
    delivery = LetterDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1 and "OSError" in delivery.error
    assert letters_unsent() == [delivery.pk]
    monkeypatch.undo()
    assert letter_deliver(delivery_id=delivery.pk) == "sent"
    assert len(mail.outbox) == 1 and letters_unsent() == []
    assert letter_deliver(delivery_id=delivery.pk) == "sent" and len(mail.outbox) == 1


def test_the_letter_page_prints_only_the_letter(web_as, dpo, isannointi):
    letter = _letter(isannointi, dpo, verified=True)
    page = web_as(dpo).get(f"/privacy/letters/{letter.pk}/").content.decode()
    assert "data-print" in page and 'class="letter-sheet"' in page and 'class="no-print"' in page
    css = CSS.read_text()
    print_rules = css.split("@media print")[1]
    assert ".no-print" in print_rules and ".topbar" in print_rules
