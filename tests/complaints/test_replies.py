"""A complaint handler answers the complainant by email from the complaint: through the one
outbound path, linked to the complaint, shown on its timeline with its delivery state."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from complaints.models import ComplaintStatus
from contacts.models import Contact, EmailMessage, SendStatus
from contacts.services import customer_match_or_create
from core.models import AuditEvent
from tests.complaints.factories import make_complaint
from tests.contacts.test_replies import _locmem_email_and_eager_celery  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(isannointi):  # type: ignore[no-untyped-def]
    liisa = customer_match_or_create(controller=isannointi, name="Liisa Korhonen", email="liisa@example.fi")
    return make_complaint(
        isannointi, complainant=liisa, subject="Lumityöt tekemättä", status=ComplaintStatus.IN_HANDLING
    )


def test_the_handler_answers_the_complainant_and_sees_it_sent_on_the_timeline(
    web_as, handler, complaint, django_capture_on_commit_callbacks
):
    client = web_as(handler)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("complaints:complaint_reply", args=[complaint.pk]), {"body": "Piha aurataan tänään."}
        )
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "complaints:complaint_detail", args=[complaint.pk]
    )
    reply = Contact.objects.get(direction="outbound")
    assert reply.customer_id == complaint.complainant_id and complaint.contacts.filter(pk=reply.pk).exists()
    assert mail.outbox[0].to == ["liisa@example.fi"] and mail.outbox[0].subject == "Re: Lumityöt tekemättä"
    assert EmailMessage.objects.get(contact=reply).send_status == SendStatus.SENT
    page = client.get(reverse("complaints:complaint_detail", args=[complaint.pk])).content.decode()
    assert "Piha aurataan tänään." in page and 'data-status="sent"' in page
    assert AuditEvent.objects.filter(
        action="create", actor=handler, object_id=str(reply.pk), purpose="complaint_handling"
    ).exists()


def test_a_complainant_without_an_address_or_a_finished_complaint_is_not_answered(web_as, handler, isannointi):
    nameonly = make_complaint(isannointi, status=ComplaintStatus.IN_HANDLING)
    client = web_as(handler)
    page = client.get(reverse("complaints:complaint_detail", args=[nameonly.pk])).content.decode()
    assert 'id="reply-no-address"' in page
    answer = client.post(
        reverse("complaints:complaint_reply", args=[nameonly.pk]), {"body": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400 and "no email address" in answer.content.decode()
    assert client.post(reverse("complaints:complaint_reply", args=[nameonly.pk]), {"body": " "}).status_code == 400
    assert not Contact.objects.filter(direction="outbound").exists()


def test_a_closed_complaint_is_not_answered(web_as, handler, complaint):
    from django.utils import timezone

    type(complaint).all_controllers.filter(pk=complaint.pk).update(status="closed", closed_at=timezone.now())
    answer = web_as(handler).post(reverse("complaints:complaint_reply", args=[complaint.pk]), {"body": "x"})
    assert answer.status_code == 400 and not Contact.objects.filter(direction="outbound").exists()


def test_a_failed_answer_is_retried_from_the_complaint(
    web_as, handler, complaint, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    settings.REPLY_SEND_MAX_ATTEMPTS = 1
    real = EmailBackend.send_messages
    monkeypatch.setattr(EmailBackend, "send_messages", lambda self, m: (_ for _ in ()).throw(OSError("down")))
    client = web_as(handler)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("complaints:complaint_reply", args=[complaint.pk]), {"body": "Vastaus"})
    reply = Contact.objects.get(direction="outbound")
    retry = reverse("complaints:complaint_reply_retry", args=[reply.pk])
    page = client.get(reverse("complaints:complaint_detail", args=[complaint.pk])).content.decode()
    assert 'data-status="failed"' in page and retry in page
    # The status partial polled from the complaint page offers the complaint's retry too.
    assert retry in client.get(reverse("contacts:reply_status", args=[reply.pk])).content.decode()
    monkeypatch.setattr(EmailBackend, "send_messages", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(retry).status_code == 302
    assert EmailMessage.objects.get(contact=reply).send_status == SendStatus.SENT and len(mail.outbox) == 1


def test_answering_needs_the_handler_role_and_the_controller(client, web_as, agent, other_handler, complaint):
    url = reverse("complaints:complaint_reply", args=[complaint.pk])
    assert client.post(url, {"body": "x"}).status_code == 302
    assert web_as(agent).post(url, {"body": "x"}).status_code == 403
    assert web_as(other_handler).post(url, {"body": "x"}).status_code == 404
    assert not Contact.objects.filter(direction="outbound").exists()
