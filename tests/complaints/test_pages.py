"""Staff pages: the queue, the complaint page, intake from a contact, disclosures, legal holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, ComplaintEvent, Disclosure, HoldScope, LegalHold
from contacts.services import contact_record
from core.models import AuditEvent
from tests.complaints.factories import make_complaint, make_contact, make_hold, make_task

pytestmark = pytest.mark.django_db
QUEUE = reverse("complaints:queue")


def _ids(answer) -> list[int]:  # type: ignore[no-untyped-def]
    import re

    return [int(i) for i in re.findall(r'class="complaint-row" data-id="(\d+)"', answer.content.decode())]


# -- the queue ---------------------------------------------------------------------------------


def test_queue_is_oldest_first_and_hides_finished_by_default(web_as, colleague, isannointi):
    now = timezone.now()
    new = make_complaint(isannointi, received_at=now)
    old = make_complaint(isannointi, received_at=now - dt.timedelta(days=20))
    make_complaint(isannointi, status="closed", closed_at=now)
    answer = web_as(colleague).get(QUEUE)
    assert answer.status_code == 200
    assert _ids(answer) == [old.pk, new.pk]
    assert AuditEvent.objects.filter(action="view", object_type="complaints.complaint").count() == 2


def test_queue_filters_status_kind_handler_age_and_controller(web_as, colleague, dpo, isannointi, retta_oy):
    now = timezone.now()
    feedback = make_complaint(isannointi, kind="feedback", received_at=now)
    mine = make_complaint(isannointi, handler=colleague, received_at=now - dt.timedelta(days=1))
    old = make_complaint(isannointi, received_at=now - dt.timedelta(days=40))
    closed = make_complaint(isannointi, status="closed", closed_at=now, received_at=now - dt.timedelta(days=2))
    at_oy = make_complaint(retta_oy, received_at=now - dt.timedelta(days=3))
    client = web_as(colleague)
    assert _ids(client.get(QUEUE, {"kind": "feedback"})) == [feedback.pk]
    assert _ids(client.get(QUEUE, {"handler": "me"})) == [mine.pk]
    assert _ids(client.get(QUEUE, {"handler": "none"})) == [old.pk, feedback.pk]
    assert _ids(client.get(QUEUE, {"age": "30"})) == [old.pk]
    assert _ids(client.get(QUEUE, {"status": ["closed"]})) == [closed.pk]
    assert at_oy.pk not in _ids(client.get(QUEUE))
    dpo_client = web_as(dpo)
    assert _ids(dpo_client.get(QUEUE, {"controller": "retta-oy"})) == [at_oy.pk]
    # bad filter input is ignored field by field, never a 500
    assert client.get(QUEUE, {"age": "abc", "status": ["nonsense"]}).status_code == 200


def test_queue_htmx_answers_the_table_partial(web_as, colleague, isannointi):
    make_complaint(isannointi)
    answer = web_as(colleague).get(QUEUE, HTTP_HX_REQUEST="true")
    assert b"<html" not in answer.content and b"complaint-row" in answer.content


def test_queue_empty_state_and_pagination(web_as, colleague, isannointi):
    assert b'class="empty"' in web_as(colleague).get(QUEUE).content
    for _ in range(51):
        make_complaint(isannointi)
    answer = web_as(colleague).get(QUEUE)
    assert len(_ids(answer)) == 50 and b'class="pagination"' in answer.content
    assert len(_ids(web_as(colleague).get(QUEUE, {"page": 2}))) == 1


def test_held_complaints_show_a_badge_in_the_queue(web_as, colleague, isannointi):
    held = make_complaint(isannointi, subject="Pidossa")
    make_complaint(isannointi, subject="Vapaa")
    make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=held, subject_emails=[])
    content = web_as(colleague).get(QUEUE).content.decode()
    assert content.count('class="badge held"') == 1
    row = content[content.index(f'data-id="{held.pk}"') :]
    assert row.index('class="badge held"') < row.index("</tr>")


def test_agents_cannot_see_the_queue_and_anonymous_users_log_in(client, web_as, agent, isannointi):
    answer = client.get(QUEUE)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    assert web_as(agent).get(QUEUE).status_code == 403


# -- the complaint page ------------------------------------------------------------------------


def test_complaint_page_shows_the_timeline(web_as, colleague, dpo, isannointi):
    contact = make_contact(isannointi, subject="Puhelu laskusta")
    complaint = make_complaint(isannointi)
    complaint.contacts.add(contact)
    ComplaintEvent.all_controllers.create(controller=isannointi, complaint=complaint, kind="note", text="Muistiinpano")
    Disclosure.all_controllers.create(
        controller=isannointi,
        recipient_type="insurer",
        recipient_name="Vakuutus Oy",
        legal_basis="x",
        description="y",
        complaint=complaint,
        disclosed_by=colleague,
    )
    make_hold(isannointi, scope=HoldScope.COMPLAINT, complaint=complaint, subject_emails=[], matter="Oikeusjuttu")
    content = web_as(colleague).get(reverse("complaints:complaint_detail", args=[complaint.pk])).content.decode()
    for text in ("Puhelu laskusta", "Muistiinpano", "Vakuutus Oy", "Oikeusjuttu", 'class="badge held"'):
        assert text in content, text
    assert AuditEvent.objects.filter(action="view", object_id=str(complaint.pk)).exists()


def test_handler_takes_a_complaint_from_received_to_closed(web_as, colleague, isannointi):
    complaint = make_complaint(isannointi)
    client = web_as(colleague)
    pk = complaint.pk
    client.post(reverse("complaints:complaint_assign_to_me", args=[pk]))
    client.post(reverse("complaints:complaint_transition", args=[pk]), {"to": "in_handling", "note": "Aloitettu"})
    client.post(reverse("complaints:complaint_note", args=[pk]), {"text": "Soitettu"})
    client.post(reverse("complaints:complaint_resolution", args=[pk]), {"resolution": "Hyvitetty"})
    client.post(reverse("complaints:complaint_transition", args=[pk]), {"to": "resolved"})
    answer = client.post(reverse("complaints:complaint_transition", args=[pk]), {"to": "closed"})
    assert answer.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.status, complaint.handler, complaint.resolution) == ("closed", colleague, "Hyvitetty")
    assert complaint.events.filter(kind="note", text="Soitettu").exists()


def test_an_illegal_transition_on_the_page_is_refused_clearly(web_as, colleague, isannointi):
    complaint = make_complaint(isannointi)
    answer = web_as(colleague).post(reverse("complaints:complaint_transition", args=[complaint.pk]), {"to": "closed"})
    assert answer.status_code == 400  # not among the choices offered
    complaint.refresh_from_db()
    assert complaint.status == "received"
    answer = web_as(colleague).post(
        reverse("complaints:complaint_transition", args=[complaint.pk]), {"to": "in_handling"}, follow=True
    )
    assert answer.status_code == 200


def test_resolving_without_a_resolution_shows_a_message(web_as, colleague, isannointi):
    complaint = make_complaint(isannointi, status="in_handling")
    answer = web_as(colleague).post(
        reverse("complaints:complaint_transition", args=[complaint.pk]), {"to": "resolved"}, follow=True
    )
    assert b'class="message error"' in answer.content
    complaint.refresh_from_db()
    assert complaint.status == "in_handling"


def test_note_by_htmx_answers_the_timeline(web_as, colleague, isannointi):
    complaint = make_complaint(isannointi)
    answer = web_as(colleague).post(
        reverse("complaints:complaint_note", args=[complaint.pk]), {"text": "Uusi huomio"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and b"Uusi huomio" in answer.content and b"<html" not in answer.content
    assert (
        web_as(colleague).post(reverse("complaints:complaint_note", args=[complaint.pk]), {"text": ""}).status_code
        == 400
    )


def test_complaint_pages_of_the_other_controller_are_404(web_as, other_handler, isannointi):
    complaint = make_complaint(isannointi)
    client = web_as(other_handler)
    assert client.get(reverse("complaints:complaint_detail", args=[complaint.pk])).status_code == 404
    assert client.post(reverse("complaints:complaint_assign_to_me", args=[complaint.pk])).status_code == 404
    assert (
        client.post(reverse("complaints:complaint_transition", args=[complaint.pk]), {"to": "in_handling"}).status_code
        == 404
    )
    complaint.refresh_from_db()
    assert complaint.handler is None and complaint.status == "received"


def test_agents_cannot_open_or_change_a_complaint(web_as, agent, isannointi):
    complaint = make_complaint(isannointi)
    client = web_as(agent)
    assert client.get(reverse("complaints:complaint_detail", args=[complaint.pk])).status_code == 403
    assert (
        client.post(reverse("complaints:complaint_transition", args=[complaint.pk]), {"to": "in_handling"}).status_code
        == 403
    )


# -- intake ------------------------------------------------------------------------------------


def test_agent_turns_a_contact_into_a_complaint(web_as, agent, isannointi):
    task = make_task(isannointi)
    contact = contact_record(
        controller=isannointi, channel="call", occurred_at=timezone.now(), name="Maija", phone="0401234567", task=task
    )
    url = reverse("complaints:complaint_from_contact", args=[contact.pk])
    client = web_as(agent)
    assert client.get(url).status_code == 200
    assert client.post(url, {"kind": "complaint", "subject": ""}).status_code == 400
    answer = client.post(url, {"kind": "complaint", "subject": "Huono palvelu", "description": "Odotti tunnin"})
    assert answer.status_code == 302
    complaint = Complaint.all_controllers.get()
    assert complaint.complainant == contact.customer and list(complaint.contacts.all()) == [contact]
    assert list(complaint.tasks.all()) == [task] and complaint.created_by == agent


def test_intake_of_the_other_controllers_contact_is_404(web_as, outsider, isannointi):
    contact = make_contact(isannointi)
    url = reverse("complaints:complaint_from_contact", args=[contact.pk])
    assert web_as(outsider).get(url).status_code == 404
    assert web_as(outsider).post(url, {"kind": "complaint", "subject": "x"}).status_code == 404
    assert not Complaint.all_controllers.exists()


def test_complaint_created_directly(web_as, agent, colleague, isannointi):
    url = reverse("complaints:complaint_create")
    given = {"controller": isannointi.pk, "channel": "email"}
    assert web_as(agent).post(url, {**given, "kind": "feedback", "subject": ""}).status_code == 400
    answer = web_as(agent).post(url, {**given, "kind": "feedback", "subject": "Kiitos"})
    assert answer.status_code == 302 and answer["Location"] == reverse("core:home")
    answer = web_as(colleague).post(url, {**given, "kind": "complaint", "subject": "Valitus"})
    complaint = Complaint.all_controllers.get(subject="Valitus")
    assert answer["Location"] == reverse("complaints:complaint_detail", args=[complaint.pk])


# -- disclosures -------------------------------------------------------------------------------


def test_disclosure_form_and_log(web_as, agent, colleague, isannointi, retta_oy):
    complaint = make_complaint(isannointi)
    contact = make_contact(isannointi)
    foreign = make_contact(retta_oy)
    url = reverse("complaints:disclosure_create")
    data = {
        "controller": isannointi.pk,
        "recipient_type": "legal_counsel",
        "recipient_name": "Asianajotoimisto Oy",
        "legal_basis": "Oikeudellisen vaateen puolustaminen",
        "description": "Puhelun tallenne",
        "complaint": complaint.pk,
        "contacts": f"{contact.pk}",
    }
    client = web_as(agent)
    assert client.post(url, {**data, "contacts": f"{foreign.pk}"}).status_code == 400
    assert client.post(url, {**data, "contacts": "a,b"}).status_code == 400
    assert client.post(url, {**data, "recipient_name": ""}).status_code == 400
    assert not Disclosure.all_controllers.exists()
    assert client.post(url, data).status_code == 302
    disclosure = Disclosure.all_controllers.get()
    assert list(disclosure.contacts.all()) == [contact] and disclosure.disclosed_by == agent
    assert AuditEvent.objects.filter(action="disclose", object_id=str(disclosure.pk)).exists()
    log = web_as(colleague).get(reverse("complaints:disclosure_list"))
    assert b"Asianajotoimisto Oy" in log.content
    assert web_as(agent).get(reverse("complaints:disclosure_list")).status_code == 403


def test_disclosure_log_empty_state(web_as, colleague):
    assert b'class="empty"' in web_as(colleague).get(reverse("complaints:disclosure_list")).content


# -- legal holds -------------------------------------------------------------------------------


def test_handlers_and_agents_cannot_see_the_dpo_pages(web_as, colleague, agent, isannointi):
    hold = make_hold(isannointi)
    for user in (colleague, agent):
        client = web_as(user)
        for url in (
            reverse("complaints:hold_list"),
            reverse("complaints:hold_place"),
            reverse("complaints:hold_detail", args=[hold.pk]),
        ):
            assert client.get(url).status_code == 403, url
        for method in (client.get, client.post):
            answer = method(reverse("complaints:hold_release", args=[hold.pk]), {"reason": "x", "confirm": "on"})
            assert answer.status_code == 403
        assert client.post(reverse("complaints:hold_place"), {"matter": "x"}).status_code == 403
    hold.refresh_from_db()
    assert hold.is_active


@pytest.mark.parametrize("scope", ["complaint", "task", "contacts", "subject"])
def test_dpo_places_and_releases_a_hold_of_each_scope_kind(web_as, dpo, isannointi, scope):
    complaint = make_complaint(isannointi)
    task = make_task(isannointi)
    contact = make_contact(isannointi)
    scope_fields = {
        "complaint": {"complaint": complaint.pk},
        "task": {"task": task.pk},
        "contacts": {"contacts": f"{contact.pk}"},
        "subject": {"emails": "Maija@Example.fi", "phones": "040 123 4567"},
    }[scope]
    client = web_as(dpo)
    answer = client.post(
        reverse("complaints:hold_place"),
        {"controller": isannointi.pk, "matter": "Kanne", "reason": "Käräjäoikeus", "scope": scope, **scope_fields},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    hold = LegalHold.all_controllers.get()
    assert hold.scope == scope and hold.placed_by == dpo
    assert client.get(reverse("complaints:hold_list")).status_code == 200
    assert client.get(reverse("complaints:hold_detail", args=[hold.pk])).status_code == 200
    release = reverse("complaints:hold_release", args=[hold.pk])
    assert client.get(release).status_code == 200
    assert client.post(release, {"reason": "", "confirm": "on"}).status_code == 400
    assert client.post(release, {"reason": "Sovittu"}).status_code == 400  # not confirmed
    hold.refresh_from_db()
    assert hold.is_active
    assert client.post(release, {"reason": "Sovittu", "confirm": "on"}).status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == dpo and hold.release_reason == "Sovittu"
    again = client.post(release, {"reason": "Uudestaan", "confirm": "on"}, follow=True)
    assert b'class="message error"' in again.content


def test_hold_form_refuses_a_scope_object_of_the_other_controller(web_as, dpo, isannointi, retta_oy):
    foreign = make_complaint(retta_oy)
    answer = web_as(dpo).post(
        reverse("complaints:hold_place"),
        {"controller": isannointi.pk, "matter": "M", "reason": "R", "scope": "complaint", "complaint": foreign.pk},
    )
    assert answer.status_code == 400
    answer = web_as(dpo).post(
        reverse("complaints:hold_place"),
        {"controller": isannointi.pk, "matter": "M", "reason": "", "scope": "subject", "emails": "a@example.fi"},
    )
    assert answer.status_code == 400
    assert not LegalHold.all_controllers.exists()


def test_hold_pages_of_the_other_controller_are_404(web_as, retta_oy, isannointi):
    from core.roles import Role
    from tests.factories import make_user

    hold = make_hold(isannointi)
    client = web_as(make_user("dpo-oy", Role.DPO, [retta_oy]))
    assert client.get(reverse("complaints:hold_detail", args=[hold.pk])).status_code == 404
    assert client.get(reverse("complaints:hold_release", args=[hold.pk])).status_code == 404
    answer = client.post(reverse("complaints:hold_release", args=[hold.pk]), {"reason": "x", "confirm": "on"})
    assert answer.status_code == 404
    hold.refresh_from_db()
    assert hold.is_active


def test_hold_list_empty_state(web_as, dpo):
    assert b'class="empty"' in web_as(dpo).get(reverse("complaints:hold_list")).content
