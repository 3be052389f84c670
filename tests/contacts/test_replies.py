"""Replies: an agent answers an email; saved at once as an outbound contact of the same task,
sent by a Celery task at most once, failures kept and retried, and the customer's answer
threads back into the task (P2)."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core import mail
from django.urls import reverse

from contacts.ingestion import email_ingest
from contacts.models import Contact, EmailMessage, SendStatus
from contacts.replies import replies_unsent, reply_create, reply_send
from core.models import AuditEvent
from tests.contacts.test_inbound_email import make_email
from tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem_email_and_eager_celery(settings):  # type: ignore[no-untyped-def]
    """Django's locmem mail backend; Celery tasks run in-process, as the app does without a
    broker (settings: CELERY_TASK_ALWAYS_EAGER without REDIS_URL, eager exceptions propagate)."""
    from retta_cs.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def incoming(isannointi, integration):  # type: ignore[no-untyped-def]
    return email_ingest(
        raw=make_email(references="<older@customer.example>"), controller=isannointi, actor=integration
    ).contact


def test_a_reply_is_saved_in_the_task_and_sent_with_threading_headers(
    incoming, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(contact=incoming, agent=agent, body="Huoltomies tulee huomenna.")
    assert reply.direction == "outbound" and reply.channel == "email" and reply.agent == agent
    assert reply.task_id == incoming.task_id and reply.customer_id == incoming.customer_id
    assert reply.subject == "Re: Vuotava hana" and reply.email_normalized == "maija@example.fi"
    message = EmailMessage.objects.get(contact=reply)
    assert message.in_reply_to == "<first@customer.example>"
    assert message.references == "<older@customer.example> <first@customer.example>"
    assert message.send_status == SendStatus.SENT and message.sent_at is not None and message.send_attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["maija@example.fi"] and sent.subject == "Re: Vuotava hana"
    headers = sent.message()
    assert headers["Message-ID"] == message.message_id
    assert headers["In-Reply-To"] == "<first@customer.example>"
    assert "<first@customer.example>" in headers["References"]
    stored = email.message_from_bytes(message.raw.read(), policy=policy.default)
    assert stored["Message-ID"] == message.message_id
    assert AuditEvent.objects.filter(action="create", object_id=str(reply.pk), actor=agent).exists()
    assert AuditEvent.objects.filter(action="send", object_id=str(reply.pk)).exists()


def test_the_customers_answer_threads_back_into_the_same_task(incoming, agent, isannointi, integration):
    reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    message_id = EmailMessage.objects.get(contact=reply).message_id
    answer = email_ingest(
        raw=make_email(message_id="<answer@customer.example>", in_reply_to=message_id),
        controller=isannointi,
        actor=integration,
    )
    assert answer.contact.task_id == incoming.task_id


def test_sending_is_idempotent(incoming, agent):
    reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    message = EmailMessage.objects.get(contact=reply)
    assert reply_send(email_message_id=message.pk) == SendStatus.SENT
    assert reply_send(email_message_id=message.pk) == SendStatus.SENT
    assert len(mail.outbox) == 1


def test_a_failure_is_recorded_and_retried_with_backoff(
    incoming, agent, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    settings.REPLY_SEND_MAX_ATTEMPTS = 3
    calls = {"n": 0}
    real_send = EmailBackend.send_messages

    def flaky(self, messages):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] < 3:
            raise ConnectionRefusedError("smtp down")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    message = EmailMessage.objects.get(contact=reply)
    assert message.send_status == SendStatus.SENT and message.send_attempts == 3 and message.send_error == ""
    assert len(mail.outbox) == 1


def test_a_reply_that_keeps_failing_stays_failed_with_its_error(
    incoming, agent, monkeypatch, settings, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    settings.REPLY_SEND_MAX_ATTEMPTS = 2

    def down(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    message = EmailMessage.objects.get(contact=reply)
    assert message.send_status == SendStatus.FAILED and message.send_attempts == 2
    assert "ConnectionRefusedError: smtp down" in message.send_error
    assert Contact.objects.filter(pk=reply.pk).exists()  # saved, never lost
    assert replies_unsent() == []  # attempts used up: shown as failed, not retried forever


def test_an_overlapping_retry_never_sends_past_the_attempt_limit(
    incoming, agent, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """The periodic resend may queue a reply whose own retry is still waiting: the limit holds."""
    from django.core.mail.backends.locmem import EmailBackend

    settings.REPLY_SEND_MAX_ATTEMPTS = 2
    attempts = []

    def down(self, messages):  # type: ignore[no-untyped-def]
        attempts.append(1)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailBackend, "send_messages", down)
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    message = EmailMessage.objects.get(contact=reply)

    assert reply_send(email_message_id=message.pk) == SendStatus.FAILED  # a late duplicate task
    message.refresh_from_db()
    assert len(attempts) == 2 and message.send_attempts == 2


def test_the_task_has_the_delivery_guarantees_and_backs_off():
    from contacts.tasks import reply_retry_delay, reply_send_task

    assert reply_send_task.acks_late is True and reply_send_task.reject_on_worker_lost is True
    assert [reply_retry_delay(n) for n in range(4)] == [30, 60, 120, 240] and reply_retry_delay(20) == 1800


def test_with_a_broker_a_failure_is_retried_later_by_the_worker(incoming, agent, monkeypatch):
    from celery.exceptions import Retry

    from contacts import tasks
    from retta_cs.celery import app

    reply = reply_create(contact=incoming, agent=agent, body="Vastaus")
    message = EmailMessage.objects.get(contact=reply)
    monkeypatch.setattr(tasks, "reply_send", lambda **kwargs: SendStatus.FAILED)
    app.conf.task_always_eager = False
    scheduled = {}
    monkeypatch.setattr(tasks.reply_send_task, "retry", lambda **kwargs: scheduled.update(kwargs) or Retry("later"))
    with pytest.raises(Retry):
        tasks.reply_send_task.run(message.pk)
    assert scheduled == {"countdown": 30}


def _broker_down(monkeypatch):  # type: ignore[no-untyped-def]
    """Queueing fails as kombu fails when Redis refuses connections, after its retries."""
    from kombu.exceptions import OperationalError

    from contacts.tasks import reply_send_task

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(reply_send_task, "apply_async", refused)


def test_a_reply_saved_while_the_broker_is_down_waits_pending_for_the_resend(
    incoming, agent, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    _broker_down(monkeypatch)
    with caplog.at_level("WARNING", logger="contacts.replies"), django_capture_on_commit_callbacks(execute=True):
        reply = reply_create(contact=incoming, agent=agent, body="Vastaus")  # no exception reaches the caller
    message = EmailMessage.objects.get(contact=reply)
    assert message.send_status == SendStatus.PENDING and message.send_attempts == 0 and mail.outbox == []
    assert replies_unsent() == [message.pk]  # the periodic resend queues it again
    assert f"reply_send_task for {message.pk} failed" in caplog.text
    assert "maija@example.fi" not in caplog.text and "Vastaus" not in caplog.text


def test_the_agent_gets_no_error_page_while_the_broker_is_down(
    web_as, agent, incoming, monkeypatch, django_capture_on_commit_callbacks
):
    _broker_down(monkeypatch)
    url = reverse("contacts:contact_reply", args=[incoming.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = web_as(agent).post(url, {"body": "Huoltomies tulee."})
    incoming.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == reverse(
        "contacts:task_detail", args=[incoming.task_id]
    )
    assert EmailMessage.objects.get(contact__direction="outbound").send_status == SendStatus.PENDING


def test_a_call_cannot_be_answered_by_email(isannointi, agent):
    from django.core.exceptions import ValidationError

    call = make_contact(isannointi, channel="call")
    with pytest.raises(ValidationError):
        reply_create(contact=call, agent=agent, body="x")


def test_a_restricted_contact_is_not_answered(incoming, agent):
    from core.errors import Conflict

    Contact.objects.filter(pk=incoming.pk).update(restricted=True)
    incoming.refresh_from_db()
    with pytest.raises(Conflict):
        reply_create(contact=incoming, agent=agent, body="x")
    assert not Contact.objects.filter(direction="outbound").exists()


# -- the page ---------------------------------------------------------------------------------


def test_the_reply_page_shows_the_email_and_sends(web_as, agent, incoming, django_capture_on_commit_callbacks):
    client = web_as(agent)
    url = reverse("contacts:contact_reply", args=[incoming.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Vuotava hana" in page.content.decode()
    assert AuditEvent.objects.filter(action="view", object_id=str(incoming.pk), actor=agent).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Huoltomies tulee."})
    incoming.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == reverse(
        "contacts:task_detail", args=[incoming.task_id]
    )
    assert len(mail.outbox) == 1
    after = client.get(url).content.decode()
    assert "Re: Vuotava hana" in after and "send-sent" in after


def test_an_empty_answer_is_refused_and_nothing_is_saved(web_as, agent, incoming):
    response = web_as(agent).post(reverse("contacts:contact_reply", args=[incoming.pk]), {"body": "  "})
    assert response.status_code == 400
    assert not Contact.objects.filter(direction="outbound").exists()


def test_answering_a_call_on_the_page_is_a_form_error(web_as, agent, isannointi):
    call = make_contact(isannointi, channel="call")
    response = web_as(agent).post(
        reverse("contacts:contact_reply", args=[call.pk]), {"body": "Hei"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and "Only an email" in response.content.decode()


def test_the_reply_page_needs_login_and_the_agent_role(client, web_as, colleague, dpo, incoming):
    url = reverse("contacts:contact_reply", args=[incoming.pk])
    assert client.get(url).status_code == 302
    assert web_as(colleague).get(url).status_code == 403
    assert web_as(dpo).get(url).status_code == 403


def test_the_other_controllers_email_is_404(web_as, outsider, incoming):
    url = reverse("contacts:contact_reply", args=[incoming.pk])
    client = web_as(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "x"}).status_code == 404
    assert not Contact.objects.filter(direction="outbound").exists()


def test_a_reply_comes_from_the_controllers_mailbox(incoming, agent, isannointi, django_capture_on_commit_callbacks):
    from contacts.models import Mailbox

    Mailbox.objects.create(address="asiakaspalvelu@isannointi.example", controller=isannointi)
    with django_capture_on_commit_callbacks(execute=True):
        reply_create(contact=incoming, agent=agent, body="Vastaus")
    assert mail.outbox[0].from_email == "asiakaspalvelu@isannointi.example"
