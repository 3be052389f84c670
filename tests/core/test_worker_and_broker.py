"""Real processes: a Celery worker killed in the middle of sending a reply, and the Redis broker
restarted empty under a running worker, lose no reply and send none twice.

What makes this hold, proved here end to end rather than assumed from the settings:

- tasks are acknowledged late (CELERY_TASK_ACKS_LATE): a worker killed mid-task leaves its
  message unacknowledged in Redis, and a worker starting later takes it back once it is older
  than the visibility timeout;
- a reply is sent in one transaction under a row lock (contacts.replies.reply_send): the killed
  attempt rolls back, leaving the reply PENDING as if never tried, and a reply already sent is
  never sent again, so a redelivered task is harmless;
- a reply saved while the broker is down is kept PENDING without failing the agent's request,
  and the periodic resend (contacts.tasks.replies_resend_unsent) queues it again once the broker
  is back: a broker restarted empty loses its queue, never a reply.

The worker is the production one (`celery -A retta_cs worker`, prefork, production settings) on
the test database, with a Redis of its own and an SMTP sink in a thread of the test. Work that
the web process would queue is queued by a short Django subprocess on the worker's broker, since
this process's Celery app is configured for another one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from contacts import replies
from contacts.ingestion import email_ingest
from contacts.models import EmailMessage, SendStatus
from tests.contacts.test_inbound_email import make_email
from tests.smtp_sink import SmtpSink

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql, pytest.mark.slow]

# Seconds before Redis hands an unacknowledged task to another worker (production: an hour).
VISIBILITY_TIMEOUT = 3
# The longest any one awaited event may take before the test fails.
DEADLINE = 60
# The worker's own database on the shared Redis, flushed before and after.
WORKER_REDIS_DB = 13
WORKER = ["-m", "celery", "-A", "retta_cs", "worker", "--pool", "prefork", "--concurrency", "1", "-l", "warning"]

# What an agent's request does, run where the broker is down: save a reply (its on_commit queues
# the send) and print the message's pk and how long the call took.
REPLY_CREATE = """
import time
from accounts.models import User
from contacts.models import Contact, EmailMessage
from contacts.replies import reply_create
from core.scoping import unscoped
with unscoped():
    contact, agent = Contact.all_controllers.get(pk={contact}), User.objects.get(pk={agent})
    started = time.monotonic()
    reply = reply_create(contact=contact, agent=agent, body="Toinen vastaus.")
    print(EmailMessage.all_controllers.get(contact=reply).pk, time.monotonic() - started)
"""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {timeout} s for {what}.")
        time.sleep(0.1)


def send_status(message: EmailMessage) -> str:
    message.refresh_from_db()
    return message.send_status


def process_env(*, redis_url: str, email_url: str) -> dict[str, str]:
    """Production settings on the test database, the given broker and SMTP server."""
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    credentials = f"{user}:{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else user
    host, port = database["HOST"] or "localhost", database["PORT"] or 5432
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retta_cs.settings",
        "DATABASE_URL": f"postgres://{credentials}@{host}:{port}/{database['NAME']}",
        "REDIS_URL": redis_url,
        "EMAIL_URL": email_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "true",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def django_run(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Run Python in a Django process, as the web process or beat would."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def queue(env: dict[str, str], call: str) -> None:
    django_run(env, f"from contacts.tasks import reply_send_task, replies_resend_unsent; {call}")


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children at once: no warm shutdown, no ack, no restore.
    Safe while the leader is unwaited: its pid, the group's id, cannot be reused yet."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=DEADLINE)


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path) -> Iterator[Callable[[dict[str, str]], subprocess.Popen[bytes]]]:
    """Starts workers, each in a process group of its own; kills them all before the database is
    flushed. Their output is printed at the end, which pytest shows when a test fails."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker-{len(started) + 1}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, *WORKER],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        kill_group(process)
        print(f"--- {log.name}\n{log.read_text(errors='replace')}")


