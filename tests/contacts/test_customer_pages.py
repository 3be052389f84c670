"""Customer pages: the list and its search, editing a customer's name and identifiers
(normalised), the timeline across tasks, contacts and complaints (privacy requests for the DPO
only), and merging a duplicate found by search, after a confirmation page. All audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.models import Contact, Customer, CustomerEmail, CustomerPhone
from contacts.services import customer_match_or_create
from core.models import AuditEvent
from tests.factories import make_complaint, make_contact, make_customer, make_task
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def maija(isannointi):  # type: ignore[no-untyped-def]
    return customer_match_or_create(
        controller=isannointi, name="Maija Meikäläinen", email="maija@example.fi", phone="040 123 4567"
    )


# -- the list and its search -------------------------------------------------------------------


def test_the_customer_list_finds_by_name_email_and_phone_in_any_form(web_as, agent, maija, isannointi):
    other = customer_match_or_create(controller=isannointi, name="Pekka Puu", email="pekka@example.fi")
    client = web_as(agent)
    for term in ("meikäl", "MAIJA@example.fi", "+358 40 123 4567", "0401234567"):
        html = client.get(reverse("contacts:customer_list"), {"q": term}).content.decode()
        assert f'data-id="{maija.pk}"' in html and f'data-id="{other.pk}"' not in html, term
    everyone = client.get(reverse("contacts:customer_list")).content.decode()
    assert f'data-id="{maija.pk}"' in everyone and f'data-id="{other.pk}"' in everyone
    assert AuditEvent.objects.filter(action="search", object_id=str(maija.pk), actor=agent).exists()


def test_the_customer_list_is_paginated_without_counting(web_as, agent, isannointi):
    for number in range(52):
        make_customer(isannointi, name=f"Asiakas {number}")
    client = web_as(agent)
    first = client.get(reverse("contacts:customer_list")).content.decode()
    assert 'rel="next"' in first and first.count("<tr data-id=") == 50
    second = client.get(reverse("contacts:customer_list"), {"page": 2}).content.decode()
    assert second.count("<tr data-id=") == 2 and 'rel="next"' not in second


def test_a_too_short_search_is_a_clear_400(web_as, agent, maija):
    answer = web_as(agent).get(reverse("contacts:customer_list"), {"q": "ma"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400 and "at least 3 characters" in answer.content.decode()


def test_the_other_controllers_customers_are_not_listed(web_as, outsider, maija):
    html = web_as(outsider).get(reverse("contacts:customer_list"), {"q": "maija@example.fi"}).content.decode()
    assert f'data-id="{maija.pk}"' not in html


def test_the_customer_list_needs_login_and_a_customer_service_role(client, web_as, admin_user, colleague, maija):
    url = reverse("contacts:customer_list")
    assert client.get(url).status_code == 302
    assert web_as(admin_user).get(url).status_code == 403
    assert web_as(colleague).get(url).status_code == 200  # complaint handlers read customers


# -- editing -----------------------------------------------------------------------------------


def test_an_agent_edits_name_emails_and_phones_stored_normalised(web_as, agent, maija):
    url = reverse("contacts:customer_edit", args=[maija.pk])
    client = web_as(agent)
    assert client.get(url).status_code == 200
    answer = client.post(
        url, {"name": "Maija Virtanen", "emails": " Maija.V@Example.FI \nmaija@example.fi", "phones": "050 765 4321"}
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("contacts:customer_detail", args=[maija.pk])
    maija.refresh_from_db()
    assert maija.name == "Maija Virtanen"
    assert set(CustomerEmail.all_controllers.filter(customer=maija).values_list("email", flat=True)) == {
        "maija.v@example.fi",
        "maija@example.fi",
    }
    assert list(CustomerPhone.all_controllers.filter(customer=maija).values_list("phone", flat=True)) == [
        "+358507654321"
    ]
    event = AuditEvent.objects.get(action="change", object_id=str(maija.pk))
    assert event.details["fields"] == ["emails", "name", "phones"]
    assert "Virtanen" not in str(event.details)  # the audit names fields, never values


def test_malformed_identifiers_are_named_and_nothing_is_saved(web_as, agent, maija):
    url = reverse("contacts:customer_edit", args=[maija.pk])
    answer = web_as(agent).post(
        url, {"name": "Toinen", "emails": "ei-osoite", "phones": "12"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = answer.content.decode()
    assert answer.status_code == 400 and "Not an email address: ei-osoite" in html and "Not a phone number: 12" in html
    maija.refresh_from_db()
    assert maija.name == "Maija Meikäläinen" and maija.emails.count() == 1 and maija.phones.count() == 1


def test_another_customers_identifier_is_refused_with_a_hint_to_merge(web_as, agent, maija, isannointi):
    customer_match_or_create(controller=isannointi, name="Pekka", email="pekka@example.fi")
    answer = web_as(agent).post(
        reverse("contacts:customer_edit", args=[maija.pk]),
        {"name": "Maija", "emails": "pekka@example.fi", "phones": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400 and "merge the two customers" in answer.content.decode()
    assert maija.emails.get().email == "maija@example.fi" and maija.phones.exists()


def test_editing_needs_the_agent_role_and_the_customers_controller(client, web_as, colleague, outsider, maija):
    url = reverse("contacts:customer_edit", args=[maija.pk])
    assert client.get(url).status_code == 302
    assert web_as(colleague).post(url, {"name": "X", "emails": "", "phones": ""}).status_code == 403
    assert web_as(outsider).post(url, {"name": "X", "emails": "", "phones": ""}).status_code == 404
    maija.refresh_from_db()
    assert maija.name == "Maija Meikäläinen"


# -- the timeline ------------------------------------------------------------------------------


def test_the_customer_page_shows_tasks_contacts_and_complaints(web_as, agent, maija, isannointi):
    task = make_task(isannointi, customer=maija, title="Vuotava hana keittiössä")
    make_contact(isannointi, customer=maija, task=task, subject="Soitto vuodosta")
    make_complaint(isannointi, complainant=maija, subject="Laskutusvirhe huhtikuussa")
    html = web_as(agent).get(reverse("contacts:customer_detail", args=[maija.pk])).content.decode()
    assert "Vuotava hana keittiössä" in html and "Soitto vuodosta" in html and "Laskutusvirhe huhtikuussa" in html


def test_privacy_requests_are_on_the_customer_page_for_the_dpo_only(web_as, agent, dpo, maija, isannointi):
    request = make_privacy_request(isannointi, email="Maija@Example.fi")
    url = reverse("contacts:customer_detail", args=[maija.pk])
    link = reverse("privacy:request_detail", args=[request.pk])
    assert link in web_as(dpo).get(url).content.decode()
    assert AuditEvent.objects.filter(actor=dpo, action="view", object_id=str(request.pk)).exists()
    html = web_as(agent).get(url).content.decode()
    assert link not in html and "customer-privacy-requests" not in html


def test_another_persons_privacy_request_is_not_on_the_page(web_as, dpo, maija, isannointi, retta_oy):
    make_privacy_request(isannointi, email="pekka@example.fi")
    make_privacy_request(retta_oy, email="maija@example.fi")  # the same address at the other controller
    html = web_as(dpo).get(reverse("contacts:customer_detail", args=[maija.pk])).content.decode()
    assert "customer-privacy-requests" not in html


# -- merging by search -------------------------------------------------------------------------


def test_merge_search_finds_other_customers_of_the_same_controller_only(web_as, agent, maija, isannointi, retta_oy):
    dup = customer_match_or_create(controller=isannointi, name="Maija M.", phone="050 111 2222")
    foreign = customer_match_or_create(controller=retta_oy, name="Maija Muu", phone="050 111 3333")
    url = reverse("contacts:customer_merge_search", args=[maija.pk])
    html = web_as(agent).get(url, {"q": "Maija"}, HTTP_HX_REQUEST="true").content.decode()
    confirm = reverse("contacts:customer_merge", args=[maija.pk])
    assert f"{confirm}?duplicate={dup.pk}" in html
    assert f"duplicate={maija.pk}" not in html and f"duplicate={foreign.pk}" not in html
    by_phone = web_as(agent).get(url, {"q": "0501112222"}).content.decode()
    assert f"duplicate={dup.pk}" in by_phone


def test_a_merge_is_confirmed_on_a_page_naming_both_customers(web_as, agent, maija, isannointi):
    dup = customer_match_or_create(controller=isannointi, name="Maija M.", phone="050 111 2222")
    contact = make_contact(isannointi, customer=dup)
    complaint = make_complaint(isannointi, complainant=dup)
    url = reverse("contacts:customer_merge", args=[maija.pk])
    client = web_as(agent)
    page = client.get(url, {"duplicate": dup.pk})
    assert page.status_code == 200 and "Maija M." in page.content.decode()
    unconfirmed = client.post(url, {"duplicate": dup.pk})
    assert unconfirmed.status_code == 400 and Customer.all_controllers.filter(pk=dup.pk).exists()
    done = client.post(url, {"duplicate": dup.pk, "confirm": "on"})
    assert done.status_code == 302 and not Customer.all_controllers.filter(pk=dup.pk).exists()
    contact.refresh_from_db()
    complaint.refresh_from_db()
    assert contact.customer_id == maija.pk and complaint.complainant_id == maija.pk
    assert CustomerPhone.all_controllers.get(phone="+358501112222").customer_id == maija.pk
    assert AuditEvent.objects.filter(action="merge", object_id=str(maija.pk), details__merged=dup.pk).exists()


def test_merging_with_itself_or_the_other_controller_or_nonsense_is_refused(web_as, agent, maija, retta_oy):
    foreign = make_customer(retta_oy)
    url = reverse("contacts:customer_merge", args=[maija.pk])
    client = web_as(agent)
    for duplicate in (maija.pk, foreign.pk, "x", ""):
        assert client.get(url, {"duplicate": duplicate}).status_code == 302
        assert client.post(url, {"duplicate": duplicate, "confirm": "on"}).status_code == 302
    assert Customer.all_controllers.filter(pk__in=[maija.pk, foreign.pk]).count() == 2


def test_merging_needs_the_agent_role_and_the_controller(client, web_as, colleague, outsider, maija, isannointi):
    dup = make_customer(isannointi)
    url = reverse("contacts:customer_merge", args=[maija.pk])
    search = reverse("contacts:customer_merge_search", args=[maija.pk])
    assert client.get(search, {"q": "Maija"}).status_code == 302
    assert web_as(colleague).post(url, {"duplicate": dup.pk, "confirm": "on"}).status_code == 403
    assert web_as(colleague).get(search, {"q": "Maija"}).status_code == 403
    assert web_as(outsider).post(url, {"duplicate": dup.pk, "confirm": "on"}).status_code == 404
    assert web_as(outsider).get(search, {"q": "Maija"}).status_code == 404
    assert Customer.all_controllers.filter(pk=dup.pk).exists()
    assert not Contact.objects.exists()
