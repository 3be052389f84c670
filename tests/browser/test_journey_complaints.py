"""A handler takes a complaint from received to closed, and from intake with a new complainant to
closed; the DPO places a subject hold and releases it after seeing what it keeps."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.otp import otp_device_provision
from complaints.holds import is_held
from complaints.models import Complaint, LegalHold
from contacts.services import contact_record
from tests.complaints.factories import make_complaint
from tests.factories import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _change_status(page, to: str, note: str = "") -> None:  # type: ignore[no-untyped-def]
    page.select_option("#transition-form select[name=to]", to)
    if note:
        page.fill("#transition-form textarea[name=note]", note)
    page.click("#transition-form button[type=submit]")
    page.wait_for_load_state("load")


def test_handler_takes_a_complaint_from_received_to_closed(login, colleague, isannointi, live_server):
    complaint = make_complaint(isannointi, subject="Vastikelasku kahdesti")
    page = login("colleague")
    page.click("nav.mainnav a[href='/complaints/']")
    page.click(f"tr[data-id='{complaint.pk}'] >> text=Vastikelasku kahdesti")
    page.click("#assign-to-me")
    page.wait_for_selector("#complaint-handler:has-text('colleague')")
    _change_status(page, "in_handling", "Otettu käsittelyyn")
    page.fill("#note-form textarea[name=text]", "Soitettu asiakkaalle, lasku tarkistetaan")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#timeline >> text=Soitettu asiakkaalle")
    page.fill("#resolution-form textarea[name=resolution]", "Ylimääräinen lasku hyvitetty")
    page.click("#resolution-form button[type=submit]")
    page.wait_for_load_state("load")
    _change_status(page, "resolved")
    _change_status(page, "closed", "Asiakas tyytyväinen")
    assert page.inner_text("#complaint-status") == "Suljettu"
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.handler == colleague
    assert complaint.resolution == "Ylimääräinen lasku hyvitetty"
    assert Complaint.all_controllers.get(pk=complaint.pk).closed_at is not None


def test_dpo_places_and_releases_a_subject_hold(page, dpo, isannointi, live_server):
    otp_device_provision(user=dpo)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dpo")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/two-factor/verify/**")
    page.fill("#id_code", totp_code(dpo))
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav.mainnav a[href='/complaints/legal-holds/']")
    page.click("a[href='/complaints/legal-holds/new/']")
    page.select_option("#id_controller", str(isannointi.pk))
    page.fill("#id_matter", "Vahingonkorvausvaatimus")
    page.fill("#id_reason", "Asiakas on ilmoittanut nostavansa kanteen")
    page.check("input[name=scope][value=subject]")
    page.fill("#id_emails", "Maija.Meikalainen@example.fi")
    page.click("form button[type=submit].primary")
    page.wait_for_selector("h1:has-text('Vahingonkorvausvaatimus')")
    hold = LegalHold.all_controllers.get()
    assert hold.subject_emails == ["maija.meikalainen@example.fi"] and hold.is_active

    # A contact from the subject arriving after the hold is held too.
    later = contact_record(
        controller=isannointi, channel="email", occurred_at=timezone.now(), email="maija.meikalainen@example.fi"
    )
    assert is_held(later)

    page.click("#release-hold")
    page.wait_for_selector("#hold-coverage")
    page.fill("#release-form textarea[name=reason]", "Asia sovittu")
    page.click("#release-form button[type=submit]")
    page.wait_for_selector("#id_confirm[aria-invalid=true]")  # not yet confirmed: nothing released
    hold.refresh_from_db()
    assert hold.is_active
    page.check("#id_confirm")
    page.click("#release-form button[type=submit]")
    page.wait_for_selector("h1 .badge.ok")
    hold.refresh_from_db()
    assert hold.released_by == dpo and not is_held(later)


def test_handler_takes_a_complaint_from_intake_with_a_new_complainant_to_closed(
    login, colleague, isannointi, live_server, eager_locmem
):
    from django.core import mail

    from contacts.models import Contact, CustomerEmail, CustomerPhone, ResponseTemplate
    from contacts.services import customer_match_or_create

    ResponseTemplate.objects.create(
        controller=isannointi,
        language="fi",
        name="Valitus käsitelty",
        body="Hei {customer_name}, valituksenne {ticket_id} on käsitelty. Terveisin {agent_name}",
    )

    known = customer_match_or_create(controller=isannointi, name="Matti Virtanen", phone="050 765 4321")
    page = login("colleague")
    page.click("nav.mainnav a[href='/complaints/']")
    page.click("a[href='/complaints/new/']")
    page.select_option("#id_kind", "complaint")
    page.select_option("#id_channel", "letter")
    # A known number first: the intake says whom it matches, with a link to the customer.
    page.fill("#id_complainant_phone", "0507654321")
    page.wait_for_selector("#complainant-matched")
    assert page.locator(f"#complainant-match a[href='/contacts/customers/{known.pk}/']").count() == 1
    # Then the real complainant, whom nobody knows yet.
    page.fill("#id_complainant_phone", "040 111 2233")
    page.fill("#id_complainant_name", "Liisa Korhonen")
    page.fill("#id_complainant_email", "Liisa.Korhonen@example.fi")
    page.wait_for_selector("#complainant-new")
    page.fill("#id_subject", "Kirje: piha-alueen lumityöt tekemättä")
    page.fill("#id_description", "Asukas kertoo, ettei pihaa ole aurattu kahteen viikkoon.")
    page.click("#complaint-form button[type=submit]")
    page.wait_for_selector("#complaint-status")
    assert page.inner_text("#complaint-channel") == "Kirje"
    complaint = Complaint.all_controllers.get(subject__startswith="Kirje")
    customer = complaint.complainant
    assert customer.name == "Liisa Korhonen" and customer != known
    assert CustomerEmail.all_controllers.get(customer=customer).email == "liisa.korhonen@example.fi"
    assert CustomerPhone.all_controllers.get(customer=customer).phone == "+358401112233"
    assert page.locator(f"#complaint-complainant a[href='/contacts/customers/{customer.pk}/']").count() == 1

    page.click("#assign-to-me")
    page.wait_for_selector("#complaint-handler:has-text('colleague')")
    _change_status(page, "in_handling", "Otettu käsittelyyn")
    page.fill("#resolution-form textarea[name=resolution]", "Huoltoyhtiö aurasi pihan, hyvitys seuraavassa laskussa")
    page.click("#resolution-form button[type=submit]")
    page.wait_for_load_state("load")
    # The answer to the complainant: a response template chosen by keyboard, then sent.
    page.focus("#macro-input")
    page.keyboard.type("käsitelty")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    body = page.input_value("#reply-form textarea[name=body]")
    assert body.startswith(f"Hei Liisa Korhonen, valituksenne {complaint.pk} on käsitelty.")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("#timeline .send-status[data-status=sent]")
    reply = Contact.all_controllers.get(direction="outbound")
    assert complaint.contacts.filter(pk=reply.pk).exists() and mail.outbox[0].to == ["liisa.korhonen@example.fi"]
    _change_status(page, "resolved")
    _change_status(page, "closed", "Asukas kuitannut")
    assert page.inner_text("#complaint-status") == "Suljettu"
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.handler == colleague and complaint.closed_at is not None
    # The complainant's page lists the complaint.
    page.click(f"#complaint-complainant a[href='/contacts/customers/{customer.pk}/']")
    page.wait_for_selector("h1:has-text('Liisa Korhonen')")
    assert "piha-alueen lumityöt" in page.inner_text("ul.complaints")
