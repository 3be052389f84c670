"""The IMAP poll: unseen messages of each configured mailbox stored through the ingestion
service, marked seen only once stored; scheduled by django-celery-beat; mailboxes kept by the
administrator in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts import imap
from contacts.models import Contact, EmailMessage, Mailbox
from contacts.tasks import mailbox_poll_task, mailboxes_poll
from tests.contacts.test_inbound_email import make_email

pytestmark = pytest.mark.django_db


class FakeImapServer:
    """Just enough of imaplib.IMAP4 for the poll: one folder of messages with flags."""

    def __init__(self, messages: dict[bytes, bytes], *, fail_fetch: set[bytes] = frozenset()) -> None:
        self.messages = messages
        self.seen: set[bytes] = set()
        self.fail_fetch = set(fail_fetch)
        self.selected: str | None = None
        self.logged_out = False
        self.downloaded: list[bytes] = []

    def select(self, folder: str) -> tuple[str, list[bytes]]:
        self.selected = folder
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command: str, *args):  # type: ignore[no-untyped-def]
        if command == "SEARCH":
            assert args[-1] == "UNSEEN"
            return "OK", [b" ".join(uid for uid in self.messages if uid not in self.seen)]
        if command == "FETCH" and args[1] == "(RFC822.SIZE)":
            uid = args[0]
            return "OK", [b"%s (UID %s RFC822.SIZE %d)" % (uid, uid, len(self.messages[uid]))]
        if command == "FETCH":
            uid, what = args
            self.downloaded.append(uid)
            assert what == "(BODY.PEEK[])"  # fetching must not mark the message seen
            if uid in self.fail_fetch:
                return "NO", [None]
            return "OK", [(uid + b" (UID " + uid + b" BODY[] {%d}" % len(self.messages[uid]), self.messages[uid]), b")"]
        if command == "STORE":
            uid, _op, flags = args
            assert flags == "(\\Seen)"
            self.seen.add(uid)
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self) -> tuple[str, list[bytes]]:
        self.logged_out = True
        return "BYE", [b""]


@pytest.fixture
def mailbox(isannointi):  # type: ignore[no-untyped-def]
    return Mailbox.objects.create(
        address="asiakaspalvelu@isannointi.example",
        controller=isannointi,
        imap_enabled=True,
        imap_host="imap.example.fi",
        imap_username="asiakaspalvelu",
        imap_password="secret",
    )


@pytest.fixture
def server(monkeypatch):  # type: ignore[no-untyped-def]
    fake = FakeImapServer(
        {
            b"1": make_email(message_id="<one@customer.example>"),
            b"2": make_email(message_id="<two@customer.example>"),
            b"3": make_email(message_id="<one@customer.example>"),  # the same message twice
        }
    )
    monkeypatch.setattr(imap, "imap_connect", lambda mailbox: fake)
    return fake


def test_unseen_messages_are_stored_and_then_marked_seen(mailbox, server, isannointi):
    mailbox_poll_task(mailbox.pk)
    assert server.seen == {b"1", b"2", b"3"} and server.selected == '"INBOX"' and server.logged_out
    assert EmailMessage.objects.filter(controller=isannointi).count() == 2
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_poll_error == ""
    mailbox_poll_task(mailbox.pk)  # nothing unseen left: nothing new
    assert Contact.objects.count() == 2


def test_a_message_that_cannot_be_stored_stays_unseen(mailbox, server, monkeypatch):
    server.fail_fetch = {b"2"}
    report = imap.mailbox_poll(mailbox=mailbox, connect=lambda m: server)
    assert report.stored == 1 and report.duplicates == 1 and report.failed == ["2: error"]
    assert b"2" not in server.seen


def test_a_message_over_the_size_limit_stays_unseen_is_not_downloaded_and_is_reported(mailbox, server, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100
    imap.mailbox_poll_record(mailbox=mailbox, connect=lambda m: server)
    assert server.seen == set() and server.downloaded == [] and not Contact.objects.exists()
    mailbox.refresh_from_db()
    assert "too large" in mailbox.last_poll_error


def test_a_server_that_cannot_be_reached_is_recorded_on_the_mailbox(mailbox):
    def refuse(mailbox):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("no route")

    imap.mailbox_poll_record(mailbox=mailbox, connect=refuse)
    mailbox.refresh_from_db()
    assert "ConnectionRefusedError" in mailbox.last_poll_error and mailbox.last_polled_at is not None


def test_the_periodic_job_polls_every_enabled_mailbox(mailbox, server, retta_oy, monkeypatch):
    Mailbox.objects.create(address="disabled@rettaoy.example", controller=retta_oy)
    polled = []
    monkeypatch.setattr(mailbox_poll_task, "delay", lambda mailbox_id: polled.append(mailbox_id))
    mailboxes_poll()
    assert polled == [mailbox.pk]


def test_the_poll_is_scheduled_by_a_data_migration():
    from django_celery_beat.models import PeriodicTask

    tasks = {task.task: task for task in PeriodicTask.objects.filter(enabled=True)}
    assert tasks["contacts.tasks.mailboxes_poll"].interval.every == 2
    assert "contacts.tasks.replies_resend_unsent" in tasks


def test_the_real_connection_uses_imap_over_tls(mailbox, monkeypatch):
    opened = {}

    class FakeSSL:
        def __init__(self, host, port, ssl_context=None, timeout=None):  # type: ignore[no-untyped-def]
            opened.update(host=host, port=port, verified=ssl_context.verify_mode.name, timeout=timeout)

        def login(self, user, password):  # type: ignore[no-untyped-def]
            opened.update(user=user)

    monkeypatch.setattr(imap.imaplib, "IMAP4_SSL", FakeSSL)
    imap.imap_connect(mailbox)
    assert opened == {
        "host": "imap.example.fi",
        "port": 993,
        "verified": "CERT_REQUIRED",
        "timeout": 60,
        "user": "asiakaspalvelu",
    }


# -- the administrator keeps the mailboxes in the admin ---------------------------------------


def test_the_administrator_adds_a_mailbox_in_the_admin(web_as, admin_user, isannointi):
    admin_user.is_staff = True
    admin_user.save()
    client = web_as(admin_user)
    assert client.get(reverse("admin:contacts_mailbox_changelist")).status_code == 200
    response = client.post(
        reverse("admin:contacts_mailbox_add"),
        {
            "address": "Asiakaspalvelu@Isannointi.example",
            "controller": isannointi.pk,
            "imap_enabled": "on",
            "imap_host": "imap.example.fi",
            "imap_port": 993,
            "imap_username": "asiakaspalvelu",
            "imap_password": "s3cret",
            "imap_folder": "INBOX",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert mailbox.address == "asiakaspalvelu@isannointi.example" and mailbox.imap_password == "s3cret"
    change = client.get(reverse("admin:contacts_mailbox_change", args=[mailbox.pk])).content.decode()
    assert "s3cret" not in change  # the password is never shown again


def test_imap_polling_needs_a_host_and_user(web_as, admin_user, isannointi):
    admin_user.is_staff = True
    admin_user.save()
    response = web_as(admin_user).post(
        reverse("admin:contacts_mailbox_add"),
        {"address": "a@b.example", "controller": isannointi.pk, "imap_enabled": "on", "imap_port": 993},
    )
    assert response.status_code == 200 and not Mailbox.objects.exists()


def test_the_administrator_role_may_keep_mailboxes_but_no_contacts():
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="admin").permissions.values_list("codename", flat=True))
    assert {"view_mailbox", "add_mailbox", "change_mailbox", "delete_mailbox"} <= codenames
    assert "view_contact" not in codenames and "view_customer" not in codenames


def test_agents_do_not_reach_the_mailbox_admin(client, agent):
    client.force_login(agent)
    assert client.get(reverse("admin:contacts_mailbox_changelist")).status_code == 302


def test_a_mailbox_address_is_stored_in_lower_case_only(isannointi):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Mailbox.objects.create(address="Asiakaspalvelu@Example.fi", controller=isannointi)
