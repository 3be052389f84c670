"""Complaint intake names the complainant (P2, P3): matched to a customer of the controller by
normalised email, then phone, or recorded as a new customer; the channel is a choice shown
translated. The same on the page and in the API (`complainant_details`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint, ComplaintChannel
from contacts.models import Customer, CustomerEmail, CustomerPhone
from contacts.services import customer_match_or_create
from core.models import AuditEvent
from tests.complaints.factories import make_complaint

pytestmark = pytest.mark.django_db
NEW = reverse("complaints:complaint_create")
LOOKUP = reverse("complaints:complainant_lookup")
API = "/api/v1/complaints/"


def _form(controller, **fields):  # type: ignore[no-untyped-def]
    return {"controller": controller.pk, "kind": "complaint", "channel": "letter", "subject": "Vuotava katto", **fields}


# -- the intake page ---------------------------------------------------------------------------


def test_intake_with_a_known_email_links_the_existing_customer(web_as, colleague, isannointi):
    known = customer_match_or_create(controller=isannointi, name="Maija Meikäläinen", email="maija@example.fi")
    answer = web_as(colleague).post(
        NEW, _form(isannointi, complainant_name="M. Meikäläinen", complainant_email=" MAIJA@example.fi ")
    )
    complaint = Complaint.all_controllers.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("complaints:complaint_detail", args=[complaint.pk])
    assert complaint.complainant == known and complaint.channel == "letter"
    assert Customer.all_controllers.count() == 1
    created = AuditEvent.objects.get(action="create", object_type="complaints.complaint")
    assert created.details["complainant"] == known.pk and created.details["complainant_created"] is False


def test_intake_matches_by_phone_in_any_written_form_and_adds_the_new_email(web_as, agent, isannointi):
    known = customer_match_or_create(controller=isannointi, name="Matti", phone="+358 40 123 4567")
    web_as(agent).post(
        NEW, _form(isannointi, complainant_phone="040-1234567", complainant_email="matti@example.fi", channel="call")
    )
    complaint = Complaint.all_controllers.get()
    assert complaint.complainant == known
    assert list(CustomerEmail.all_controllers.filter(customer=known).values_list("email", flat=True)) == [
        "matti@example.fi"
    ]


def test_intake_with_unknown_details_creates_a_customer_with_them(web_as, colleague, isannointi):
    web_as(colleague).post(
        NEW, _form(isannointi, complainant_name="Liisa Korhonen", complainant_email="liisa@example.fi")
    )
    complaint = Complaint.all_controllers.get()
    customer = complaint.complainant
    assert customer.name == "Liisa Korhonen" and customer.controller == isannointi
    assert CustomerEmail.all_controllers.get(customer=customer).email == "liisa@example.fi"
    assert AuditEvent.objects.filter(action="create", object_type="contacts.customer", object_id=str(customer.pk))
    assert AuditEvent.objects.get(object_type="complaints.complaint").details["complainant_created"] is True


def test_a_name_alone_makes_a_new_customer_every_time(web_as, colleague, isannointi):
    customer_match_or_create(controller=isannointi, name="Anna", email="anna@example.fi")
    web_as(colleague).post(NEW, _form(isannointi, complainant_name="Anna"))
    complaint = Complaint.all_controllers.get()
    assert complaint.complainant.name == "Anna"
    assert not CustomerEmail.all_controllers.filter(customer=complaint.complainant).exists()
    assert Customer.all_controllers.count() == 2


def test_the_customer_of_the_other_controller_is_never_matched(web_as, dpo, isannointi, retta_oy):
    at_oy = customer_match_or_create(controller=retta_oy, name="Maija", email="maija@example.fi")
    web_as(dpo).post(NEW, _form(isannointi, complainant_email="maija@example.fi"))
    complaint = Complaint.all_controllers.get()
    assert complaint.complainant != at_oy and complaint.complainant.controller == isannointi


def test_anonymous_feedback_has_no_complainant(web_as, agent, isannointi):
    answer = web_as(agent).post(NEW, _form(isannointi, kind="feedback", channel="web_form"))
    assert answer.status_code == 302 and answer["Location"] == reverse("core:home")
    assert Complaint.all_controllers.get().complainant is None
    assert not Customer.all_controllers.exists()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"complainant_email": "not-an-address"}, "complainant_email"),
        ({"complainant_phone": "12ab"}, "complainant_phone"),
        ({"complainant_name": "x" * 201}, "complainant_name"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"channel": ""}, "channel"),
        ({"subject": ""}, "subject"),
        ({"received_at": "2999-01-01T10:00"}, "received_at"),
    ],
)
def test_bad_intake_input_is_a_400_and_nothing_is_written(web_as, agent, isannointi, fields, error_field):
    answer = web_as(agent).post(NEW, _form(isannointi, **{"complainant_name": "Maija", **fields}))
    assert answer.status_code == 400
    assert error_field in answer.context["form"].errors
    assert not Complaint.all_controllers.exists() and not Customer.all_controllers.exists()


def test_intake_into_the_other_controller_is_refused(web_as, outsider, isannointi):
    answer = web_as(outsider).post(NEW, _form(isannointi, complainant_email="maija@example.fi"))
    assert answer.status_code == 400 and "controller" in answer.context["form"].errors
    assert not Complaint.all_controllers.exists() and not Customer.all_controllers.exists()


def test_intake_page_needs_login_and_a_role_that_may_record(client, web_as, integration, isannointi):
    for method in (client.get, client.post):
        answer = method(NEW)
        assert answer.status_code == 302 and "/accounts/login" in answer["Location"]
    assert client.post(LOOKUP, {"controller": isannointi.pk}).status_code == 302
    assert web_as(integration).post(NEW, _form(isannointi, complainant_name="X")).status_code == 403
    assert web_as(integration).post(LOOKUP, {"controller": isannointi.pk}).status_code == 403
    assert not Complaint.all_controllers.exists()


def test_intake_form_offers_the_channels_translated(web_as, agent, isannointi):
    html = web_as(agent).get(NEW, HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert '<option value="in_person">Henkilökohtaisesti</option>' in html
    assert '<option value="letter">Kirje</option>' in html
    assert 'id="complainant-fields"' in html
    # the complaint's subject is its topic ("Aihe"), not the data subject ("Rekisteröity")
    assert '<label for="id_subject">Aihe</label>' in html


# -- the complainant shown before saving (htmx) -----------------------------------------------


def test_lookup_names_and_links_the_matched_customer(web_as, agent, isannointi):
    known = customer_match_or_create(controller=isannointi, name="Maija Meikäläinen", phone="0401234567")
    answer = web_as(agent).post(LOOKUP, {"controller": isannointi.pk, "complainant_phone": "+358 40 123 4567"})
    html = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in html
    assert 'id="complainant-matched"' in html and "Maija Meikäläinen" in html
    assert reverse("contacts:customer_detail", args=[known.pk]) in html
    assert AuditEvent.objects.filter(action="search", object_type="contacts.customer", object_id=str(known.pk))


def test_lookup_says_a_new_customer_will_be_made(web_as, agent, isannointi):
    html = web_as(agent).post(LOOKUP, {"controller": isannointi.pk, "complainant_email": "uusi@example.fi"})
    assert 'id="complainant-new"' in html.content.decode()
    assert not Customer.all_controllers.exists()


def test_lookup_with_bad_details_explains_and_matches_nothing(web_as, agent, isannointi):
    customer_match_or_create(controller=isannointi, name="Maija", email="maija@example.fi")
    answer = web_as(agent).post(LOOKUP, {"controller": isannointi.pk, "complainant_email": "maija@"})
    assert answer.status_code == 200
    assert "Maija" not in answer.content.decode() and 'id="complainant-matched"' not in answer.content.decode()


def test_lookup_never_reveals_the_other_controllers_customer(web_as, outsider, isannointi):
    customer_match_or_create(controller=isannointi, name="Maija", email="maija@example.fi")
    answer = web_as(outsider).post(LOOKUP, {"controller": isannointi.pk, "complainant_email": "maija@example.fi"})
    assert answer.status_code == 200 and "Maija" not in answer.content.decode()
    assert not AuditEvent.objects.filter(object_type="contacts.customer").exists()


def test_lookup_needs_post(web_as, agent):
    assert web_as(agent).get(LOOKUP).status_code == 405


# -- the complaint page ------------------------------------------------------------------------


def test_complaint_page_links_the_complainant_and_translates_the_channel(web_as, colleague, isannointi):
    customer = customer_match_or_create(controller=isannointi, name="Maija Meikäläinen", email="maija@example.fi")
    complaint = make_complaint(isannointi, complainant=customer, channel=ComplaintChannel.IN_PERSON)
    for language, label in (("fi", "Henkilökohtaisesti"), ("sv", "Personligen"), ("en", "In person")):
        html = (
            web_as(colleague)
            .get(reverse("complaints:complaint_detail", args=[complaint.pk]), HTTP_ACCEPT_LANGUAGE=language)
            .content.decode()
        )
        channel = html.split('id="complaint-channel">')[1].split("<")[0]
        assert channel == label and "in_person" not in html
        assert reverse("contacts:customer_detail", args=[customer.pk]) in html


# -- the API -----------------------------------------------------------------------------------


def test_api_intake_with_complainant_details_matches_or_creates(api_as, agent, isannointi):
    known = customer_match_or_create(controller=isannointi, name="Maija", phone="0401234567")
    client = api_as(agent)
    matched = client.post(
        API,
        {"subject": "Lasku", "channel": "call", "complainant_details": {"name": "Maija", "phone": "040 123 4567"}},
        format="json",
    )
    assert matched.status_code == 201, matched.json()
    assert matched.json()["complainant"] == known.pk and "complainant_details" not in matched.json()
    created = client.post(
        API, {"subject": "Melu", "complainant_details": {"name": "Pekka", "email": "pekka@example.fi"}}, format="json"
    )
    assert created.status_code == 201
    customer = Customer.all_controllers.get(pk=created.json()["complainant"])
    assert customer.name == "Pekka" and customer.controller == isannointi
    assert CustomerPhone.all_controllers.filter(customer=known).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"complainant_details": {"email": "no-at-sign"}}, "complainant_details"),
        ({"complainant_details": {"phone": "abc"}}, "complainant_details"),
        ({"complainant_details": {}}, "complainant_details"),
        ({"complainant_details": "Maija"}, "complainant_details"),
        ({"channel": "pigeon"}, "channel"),
        ({"received_at": "2999-01-01T00:00:00Z"}, "received_at"),
        ({"received_at": "0031-03-02T14:50:18-19:13"}, "received_at"),
    ],
)
def test_api_bad_complainant_details_are_400_and_nothing_is_written(api_as, agent, isannointi, body, field):
    answer = api_as(agent).post(API, {"subject": "X", **body}, format="json")
    assert answer.status_code == 400 and field in answer.json(), answer.json()
    assert not Complaint.all_controllers.exists() and not Customer.all_controllers.exists()


def test_api_complainant_id_and_details_together_are_400(api_as, agent, isannointi):
    known = customer_match_or_create(controller=isannointi, name="Maija", email="maija@example.fi")
    answer = api_as(agent).post(
        API,
        {"subject": "X", "complainant": known.pk, "complainant_details": {"email": "other@example.fi"}},
        format="json",
    )
    assert answer.status_code == 400 and "complainant_details" in answer.json()
    assert not Complaint.all_controllers.exists() and Customer.all_controllers.count() == 1


def test_api_complainant_details_are_taken_only_at_intake(api_as, colleague, isannointi):
    complaint = make_complaint(isannointi)
    answer = api_as(colleague).patch(
        f"{API}{complaint.pk}/", {"complainant_details": {"email": "maija@example.fi"}}, format="json"
    )
    assert answer.status_code == 400 and "complainant_details" in answer.json()
    assert not Customer.all_controllers.exists()


def test_api_intake_never_matches_the_other_controllers_customer(api_as, outsider, isannointi, retta_oy):
    theirs = customer_match_or_create(controller=isannointi, name="Maija", email="maija@example.fi")
    answer = api_as(outsider).post(
        API, {"subject": "X", "complainant_details": {"email": "maija@example.fi"}}, format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["complainant"] != theirs.pk
    assert Customer.all_controllers.get(pk=answer.json()["complainant"]).controller == retta_oy
    # and naming the other controller's customer by id is the same "does not exist" as a made-up id
    refused = api_as(outsider).post(API, {"subject": "X", "complainant": theirs.pk}, format="json")
    assert refused.status_code == 400 and "complainant" in refused.json()


def test_api_intake_needs_credentials_and_a_role_that_may_record(api, api_as, integration, isannointi):
    body = {"subject": "X", "complainant_details": {"email": "maija@example.fi"}}
    assert api.post(API, body, format="json").status_code == 401
    assert api_as(integration).post(API, body, format="json").status_code == 403
    assert not Customer.all_controllers.exists()


def test_api_schema_documents_complainant_details_and_the_channel_choices(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    request = schema["components"]["schemas"]["ComplaintRequest"]["properties"]
    assert "complainant_details" in request and request["complainant_details"].get("description")
    details = schema["components"]["schemas"]["ComplainantDetailsRequest"]["properties"]
    assert set(details) == {"name", "email", "phone"}
    channels = schema["components"]["schemas"]["ComplaintChannelEnum"]["enum"]
    assert set(channels) == set(ComplaintChannel.values)
    assert "complainant_details" not in schema["components"]["schemas"]["Complaint"]["properties"]


def test_received_at_in_the_past_is_kept(api_as, agent, isannointi):
    when = timezone.now() - dt.timedelta(days=3)
    answer = api_as(agent).post(API, {"subject": "X", "received_at": when.isoformat()}, format="json")
    assert answer.status_code == 201
    assert Complaint.all_controllers.get().received_at == when