@pytest.fixture
def worker_redis_url() -> Iterator[str]:
    """A Redis database of the worker's own at REDIS_URL's server."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL")
    url = urlsplit(settings.REDIS_URL)._replace(path=f"/{WORKER_REDIS_DB}").geturl()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("needs Redis: none answers at REDIS_URL")
    client.flushdb()
    yield url
    client.flushdb()


class RedisServer:
    """A redis-server of the test's own on a fixed port, kept in memory only, so that stopping
    and starting it again is a broker restarted empty."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--save", "", "--appendonly", "no", "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, "redis-server to accept connections", timeout=10)

    def stop(self) -> None:
        # Killed, as in a crash: whatever it held in memory is gone.
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE)

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=1).ping())
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server installed, to stop and start a broker of its own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def customer_email(isannointi: Any, integration: Any) -> Any:
    return email_ingest(raw=make_email(), controller=isannointi, actor=integration).contact


@pytest.fixture
def reply_to_customer(customer_email: Any, agent: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Saves an agent's reply to the customer's email and returns its EmailMessage, committed so
    the worker sees it. Its send is queued by the test on the worker's broker, not by this process."""
    monkeypatch.setattr(replies, "reply_send_enqueue", lambda **kwargs: None)

    def make(body: str) -> EmailMessage:
        reply = replies.reply_create(contact=customer_email, agent=agent, body=body)
        return EmailMessage.objects.get(contact=reply)

    return make


def test_a_worker_killed_while_sending_leaves_the_reply_to_the_next_worker_which_sends_it_once(
    reply_to_customer, workers, worker_redis_url
):
    broker = redis.Redis.from_url(worker_redis_url)
    with SmtpSink(hang_first=True) as sink:
        env = process_env(redis_url=worker_redis_url, email_url=sink.url)
        message = reply_to_customer("Huoltomies tulee huomenna.")
        first = workers(env)
        queue(env, f"reply_send_task.delay({message.pk})")
        wait_for(sink.send_started.is_set, "the worker to start sending the reply")
        kill_group(first)

        # The killed send's transaction rolled back: the reply is as if never tried, not lost.
        assert send_status(message) == SendStatus.PENDING and message.send_attempts == 0
        assert sink.accepted == []
        # Acknowledged late: the task outlived its worker, unacknowledged in Redis.
        unacked = broker.zrange("unacked_index", 0, -1, withscores=True)
        assert len(unacked) == 1 and broker.hlen("unacked") == 1
        # A starting worker takes back the unacknowledged tasks older than the visibility timeout
        # (kombu then sweeps only every ~100 s), as a supervisor's restarted worker would.
        wait_for(lambda: time.time() - unacked[0][1] > VISIBILITY_TIMEOUT, "the visibility timeout to pass")
        workers(env)
        wait_for(lambda: send_status(message) == SendStatus.SENT, "the next worker to send the redelivered reply")

    assert message.send_attempts == 1  # the killed attempt left no trace
    assert sink.message_ids() == [message.message_id]


def test_a_broker_restarted_empty_under_a_running_worker_loses_no_reply(
    reply_to_customer, customer_email, agent, workers, redis_server
):
    with SmtpSink() as sink:
        env = process_env(redis_url=redis_server.url, email_url=sink.url)
        first = reply_to_customer("Ensimmäinen vastaus.")
        worker = workers(env)
        queue(env, f"reply_send_task.delay({first.pk})")
        wait_for(lambda: send_status(first) == SendStatus.SENT, "the worker to send the first reply")

        redis_server.stop()
        # An agent answers while the broker is down: the request succeeds quickly, the reply waits.
        created = django_run(env, REPLY_CREATE.format(contact=customer_email.pk, agent=agent.pk))
        pk, seconds = created.stdout.split()
        second = EmailMessage.objects.get(pk=pk)
        assert float(seconds) < 10  # the publish retry is short: the request does not hang
        assert f"reply_send_task for {second.pk} failed" in created.stderr and "maija@example.fi" not in created.stderr
        assert send_status(second) == SendStatus.PENDING and second.send_attempts == 0

        redis_server.start()  # the same port, empty: any task it held is gone
        queue(env, "replies_resend_unsent.delay()")  # as beat does every ten minutes
        wait_for(lambda: send_status(second) == SendStatus.SENT, "the worker to reconnect and send the reply")

    assert worker.poll() is None  # the same worker, reconnected rather than restarted
    assert second.send_attempts == 1
    assert sink.message_ids() == [first.message_id, second.message_id]
