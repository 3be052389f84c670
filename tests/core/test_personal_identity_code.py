"""Personal identity codes (henkilötunnus) are not processed: staff forms and the API refuse them
with a clear 400, inbound email and chat mask them and warn; lookalikes pass."""

from __future__ import annotations

import inspect
import json
import pkgutil
from importlib import import_module

import pytest
from django import forms
from django.utils import translation

from contacts.models import Contact, Task
from core.forms import RefusesPersonalIdentityCodes
from core.personal_identity_code import (
    contains_personal_identity_code,
    fields_with_personal_identity_codes,
    personal_identity_codes_masked,
)
from tests.api.test_hostile_input import _operations, _send, clients, records, schema  # noqa: F401
from tests.contacts.test_inbound_email import make_email, post

CODE = "131052-308T"
MESSAGE = "personal identity code"
PROJECT_PACKAGES = ("core", "accounts", "contacts", "complaints", "privacy", "retention")


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    """The messages are read in English (the pages and the API answer in LANGUAGE_CODE)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# -- the rule ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        CODE,
        "Hetuni on 131052-308T.",
        "131052-308t",
        "010594Y9032",
        "010594Y9021",
        "020502E902X",
        "290200A2380",
    ],
)
def test_checksum_valid_codes_of_every_century_are_recognised(text):
    assert contains_personal_identity_code(text)


@pytest.mark.parametrize(
    "text",
    [
        "131052-308X",  # wrong check character: an order number, say
        "131352-308T",  # no 13th month
        "300252-308T",  # no 30 February
        "131052-000H",  # individual numbers start at 002
        "Tilaus 131052-308TT",  # part of a longer reference
        "A131052-308T",
        "13105230",
        "",
    ],
)
def test_lookalikes_are_not_personal_identity_codes(text):
    assert not contains_personal_identity_code(text)


def test_masking_keeps_the_date_and_hides_the_rest():
    assert personal_identity_codes_masked(f"Hetu {CODE}, tilaus 131052-308X") == (
        "Hetu 131052-****, tilaus 131052-308X",
        True,
    )
    assert personal_identity_codes_masked("Ei mitään") == ("Ei mitään", False)


def test_fields_are_named_by_their_path():
    data = {"subject": "ok", "messages": [{"text": "ok"}, {"text": CODE}], "name": "131052-308X"}
    assert fields_with_personal_identity_codes(data) == ["messages.1.text"]


# -- the API -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_code_in_a_json_field_is_a_400_naming_the_field_and_nothing_is_written(api_as, agent, isannointi):
    answer = api_as(agent).post("/api/v1/contacts/", {"channel": "call", "body": f"Hetu {CODE}"}, format="json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["body"] and MESSAGE in answer.json()["body"][0]
    assert not Contact.all_controllers.exists()


@pytest.mark.django_db
def test_a_code_in_a_form_encoded_or_multipart_field_is_a_400_naming_the_field(api_as, agent, isannointi):
    client = api_as(agent)
    form = client.post("/api/v1/tasks/", {"title": CODE})
    assert form.status_code == 400 and list(form.json()) == ["title"]
    multipart = client.post("/api/v1/tasks/", {"title": CODE}, format="multipart")
    assert multipart.status_code == 400 and list(multipart.json()) == ["title"]
    assert not Task.all_controllers.exists()


@pytest.mark.django_db
def test_a_lookalike_is_accepted(api_as, agent, isannointi):
    answer = api_as(agent).post("/api/v1/tasks/", {"title": "Tilaus 131052-308X"}, format="json")
    assert answer.status_code == 201


@pytest.mark.django_db
def test_every_json_write_endpoint_refuses_a_code(schema, clients, records):  # noqa: F811
    """Read from the OpenAPI schema: an endpoint added later is covered as soon as it is routed.
    The chat endpoint takes what a customer wrote, and masks instead."""
    operations = _operations(schema, records, "application/json")
    assert len(operations) >= 21
    for path, method, url, _schema in operations:
        raw = json.dumps({"note": f"Hetu {CODE}"})
        answers = [_send(client, method, url, raw) for client in clients.values()]
        refused = [a for a in answers if a.status_code == 400 and "note" in a.json()]
        if path == "/api/v1/inbound/chat":
            assert not refused, path
        else:
            assert refused, (method, path, [a.status_code for a in answers])
            assert MESSAGE in refused[0].json()["note"][0]


# -- inbound email and chat: masked, with a warning ----------------------------------------------
@pytest.mark.django_db
def test_a_code_in_an_inbound_email_is_masked_and_the_contact_warns(
    api_as, integration, web_as, agent, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    raw = make_email(subject=f"Hetu {CODE}")
    raw = raw.replace("Keittiön hana vuotaa.".encode(), f"Hetuni on {CODE}, tilaus 131052-308X.".encode())
    answer = post(api_as(integration), raw)
    assert answer.status_code == 201, answer.content
    contact = Contact.all_controllers.get(pk=answer.json()["contact"])
    assert contact.personal_identity_code_masked
    message = contact.email_message
    stored = [contact.subject, contact.body, message.text_body, message.raw.read().decode("latin-1")]
    for text in stored:
        assert CODE not in text
    assert "131052-****" in contact.body and "131052-308X" in contact.body
    assert Task.all_controllers.get(pk=contact.task_id).title == "Hetu 131052-****"
    page = web_as(agent).get(f"/contacts/{contact.pk}/")
    assert "personal identity code" in page.content.decode()
    assert api_as(agent).get(f"/api/v1/contacts/{contact.pk}/").json()["personal_identity_code_masked"] is True


@pytest.mark.django_db
def test_an_email_without_a_code_is_stored_as_it_came(api_as, integration, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    raw = make_email()
    contact = Contact.all_controllers.get(pk=post(api_as(integration), raw).json()["contact"])
    assert not contact.personal_identity_code_masked and contact.email_message.raw.read() == raw


@pytest.mark.django_db
def test_a_code_in_an_inbound_chat_is_masked_and_the_contact_warns(api_as, integration, isannointi):
    line = {"at": "2026-11-25T10:00:05+02:00", "author": "visitor", "text": f"Hetuni {CODE}"}
    chat = {
        "session_id": "web-1",
        "controller": "retta-isannointi",
        "started_at": "2026-11-25T10:00:00+02:00",
        "visitor": {"name": "Maija", "email": "maija@example.fi"},
        "messages": [line],
    }
    client = api_as(integration)
    answer = client.post("/api/v1/inbound/chat", chat, format="json")
    assert answer.status_code == 201, answer.content
    contact = Contact.all_controllers.get(pk=answer.json()["contact"])
    assert contact.personal_identity_code_masked
    assert [m.text for m in contact.chat_messages.all()] == ["Hetuni 131052-****"]
    assert contact.subject == "Hetuni 131052-****"
    # Posted again, the transcript is recognised: nothing added twice.
    assert client.post("/api/v1/inbound/chat", chat, format="json").status_code == 200
    assert contact.chat_messages.count() == 1


# -- staff forms ---------------------------------------------------------------------------------
def _project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for package_name in PROJECT_PACKAGES:
        package = import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module_info.name or ".management" in module_info.name:
                continue
            module = import_module(module_info.name)
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                    found.append(value)
    return found


def test_every_staff_form_refuses_personal_identity_codes():
    project_forms = _project_forms()
    assert len(project_forms) >= 30
    forgotten = [
        f"{form.__module__}.{form.__name__}"
        for form in project_forms
        if not issubclass(form, RefusesPersonalIdentityCodes)
    ]
    assert forgotten == []


@pytest.mark.django_db
def test_a_staff_form_shows_the_refusal_on_the_field_and_saves_nothing(web_as, agent, isannointi):
    answer = web_as(agent).post(
        "/contacts/calls/new/",
        {"controller": isannointi.pk, "phone": "040 123 4567", "direction": "inbound", "body": f"Hetu {CODE}"},
    )
    assert answer.status_code == 400
    assert MESSAGE in answer.context["form"].errors["body"][0]
    assert not Contact.all_controllers.exists()
    saved = web_as(agent).post(
        "/contacts/calls/new/",
        {"controller": isannointi.pk, "phone": "040 123 4567", "direction": "inbound", "body": "Tilaus 131052-308X"},
    )
    assert saved.status_code == 302


def test_a_password_field_is_not_looked_at():
    class LoginLike(RefusesPersonalIdentityCodes, forms.Form):
        username = forms.CharField()
        password = forms.CharField(widget=forms.PasswordInput)

    assert LoginLike(data={"username": "maija", "password": CODE}).is_valid()
    assert not LoginLike(data={"username": CODE, "password": "x"}).is_valid()


@pytest.mark.django_db
def test_a_staff_form_refuses_a_code_in_a_text_field(isannointi):
    from privacy.forms import ExtendForm

    form = ExtendForm(data={"reason": f"Hetu {CODE}"})
    assert not form.is_valid() and MESSAGE in form.errors["reason"][0]
    assert ExtendForm(data={"reason": "Ei hetua"}).is_valid()
