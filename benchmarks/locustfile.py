"""Load scenario: agents log calls and browse lists while inbound email arrives.

Driven by benchmarks/load.py, which prepares the database, starts gunicorn and passes the API
tokens in the environment (LOAD_AGENT_TOKEN, LOAD_INTEGRATION_TOKEN, LOAD_CONTROLLER).
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from email.message import EmailMessage

from locust import HttpUser, between, task

AGENT_TOKEN = os.environ.get("LOAD_AGENT_TOKEN", "")
INTEGRATION_TOKEN = os.environ.get("LOAD_INTEGRATION_TOKEN", "")
CONTROLLER = os.environ.get("LOAD_CONTROLLER", "retta-isannointi")
_numbers = itertools.count(1)


def _phone() -> str:
    return f"+35840{random.randint(1000000, 9999999)}"


class Agent(HttpUser):
    """An agent: logs calls, looks people up and pages through the contact list."""

    weight = 4
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Token {AGENT_TOKEN}"

    @task(3)
    def log_call(self) -> None:
        self.client.post(
            "/api/v1/contacts/",
            json={
                "controller": CONTROLLER,
                "channel": "call",
                "direction": "inbound",
                "occurred_at": "2026-11-25T10:00:00+02:00",
                "phone": _phone(),
                "name": f"Load Caller {next(_numbers)}",
                "subject": "Vuokranmaksu",
                "body": "Asiakas kysyi vuokranmaksusta.",
            },
            name="POST /api/v1/contacts/",
        )

    @task(5)
    def browse_list(self) -> None:
        self.client.get("/api/v1/contacts/", name="GET /api/v1/contacts/")

    @task(2)
    def search_by_phone(self) -> None:
        self.client.get("/api/v1/contacts/", params={"phone": _phone()}, name="GET /api/v1/contacts/?phone=")

    @task(2)
    def search_by_name(self) -> None:
        self.client.get("/api/v1/contacts/", params={"q": "Load"}, name="GET /api/v1/contacts/?q=")


class Mailer(HttpUser):
    """The mail gateway posting inbound email for the integration role."""

    weight = 1
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Token {INTEGRATION_TOKEN}"

    @task
    def inbound_email(self) -> None:
        message = EmailMessage()
        message["From"] = f"Asiakas {random.randint(1, 99999)} <asiakas{random.randint(1, 99999)}@example.fi>"
        message["To"] = "asiakaspalvelu@retta.fi"
        message["Subject"] = "Kysymys laskusta"
        message["Message-ID"] = f"<{uuid.uuid4()}@load.example.fi>"
        message.set_content("Hei, minulla on kysymys laskusta.\n" * 20)
        self.client.post(
            f"/api/v1/inbound/email?controller={CONTROLLER}",
            data=message.as_bytes(),
            headers={"Content-Type": "message/rfc822"},
            name="POST /api/v1/inbound/email",
        )
