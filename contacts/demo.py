"""Demo data of the contacts app: customers, calls, chats and emails (one of them hostile HTML,
to show it rendered inert) and tasks, for both controllers. Called by `manage.py seed_demo`.

Safe to run twice: a controller that already has the demo chat is left as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from contacts.models import Channel, ChatMessage, Contact, Direction, EmailMessage
from contacts.services import contact_record
from contacts.tickets import task_close, task_create
from core.models import Controller

HOSTILE_HTML = """<html><head><script>alert('demo')</script></head>
<body onload="alert('onload')"><p onclick="alert('click')">Hei,</p>
<p>tässä kuva vesivahingosta. <a href="javascript:alert('link')">Avaa kuva</a></p>
<img src="https://tracker.example.com/open.gif" width="1" height="1" onerror="alert('img')">
<p>Terveisin<br>Eero Mäkinen</p></body></html>"""

# (name, email, phone) as customers give them, in Finnish and Swedish formats.
CUSTOMERS = {
    "retta-isannointi": [
        ("Maija Virtanen", "maija.virtanen@example.fi", "040 123 4567"),
        ("Eero Mäkinen", "eero.makinen@example.fi", "+358 50 765 4321"),
        ("Anna-Liisa Korhonen", "", "09 1234 5678"),
        ("Åsa Lindqvist", "asa.lindqvist@example.se", "+46 70 123 45 67"),
    ],
    "retta-oy": [
        ("Pekka Nieminen", "pekka.nieminen@example.fi", "00358 44 555 1234"),
        ("Ulla Björkman", "ulla.bjorkman@example.fi", "045 678 9012"),
        ("Juha Heikkinen", "juha.heikkinen@example.fi", ""),
    ],
}


def _demo_chat_id(controller: Controller) -> str:
    return f"demo-{controller.slug}-1"


def seed(*, users: dict[str, Any], stdout: Any) -> None:
    now = timezone.now()
    agent = users.get("agentti")
    for slug, people in CUSTOMERS.items():
        controller = Controller.objects.get(slug=slug)
        if Contact.all_controllers.filter(controller=controller, chat_session_id=_demo_chat_id(controller)).exists():
            stdout.write(f"contacts: demo data of {slug} exists, left as it is")
            continue
        with transaction.atomic():
            count = _seed_controller(controller=controller, people=people, agent=agent, now=now)
        stdout.write(f"contacts: {count} demo contacts for {slug}")


def _seed_controller(
    *, controller: Controller, people: list[tuple[str, str, str]], agent: Any, now: dt.datetime
) -> int:
    contacts = []
    first_name, _first_email, first_phone = people[0]
    leak = task_create(controller=controller, title="Vuotava hana keittiössä", assignee=agent)
    contacts.append(
        contact_record(
            controller=controller,
            channel=Channel.CALL,
            occurred_at=now - dt.timedelta(days=2, hours=3),
            name=first_name,
            phone=first_phone,
            subject="Vuotava hana",
            body="Asukas ilmoitti vuotavasta keittiön hanasta. Huoltomies sovittu torstaille.",
            agent=agent,
            task=leak,
        )
    )
    contacts.append(
        contact_record(
            controller=controller,
            channel=Channel.CALL,
            direction=Direction.OUTBOUND,
            occurred_at=now - dt.timedelta(days=1),
            name=first_name,
            phone=first_phone,
            subject="Soitto takaisin: huoltoaika",
            body="Vahvistettu huoltoaika torstaina klo 9–11.",
            agent=agent,
            task=leak,
        )
    )
    for index, (name, email, phone) in enumerate(people[1:], start=1):
        occurred = now - dt.timedelta(days=index * 3, hours=index)
        if email:
            contacts.append(_email(controller, name, email, phone, occurred, index))
        else:
            contacts.append(
                contact_record(
                    controller=controller,
                    channel=Channel.CALL,
                    occurred_at=occurred,
                    name=name,
                    phone=phone,
                    subject="Saunavuoro",
                    body="Kysyi vapaista saunavuoroista.",
                    agent=agent,
                )
            )
    chat = contact_record(
        controller=controller,
        channel=Channel.CHAT,
        occurred_at=now - dt.timedelta(hours=5),
        name=people[-1][0],
        email=people[-1][1],
        subject="Chat retta.fi",
        chat_session_id=_demo_chat_id(controller),
    )
    lines = [
        ("visitor", "Hei! Milloin porraskäytävät siivotaan?"),
        ("agent", "Hei, siivous on joka toinen keskiviikko. Seuraava kerta on ensi viikolla."),
        ("visitor", "Kiitos tiedosta!"),
    ]
    for position, (author, text) in enumerate(lines):
        ChatMessage.all_controllers.create(
            controller=controller,
            contact=chat,
            position=position,
            at=chat.occurred_at + dt.timedelta(minutes=position),
            author=author,
            text=text,
        )
    contacts.append(chat)
    done = task_create(controller=controller, title="Avainten tilaus", assignee=agent)
    task_close(task=done)
    return len(contacts)


def _email(controller: Controller, name: str, email: str, phone: str, occurred: dt.datetime, index: int) -> Contact:
    hostile = index == 1
    subject = "Vesivahinko kylpyhuoneessa" if hostile else "Vuokranmaksu / Hyresbetalning"
    text = "Hei,\n\ntässä kuva vesivahingosta.\n\nTerveisin\n" + name
    html = (
        HOSTILE_HTML if hostile else f"<p>Hej,</p><p>jag undrar över hyran för december.</p><p>Hälsningar<br>{name}</p>"
    )
    contact = contact_record(
        controller=controller,
        channel=Channel.EMAIL,
        occurred_at=occurred,
        name=name,
        email=email,
        phone=phone,
        subject=subject,
        body=text,
    )
    message_id = f"<demo-{controller.slug}-{index}@example.fi>"
    raw = (
        f"Message-ID: {message_id}\r\nFrom: {name} <{email}>\r\nTo: asiakaspalvelu@retta.fi\r\n"
        f"Subject: {subject}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}"
    ).encode()
    EmailMessage.all_controllers.create(
        controller=controller,
        contact=contact,
        message_id=message_id,
        from_header=f"{name} <{email}>",
        to_header="asiakaspalvelu@retta.fi",
        raw=ContentFile(raw, name="demo.eml"),
        size_bytes=len(raw),
        text_body=text,
        html_body=html,
    )
    return contact
