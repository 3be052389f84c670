"""The agent UI: contact list and search, contact page, call logging, customer page, tasks."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contacts.models import Contact, Customer, EmailAttachment, EmailMessage, Task, TaskStatus
from contacts.services import contact_record
from core.models import AuditEvent
from tests.factories import make_complaint, make_contact, make_customer, make_task

pytestmark = pytest.mark.django_db

HOSTILE_HTML = """<html><head><script>window.pwned = 1</script><style>p {color: red}</style></head>
<body onload="alert('body')"><p onclick="alert('p')" style="color:red">Hei, <b>vuoto</b> kylpyhuoneessa.</p>
<a href="javascript:alert('link')">klikkaa</a> <a href="https://www.retta.fi/">Retta</a>
<img src="https://tracker.example/pixel.gif" onerror="alert('img')">
<svg onload="alert('svg')"></svg><iframe src="https://evil.example/"></iframe></body></html>"""


def _email_contact(controller, html=HOSTILE_HTML, text="Hei, vuoto kylpyhuoneessa."):  # type: ignore[no-untyped-def]
    contact = contact_record(
        controller=controller,
        channel="email",
        occurred_at=timezone.now(),
        email="liisa@example.fi",
        name="Liisa Laine",
        subject="Vesivahinko",
    )
    message = EmailMessage.all_controllers.create(
        controller=controller, contact=contact, html_body=html, text_body=text, raw=ContentFile(b"raw", name="m.eml")
    )
    EmailAttachment.all_controllers.create(
        controller=controller,
        email=message,
        filename="kuva.jpg",
        content_type="image/jpeg",
        size_bytes=4,
        file=ContentFile(b"\xff\xd8\xff\xe0", name="kuva.jpg"),
    )
    return contact


# -- contact list --------------------------------------------------------------------------------
def test_the_contact_list_searches_and_filters_and_audits_what_it_shows(web_as, agent, isannointi, retta_oy):
    wanted = contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), name="Åsa Lindqvist")
    contact_record(controller=isannointi, channel="email", occurred_at=timezone.now(), name="Pekka Puupää")
    make_contact(retta_oy, name="Åsa Lindqvist")
    client = web_as(agent)
    page = client.get("/contacts/", {"q": "lindq", "channel": "call"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Åsa Lindqvist" in html and "Pekka" not in html
    assert list(page.context["page"].rows) == [wanted]
    assert AuditEvent.objects.filter(action="search", object_id=str(wanted.pk)).count() == 1


def test_the_contact_list_has_empty_states_and_rejects_a_short_search(web_as, agent, isannointi):
    client = web_as(agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "No contacts yet" in client.get("/contacts/").content.decode()
    answer = client.get("/contacts/", {"q": "ab"})
    assert answer.status_code == 200 and "No contacts match" in answer.content.decode()
    assert client.get("/contacts/", {"page": "x", "occurred_after": "nonsense"}).status_code == 200


def test_the_contact_list_pages_without_counting(web_as, agent, isannointi):
    for _ in range(51):
        make_contact(isannointi)
    client = web_as(agent)
    first = client.get("/contacts/")
    assert len(first.context["page"].rows) == 50 and first.context["page"].has_next
    second = client.get("/contacts/", {"page": 2})
    assert len(second.context["page"].rows) == 1 and not second.context["page"].has_next


def test_restricted_contacts_are_left_out_for_agents_and_shown_to_the_dpo(web_as, agent, dpo, isannointi):
    contact = make_contact(isannointi, restricted=True, name="Salainen Henkilö")
    client = web_as(agent)
    listing = client.get("/contacts/").content.decode()
    assert "Salainen" not in listing and f"/contacts/{contact.pk}/" not in listing
    assert client.get(f"/contacts/{contact.pk}/").status_code == 404
    client.logout()
    detail = web_as(dpo).get(f"/contacts/{contact.pk}/").content.decode()
    assert "Salainen" in detail and "restricted-notice" in detail


def test_a_held_badge_shows_when_the_legal_hold_reason_holds_the_row(web_as, agent, isannointi, monkeypatch):
    from django.db.models import Q

    from core.personal_data import KeepReason, registry

    held = make_contact(isannointi)
    free = make_contact(isannointi)
    reason = KeepReason(code="legal_hold", label="hold", q=lambda declaration, now: Q(pk=held.pk))
    # Stands in for the legal-hold reason the complaints app registers (contacts must not import it).
    others = [existing for existing in registry._keep_reasons if existing.code != "legal_hold"]
    monkeypatch.setattr(registry, "_keep_reasons", [*others, reason])
    page = web_as(agent).get("/contacts/")
    assert page.context["held"] == {held.pk}
    assert free.pk not in page.context["held"]


# -- contact page --------------------------------------------------------------------------------
def test_an_email_is_shown_sanitised_with_external_images_blocked(web_as, agent, isannointi):
    contact = _email_contact(isannointi)
    page = web_as(agent).get(f"/contacts/{contact.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    start = body.index('class="email-body')
    shown = body[start : body.index("</div>", start)]
    assert "<b>vuoto</b>" in shown and 'href="https://www.retta.fi/"' in shown
    for hostile in ("<script", "onload", "onclick", "onerror", "javascript:", "tracker.example", "<iframe", "style="):
        assert hostile not in shown.lower(), hostile
    assert page.context["rendered"].blocked_images == 1
    assert "kuva.jpg" in body
    assert AuditEvent.objects.filter(action="view", object_type="contacts.contact", object_id=str(contact.pk)).exists()


def test_an_email_without_html_shows_its_plain_text_escaped(web_as, agent, isannointi):
    contact = _email_contact(isannointi, html="", text="<script>alert(1)</script>\nRivi kaksi")
    body = web_as(agent).get(f"/contacts/{contact.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body


def test_a_call_with_a_recording_has_a_player_and_a_chat_its_transcript(web_as, agent, isannointi):
    from contacts.models import CallRecording, ChatMessage

    call = make_contact(isannointi)
    CallRecording.all_controllers.create(
        controller=isannointi, contact=call, file=ContentFile(b"RIFF", name="r.wav"), content_type="audio/wav"
    )
    chat = make_contact(isannointi, channel="chat")
    ChatMessage.all_controllers.create(
        controller=isannointi, contact=chat, position=0, at=timezone.now(), author="visitor", text="Hei, onko ketään?"
    )
    client = web_as(agent)
    assert (
        f'<audio controls preload="none" src="/api/v1/contacts/{call.pk}/recording">'
        in client.get(f"/contacts/{call.pk}/").content.decode()
    )
    assert "Hei, onko ketään?" in client.get(f"/contacts/{chat.pk}/").content.decode()


def test_an_attachment_downloads_with_an_audit_event_and_not_across_controllers(web_as, agent, outsider, isannointi):
    contact = _email_contact(isannointi)
    attachment = EmailAttachment.all_controllers.get(email__contact=contact)
    answer = web_as(agent).get(f"/contacts/attachments/{attachment.pk}/")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"\xff\xd8\xff\xe0"
    assert "attachment" in answer["Content-Disposition"]
    assert AuditEvent.objects.filter(action="download", object_id=str(attachment.pk)).exists()
    assert web_as(outsider).get(f"/contacts/attachments/{attachment.pk}/").status_code == 404


def test_pages_are_404_at_the_other_controller(web_as, outsider, isannointi):
    contact = make_contact(isannointi)
    customer = make_customer(isannointi)
    task = make_task(isannointi)
    client = web_as(outsider)
    assert client.get(f"/contacts/{contact.pk}/").status_code == 404
    assert client.get(f"/contacts/customers/{customer.pk}/").status_code == 404
    assert client.get(f"/contacts/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/contacts/tasks/{task.pk}/close/").status_code == 404
    assert client.post(f"/contacts/customers/{customer.pk}/merge/", {"duplicate": customer.pk}).status_code == 404


def test_anonymous_users_are_sent_to_log_in_and_wrong_roles_get_403(client, web_as, colleague, admin_user, isannointi):
    task = make_task(isannointi)
    for url in ("/contacts/", "/contacts/tasks/", "/contacts/calls/new/"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    assert web_as(colleague).get("/contacts/").status_code == 200
    assert web_as(colleague).get("/contacts/calls/new/").status_code == 403
    assert web_as(colleague).post(f"/contacts/tasks/{task.pk}/close/").status_code == 403
    assert web_as(admin_user).get("/contacts/").status_code == 403


# -- logging a call ------------------------------------------------------------------------------
def test_an_agent_logs_a_call_and_lands_on_the_customer_page(web_as, agent, isannointi):
    existing = contact_record(
        controller=isannointi, channel="call", occurred_at=timezone.now(), phone="+358401234567", name="Maija"
    )
    client = web_as(agent)
    assert client.get("/contacts/calls/new/").status_code == 200
    lookup = client.get("/contacts/customers/lookup/", {"phone": "040 123 4567"})
    assert "Maija" in lookup.content.decode()
    answer = client.post(
        "/contacts/calls/new/",
        {"controller": isannointi.pk, "phone": "040 123 4567", "direction": "inbound", "subject": "Avain hukassa"},
    )
    assert answer.status_code == 302 and answer["Location"] == f"/contacts/customers/{existing.customer_id}/"
    call = Contact.all_controllers.latest("id")
    assert call.agent == agent and call.customer_id == existing.customer_id and call.channel == "call"
    assert "Avain hukassa" in client.get(answer["Location"]).content.decode()


def test_a_bad_phone_number_is_shown_and_nothing_is_saved(web_as, agent, retta_oy, isannointi):
    client = web_as(agent)
    answer = client.post("/contacts/calls/new/", {"controller": isannointi.pk, "phone": "abc", "direction": "inbound"})
    assert answer.status_code == 400 and answer.context["form"].errors["phone"]
    answer = client.post(
        "/contacts/calls/new/", {"controller": retta_oy.pk, "phone": "0401234567", "direction": "inbound"}
    )
    assert answer.status_code == 400 and answer.context["form"].errors["controller"]
    assert not Contact.all_controllers.exists()


def test_the_lookup_finds_nothing_at_the_other_controller(web_as, outsider, isannointi):
    contact_record(controller=isannointi, channel="call", occurred_at=timezone.now(), phone="0401234567", name="Maija")
    answer = web_as(outsider).get("/contacts/customers/lookup/", {"phone": "0401234567"})
    assert answer.status_code == 200 and "Maija" not in answer.content.decode()


# -- customer page -------------------------------------------------------------------------------
def test_the_customer_page_shows_contacts_tasks_and_complaints(web_as, agent, isannointi):
    contact = contact_record(
        controller=isannointi, channel="call", occurred_at=timezone.now(), phone="0401234567", subject="Lämmitys"
    )
    make_task(isannointi, customer=contact.customer, title="Patterit kylmät")
    make_complaint(isannointi, complainant=contact.customer, subject="Laskutusvirhe")
    page = web_as(agent).get(f"/contacts/customers/{contact.customer_id}/")
    html = page.content.decode()
    assert "Lämmitys" in html and "Patterit kylmät" in html and "Laskutusvirhe" in html
    assert AuditEvent.objects.filter(action="view", object_type="contacts.customer").exists()


@pytest.mark.parametrize("count", [1, 30])
def test_the_customer_page_runs_constant_queries(web_as, agent, isannointi, count, django_assert_max_num_queries):
    customer = make_customer(isannointi)
    for _ in range(count):
        task = make_task(isannointi, customer=customer)
        make_contact(isannointi, customer=customer, task=task)
        make_complaint(isannointi, complainant=customer)
    client = web_as(agent)
    with django_assert_max_num_queries(16):
        assert client.get(f"/contacts/customers/{customer.pk}/").status_code == 200


@pytest.mark.parametrize("count", [1, 50])
def test_the_contact_list_page_runs_constant_queries(web_as, agent, isannointi, count, django_assert_max_num_queries):
    task = make_task(isannointi)
    for _ in range(count):
        make_contact(isannointi, task=task)
    client = web_as(agent)
    with django_assert_max_num_queries(12):
        assert client.get("/contacts/").status_code == 200


def test_an_agent_merges_and_relinks_on_the_pages(web_as, agent, isannointi, retta_oy):
    kept = make_customer(isannointi)
    dup = make_customer(isannointi)
    contact = make_contact(isannointi, customer=dup)
    client = web_as(agent)
    answer = client.post(f"/contacts/customers/{kept.pk}/merge/", {"duplicate": dup.pk, "confirm": "on"})
    assert answer.status_code == 302
    contact.refresh_from_db()
    assert contact.customer_id == kept.pk and not Customer.all_controllers.filter(pk=dup.pk).exists()
    foreign = make_customer(retta_oy)
    client.post(f"/contacts/customers/{kept.pk}/merge/", {"duplicate": foreign.pk, "confirm": "on"})
    assert Customer.all_controllers.filter(pk=foreign.pk).exists()
    other = make_customer(isannointi)
    assert client.post(f"/contacts/{contact.pk}/relink/", {"customer": other.pk}).status_code == 302
    contact.refresh_from_db()
    assert contact.customer_id == other.pk
    client.post(f"/contacts/{contact.pk}/relink/", {"customer": foreign.pk})
    contact.refresh_from_db()
    assert contact.customer_id == other.pk


# -- tasks ---------------------------------------------------------------------------------------
def test_my_open_tasks_all_open_tasks_and_closed_tasks(web_as, agent, isannointi):
    mine = make_task(isannointi, assignee=agent, title="Minun")
    make_task(isannointi, title="Kenenkään")
    client = web_as(agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert [t.pk for t in client.get("/contacts/tasks/").context["page"].rows] == [mine.pk]
    assert len(client.get("/contacts/tasks/", {"show": "open"}).context["page"].rows) == 2
    assert "No closed tasks" in client.get("/contacts/tasks/", {"show": "closed"}).content.decode()
    assert client.get("/contacts/tasks/", {"show": "bogus"}).status_code == 200


def test_an_agent_assigns_closes_and_reopens_a_task(web_as, agent, outsider, isannointi):
    task = make_task(isannointi)
    client = web_as(agent)
    assert client.get(f"/contacts/tasks/{task.pk}/").status_code == 200
    assert client.post(f"/contacts/tasks/{task.pk}/assign/", {"assignee": agent.pk}).status_code == 302
    assert client.post(f"/contacts/tasks/{task.pk}/assign/", {"assignee": outsider.pk}).status_code == 302
    task.refresh_from_db()
    assert task.assignee == agent
    client.post(f"/contacts/tasks/{task.pk}/close/")
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    answer = client.post(f"/contacts/tasks/{task.pk}/close/", follow=True)
    assert answer.status_code == 200
    client.post(f"/contacts/tasks/{task.pk}/reopen/")
    assert Task.all_controllers.get(pk=task.pk).status == TaskStatus.OPEN
    assert client.get(f"/contacts/tasks/{task.pk}/close/").status_code == 405


def test_the_contact_page_leads_to_complaint_intake_and_the_dpo_to_a_privacy_request(web_as, agent, dpo, isannointi):
    from django.urls import reverse

    contact = make_contact(isannointi)
    intake = reverse("complaints:complaint_from_contact", args=[contact.pk])
    request_link = f"{reverse('privacy:request_new')}?controller=retta-isannointi&amp;from_contact={contact.pk}"
    as_agent = web_as(agent).get(f"/contacts/{contact.pk}/").content.decode()
    assert intake in as_agent and request_link not in as_agent
    as_dpo = web_as(dpo).get(f"/contacts/{contact.pk}/").content.decode()
    assert request_link in as_dpo
