"""Restriction of processing (art. 18) takes effect on every URL of the API and the pages.

The walk: a restricted email (with its raw message and an attachment), a restricted call (with
its recording), a restricted chat and a restricted complaint, every field carrying the marker
"xyzzy". Every URL pattern of the project (`get_resolver()`, recursively) is called with GET,
POST, PATCH, PUT and DELETE as an agent, a complaint handler and the DPO, its path parameters
filled with the restricted records' ids (PATTERNS). It asserts the one rule of core.restriction:

- no answer to anyone is a 500;
- the agent and the handler never get the marker (pages, JSON, files, streamed audio) nor a link
  to a restricted record;
- no write by anyone, the DPO included, changes a restricted record or what hangs off it;
- the DPO does see the records in full (the rule is not "hide everything").

A URL pattern missing from PATTERNS fails the walk: a new page or endpoint says here with which
records it is walked. The admin site is walked through its own rule: no restricted kind of record
is registered there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from complaints.models import Complaint, ComplaintEvent
from contacts.models import (
    CallRecording,
    ChatMessage,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    EmailAttachment,
    EmailMessage,
)
from core.personal_data import registry
from core.roles import Role
from tests.contacts.factories import wav_bytes
from tests.factories import make_complaint, make_contact, make_customer, make_task, make_user, otp_verify_client
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db

MARK = "xyzzy"

# Which record fills each path parameter of each URL pattern (the pattern as `get_resolver()`
# lists it). "contact" walks the pattern once per restricted contact (email, call, chat);
# "anything" is a restricted contact's id given where another kind of record is named (a legal
# hold, a letter, a purge run, an audit event), so that no number leads to restricted content.
PATTERNS: dict[str, dict[str, str]] = {
    "healthz": {},
    "api/v1/^controllers/$": {},
    "api/v1/^controllers$": {},
    "api/v1/^controllers/(?P<slug>[^/.]+)/$": {"slug": "controller"},
    "api/v1/^controllers/(?P<slug>[^/.]+)$": {"slug": "controller"},
    "api/v1/^audit-events/$": {},
    "api/v1/^audit-events$": {},
    "api/v1/^audit-events/(?P<pk>[^/.]+)/$": {"pk": "anything"},
    "api/v1/^audit-events/(?P<pk>[^/.]+)$": {"pk": "anything"},
    "api/v1/inbound/email": {},
    "api/v1/inbound/email/": {},
    "api/v1/inbound/chat": {},
    "api/v1/inbound/chat/": {},
    "api/v1/inbound/call": {},
    "api/v1/inbound/call/": {},
    "api/v1/contacts/<int:pk>/recording": {"pk": "contact"},
    "api/v1/contacts/<int:pk>/recording/": {"pk": "contact"},
    "api/v1/^contacts/$": {},
    "api/v1/^contacts$": {},
    "api/v1/^contacts/(?P<pk>[^/.]+)/$": {"pk": "contact"},
    "api/v1/^contacts/(?P<pk>[^/.]+)$": {"pk": "contact"},
    "api/v1/^contacts/(?P<pk>[^/.]+)/relink$": {"pk": "contact"},
    "api/v1/^contacts/(?P<pk>[^/.]+)/relink/$": {"pk": "contact"},
    "api/v1/^customers/$": {},
    "api/v1/^customers$": {},
    "api/v1/^customers/(?P<pk>[^/.]+)/$": {"pk": "customer"},
    "api/v1/^customers/(?P<pk>[^/.]+)$": {"pk": "customer"},
    "api/v1/^customers/(?P<pk>[^/.]+)/merge$": {"pk": "other_customer"},
    "api/v1/^customers/(?P<pk>[^/.]+)/merge/$": {"pk": "other_customer"},
    "api/v1/^tasks/$": {},
    "api/v1/^tasks$": {},
    "api/v1/^tasks/(?P<pk>[^/.]+)/$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/close$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/close/$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/reopen$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/reopen/$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/merge$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/merge/$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/notes$": {"pk": "task"},
    "api/v1/^tasks/(?P<pk>[^/.]+)/notes/$": {"pk": "task"},
    "api/v1/^complaints/$": {},
    "api/v1/^complaints$": {},
    "api/v1/^complaints/(?P<pk>[^/.]+)/$": {"pk": "complaint"},
    "api/v1/^complaints/(?P<pk>[^/.]+)$": {"pk": "complaint"},
    "api/v1/^complaints/(?P<pk>[^/.]+)/transition$": {"pk": "complaint"},
    "api/v1/^complaints/(?P<pk>[^/.]+)/transition/$": {"pk": "complaint"},
    "api/v1/^disclosures/$": {},
    "api/v1/^disclosures$": {},
    "api/v1/^legal-holds/$": {},
    "api/v1/^legal-holds$": {},
    "api/v1/^legal-holds/(?P<pk>[^/.]+)/release$": {"pk": "anything"},
    "api/v1/^legal-holds/(?P<pk>[^/.]+)/release/$": {"pk": "anything"},
    "api/v1/^privacy-requests/$": {},
    "api/v1/^privacy-requests$": {},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/execute$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/execute/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/export$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/export/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/extend$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/extend/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/identifiers$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/identifiers/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/matches$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/matches/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/reject$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/reject/$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/verify-identity$": {"pk": "request"},
    "api/v1/^privacy-requests/(?P<pk>[^/.]+)/verify-identity/$": {"pk": "request"},
    "api/v1/^purge-runs/$": {},
    "api/v1/^purge-runs$": {},
    "api/v1/^purge-runs/(?P<pk>[^/.]+)/$": {"pk": "anything"},
    "api/v1/^purge-runs/(?P<pk>[^/.]+)$": {"pk": "anything"},
    "api/schema/": {},
    "api/docs/": {},
    "i18n/setlang/": {},
    "accounts/login/": {},
    "accounts/logout/": {},
    "accounts/two-factor/enrol/": {},
    "accounts/two-factor/verify/": {},
    "accounts/two-factor/backup-codes/": {},
    "contacts/<int:pk>/reply": {"pk": "contact"},
    "contacts/": {},
    "contacts/<int:pk>/": {"pk": "contact"},
    "contacts/<int:pk>/relink/": {"pk": "contact"},
    "contacts/attachments/<int:pk>/": {"pk": "attachment"},
    "contacts/calls/new/": {},
    "contacts/customers/lookup/": {},
    "contacts/customers/<int:pk>/": {"pk": "customer"},
    "contacts/customers/<int:pk>/merge/": {"pk": "other_customer"},
    "contacts/tasks/": {},
    "contacts/tasks/<int:pk>/": {"pk": "task"},
    "contacts/tasks/<int:pk>/assign/": {"pk": "task"},
    "contacts/tasks/<int:pk>/close/": {"pk": "task"},
    "contacts/tasks/<int:pk>/reopen/": {"pk": "task"},
    "complaints/": {},
    "complaints/new/": {},
    "complaints/new/complainant/": {},
    "complaints/from-contact/<int:contact_pk>/": {"contact_pk": "contact"},
    "complaints/<int:pk>/": {"pk": "complaint"},
    "complaints/<int:pk>/assign-to-me/": {"pk": "complaint"},
    "complaints/<int:pk>/transition/": {"pk": "complaint"},
    "complaints/<int:pk>/note/": {"pk": "complaint"},
    "complaints/<int:pk>/resolution/": {"pk": "complaint"},
    "contacts/<int:pk>/reply-retry/": {"pk": "contact"},
    "contacts/<int:pk>/reply-status/": {"pk": "contact"},
    "contacts/<int:pk>/ticket/": {"pk": "contact"},
    "contacts/customers/": {},
    "contacts/customers/<int:pk>/edit/": {"pk": "customer"},
    "contacts/customers/<int:pk>/merge/search/": {"pk": "customer"},
    "contacts/inbox/": {},
    "contacts/inbox/filters/": {},
    "contacts/inbox/filters/<int:pk>/delete/": {"pk": "anything"},
    "contacts/quality-sample/": {},
    "contacts/tasks/new/": {},
    "contacts/tasks/<int:pk>/merge/": {"pk": "task"},
    "contacts/tasks/<int:pk>/notes/": {"pk": "task"},
    "contacts/tasks/<int:pk>/triage/": {"pk": "task"},
    "complaints/statistics/": {},
    "complaints/<int:pk>/reply/": {"pk": "complaint"},
    "complaints/replies/<int:pk>/retry/": {"pk": "contact"},
    "complaints/disclosures/": {},
    "complaints/disclosures/new/": {},
    "complaints/legal-holds/": {},
    "complaints/legal-holds/new/": {},
    "complaints/legal-holds/<int:pk>/": {"pk": "anything"},
    "complaints/legal-holds/<int:pk>/release/": {"pk": "anything"},
    "privacy/": {},
    "privacy/new/": {},
    "privacy/<int:pk>/": {"pk": "request"},
    "privacy/<int:pk>/verify-identity/": {"pk": "request"},
    "privacy/<int:pk>/identifiers/": {"pk": "request"},
    "privacy/<int:pk>/discover/": {"pk": "request"},
    "privacy/<int:pk>/matches/": {"pk": "request"},
    "privacy/<int:pk>/execute/": {"pk": "request"},
    "privacy/<int:pk>/erase/": {"pk": "request"},
    "privacy/<int:pk>/extend/": {"pk": "request"},
    "privacy/<int:pk>/reject/": {"pk": "request"},
    "privacy/<int:pk>/notes/": {"pk": "request"},
    "privacy/<int:pk>/letters/": {"pk": "request"},
    "privacy/<int:pk>/lift-restriction/": {"pk": "request"},
    "privacy/<int:pk>/redactions/": {"pk": "request"},
    "privacy/<int:pk>/export/": {"pk": "request"},
    "privacy/<int:pk>/export/progress/": {"pk": "request"},
    "privacy/<int:pk>/download/": {"pk": "request"},
    "privacy/letters/<int:pk>/": {"pk": "anything"},
    "privacy/letters/<int:pk>/send/": {"pk": "anything"},
    "privacy/notifications/<int:pk>/": {"pk": "anything"},
    "privacy/record-of-processing/": {},
    "privacy/record-of-processing/<slug:slug>/": {"slug": "activity"},
    "retention/": {},
    "retention/runs/": {},
    "retention/runs/start": {},
    "retention/runs/confirm/": {},
    "retention/runs/<int:pk>/": {"pk": "anything"},
    "": {},
    "audit/": {},
}

METHODS = ("get", "post", "patch", "put", "delete")
_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def url_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every URL pattern of the project, as (its full route, its namespaces)."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from url_patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespaces


def url_of(route: str, values: dict[str, Any]) -> str:
    """The route with its parameters filled in (path converters and regular expressions)."""
    path = _PARAMETER.sub(lambda match: str(values[match.group(1) or match.group(2)]), route)
    return "/" + path.replace("^", "").replace("$", "")


def walked_patterns() -> list[str]:
    return [route for route, namespaces in url_patterns() if "admin" not in namespaces]


# -- the restricted records ------------------------------------------------------------------------
@pytest.fixture
def restricted(isannointi: Any) -> dict[str, Any]:
    """A subject's email, call and chat and their complaint, all restricted, each field marked;
    and a restricted customer record, whose unrestricted ticket is in every agent's inbox."""
    customer = make_customer(isannointi, name="Asiakas Ykkönen")
    other_customer = make_customer(isannointi, name="Asiakas Kakkonen")
    task = make_task(isannointi, title="Putkivuoto", customer=customer)
    restricted_customer = make_customer(isannointi, name=f"Sanni {MARK.title()}", restricted=True)
    CustomerEmail.all_controllers.create(
        controller=isannointi, customer=restricted_customer, email=f"{MARK}@example.fi"
    )
    CustomerPhone.all_controllers.create(controller=isannointi, customer=restricted_customer, phone="+358407654321")
    later_task = make_task(isannointi, title="Uusi asia", customer=restricted_customer)
    make_contact(isannointi, channel="email", name="", email="", task=later_task, customer=restricted_customer)
    make_complaint(isannointi, subject="Uusi valitus", complainant=restricted_customer)
    marked = {
        "name": f"Sanni {MARK.title()}",
        "email": f"{MARK}@example.fi",
        "email_normalized": f"{MARK}@example.fi",
        "phone": "040 765 4321",
        "phone_e164": "+358407654321",
        "subject": f"{MARK} subject",
        "body": f"{MARK} body",
        "customer": customer,
        "task": task,
        "restricted": True,
    }
    email = make_contact(isannointi, channel="email", **marked)
    message = EmailMessage(
        controller=isannointi,
        contact=email,
        message_id=f"<{MARK}@example.fi>",
        from_header=f"{MARK}@example.fi",
        text_body=f"{MARK} text",
        html_body=f"<p>{MARK} html</p>",
    )
    message.raw.save("raw.eml", ContentFile(f"Subject: {MARK}\n\n{MARK} raw".encode()), save=False)
    message.save()
    attachment = EmailAttachment(
        controller=isannointi, email=message, filename=f"{MARK}.txt", content_type="text/plain"
    )
    attachment.file.save("attachment.txt", ContentFile(f"{MARK} attachment".encode()), save=False)
    attachment.save()
    call = make_contact(isannointi, channel="call", **marked)
    recording = CallRecording(controller=isannointi, contact=call, content_type="audio/wav")
    audio = wav_bytes(10) + MARK.encode()
    recording.size_bytes = len(audio)
    recording.file.save("call.wav", ContentFile(audio), save=False)
    recording.save()
    chat = make_contact(isannointi, channel="chat", chat_session_id=f"{MARK}-session", **marked)
    ChatMessage.all_controllers.create(
        controller=isannointi, contact=chat, position=0, at=chat.occurred_at, author="visitor", text=f"{MARK} chat"
    )
    complaint = make_complaint(
        isannointi,
        subject=f"{MARK} complaint",
        description=f"{MARK} description",
        complainant=customer,
        restricted=True,
    )
    complaint.contacts.set([email, call, chat])
    request = make_privacy_request(isannointi, kind="restriction", name="Sanni", email=f"{MARK}@example.fi")
    return {
        "contact": [email.pk, call.pk, chat.pk],
        "anything": [email.pk],
        "attachment": [attachment.pk],
        "complaint": [complaint.pk],
        "task": [task.pk, later_task.pk],
        "customer": [customer.pk, restricted_customer.pk],
        "restricted_customer": [restricted_customer.pk],
        "other_customer": [other_customer.pk],
        "request": [request.pk],
        "controller": [isannointi.slug],
        "activity": [registry.activities()[0].key],
    }


# The kinds of record a restriction covers, and the path to the flag that restricts them (the
# declarations say the same: test_the_restriction_rule_covers_exactly_these_kinds).
RESTRICTED_KINDS: dict[type, str] = {
    Contact: "restricted",
    EmailMessage: "contact__restricted",
    EmailAttachment: "email__contact__restricted",
    CallRecording: "contact__restricted",
    ChatMessage: "contact__restricted",
    Complaint: "restricted",
    ComplaintEvent: "complaint__restricted",
    Customer: "restricted",
    CustomerEmail: "customer__restricted",
    CustomerPhone: "customer__restricted",
}


def snapshot() -> dict[str, Any]:
    """Every restricted row and every row hanging off one, with its files' bytes, and the links
    of complaints to restricted contacts: what no request may change."""
    state: dict[str, Any] = {}
    for model, path in RESTRICTED_KINDS.items():
        for row in model._base_manager.filter(**{path: True}).order_by("pk"):
            values = {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}
            for field in row._meta.concrete_fields:
                if values[field.attname] and field.get_internal_type() == "FileField":
                    with getattr(row, field.name).open("rb") as handle:
                        values[field.attname] = handle.read()
            state[f"{model._meta.label_lower}:{row.pk}"] = values
    state["complaint links"] = sorted(
        Complaint.contacts.through.objects.filter(contact__restricted=True).values_list("complaint_id", "contact_id")
    )
    return state


def _body(restricted: dict[str, Any]) -> dict[str, Any]:
    """Every change a page or endpoint could take, aimed at the restricted records."""
    return {
        "subject": "changed",
        "body": "changed",
        "name": "changed",
        "title": "changed",
        "description": "changed",
        "resolution": "changed",
        "text": "changed",
        "note": "changed",
        "to": "in_handling",
        "kind": "complaint",
        "controller": restricted["controller"][0],
        "customer": restricted["other_customer"][0],
        "duplicate": restricted["customer"][0],
        "contacts": restricted["contact"],
        "complaint": restricted["complaint"][0],
        "task": restricted["task"][0],
    }


def _content(response: Any) -> str:
    # Consuming a streamed body closes it (the test client then closes the file).
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    return content.decode("utf-8", errors="replace")


def _call(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    if method == "get":
        return client.get(url)
    if method == "delete":
        return client.delete(url)
    if method == "post":
        upload = SimpleUploadedFile("call.wav", wav_bytes(10), content_type="audio/wav")
        return client.post(url, {**body, "file": upload, "recording": upload})
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _client_for(user: Any) -> Client:
    return otp_verify_client(Client(), user)


# -- the walk --------------------------------------------------------------------------------------
def test_every_url_pattern_is_in_the_walk_table():
    unknown = sorted(set(walked_patterns()) - set(PATTERNS))
    assert not unknown, f"Say in PATTERNS which records walk these URL patterns: {unknown}"


def test_no_restricted_kind_of_record_is_in_the_admin():
    """The admin is walked by this rule instead of URL by URL: it shows none of these records."""
    assert not set(admin.site._registry) & set(RESTRICTED_KINDS)


def test_the_restriction_rule_covers_exactly_these_kinds():
    from core.restriction import restriction_path

    covered = {declaration.model: restriction_path(declaration.model) for declaration in registry}
    assert {model: path for model, path in covered.items() if path} == RESTRICTED_KINDS


@pytest.mark.parametrize("role", [Role.AGENT, Role.COMPLAINTS, Role.DPO])
def test_a_restricted_record_is_read_only_everywhere_and_shown_only_to_the_dpo(restricted, isannointi, retta_oy, role):
    user = make_user(f"walker-{role}", role, [isannointi, retta_oy] if role == Role.DPO else [isannointi])
    client = _client_for(user)
    before = snapshot()
    body = _body(restricted)
    server_errors, leaks = [], []
    for route in walked_patterns():
        parameters = PATTERNS[route]
        choices = [dict(zip(parameters, values, strict=True)) for values in _combinations(parameters, restricted)]
        for values in choices:
            url = url_of(route, values)
            for method in METHODS:
                response = _call(client, method, url, body)
                content = _content(response)
                if response.status_code >= 500:
                    server_errors.append(f"{method.upper()} {url}: {response.status_code}")
                if role != Role.DPO and (MARK in content.lower() or _links_to_restricted(content, restricted, url)):
                    leaks.append(f"{method.upper()} {url}: {response.status_code}")
                if "_auth_user_id" not in client.session:  # logged out by the walk: in again
                    client = _client_for(user)
    assert not server_errors, server_errors
    assert not leaks, f"restricted content shown to {role}: {leaks}"
    assert snapshot() == before, "a request changed a restricted record"
    if role == Role.DPO:
        email = restricted["contact"][0]
        assert MARK in _content(client.get(f"/contacts/{email}/")).lower()
        assert MARK in _content(client.get(f"/api/v1/contacts/{email}/")).lower()
        assert MARK in _content(client.get(f"/api/v1/contacts/{restricted['contact'][1]}/recording"))
        assert MARK in _content(client.get(f"/complaints/{restricted['complaint'][0]}/")).lower()


def _combinations(parameters: dict[str, str], restricted: dict[str, Any]) -> list[tuple[Any, ...]]:
    combinations: list[tuple[Any, ...]] = [()]
    for record in parameters.values():
        combinations = [(*done, value) for done in combinations for value in restricted[record]]
    return combinations


def _links_to_restricted(content: str, restricted: dict[str, Any], url: str) -> bool:
    """A link to a restricted record's page, which tells its id (other than the page asked
    for, which the language menu of an error page links back to)."""
    links = [f"/contacts/{pk}/" for pk in restricted["contact"]]
    links += [f"/complaints/{pk}/" for pk in restricted["complaint"]]
    links += [f"/contacts/attachments/{pk}/" for pk in restricted["attachment"]]
    links += [f"/contacts/customers/{pk}/" for pk in restricted["restricted_customer"]]
    return any(f'{link}"' in content for link in links if link != url)


# -- what the walk cannot tell apart ---------------------------------------------------------------
def test_lists_and_searches_give_agents_no_id_of_a_restricted_contact(restricted, agent, api_as):
    client = api_as(agent)
    for params in ({}, {"q": MARK}, {"email": f"{MARK}@example.fi"}, {"phone": "040 765 4321"}, {"task": "x"}):
        answer = client.get("/api/v1/contacts/", params)
        assert answer.status_code in (200, 400)
        if answer.status_code == 200:
            assert not {row["id"] for row in answer.json()["results"]} & set(restricted["contact"])


def test_the_dpo_gets_409_restricted_for_every_write_to_a_restricted_complaint(restricted, dpo, api_as):
    client = api_as(dpo)
    complaint = restricted["complaint"][0]
    patched = client.patch(f"/api/v1/complaints/{complaint}/", {"subject": "changed"}, format="json")
    moved = client.post(f"/api/v1/complaints/{complaint}/transition/", {"to": "in_handling"}, format="json")
    linked = client.post(
        "/api/v1/complaints/",
        {"subject": "New", "controller": "retta-isannointi", "contacts": restricted["contact"][:1]},
        format="json",
    )
    for answer in (patched, moved, linked):
        assert answer.status_code == 409, answer.content
        assert answer.json()["code"] == "restricted"
    assert Complaint.objects.get(pk=complaint).subject == f"{MARK} complaint"


def test_a_handler_cannot_see_or_change_a_restricted_complaint(restricted, colleague, api_as):
    client = api_as(colleague)
    complaint = restricted["complaint"][0]
    assert client.get(f"/api/v1/complaints/{complaint}/").status_code == 404
    assert client.patch(f"/api/v1/complaints/{complaint}/", {"subject": "x"}, format="json").status_code == 404
    assert client.post(f"/api/v1/complaints/{complaint}/transition/", {"to": "in_handling"}).status_code == 404
    assert complaint not in [row["id"] for row in client.get("/api/v1/complaints/").json()["results"]]


def test_a_complaint_keeps_its_restricted_contacts_when_a_handler_edits_the_links(
    restricted, isannointi, colleague, api_as
):
    complaint = make_complaint(isannointi, subject="Open")
    complaint.contacts.set(restricted["contact"])
    answer = api_as(colleague).patch(f"/api/v1/complaints/{complaint.pk}/", {"contacts": []}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["contacts"] == []
    assert set(complaint.contacts.values_list("pk", flat=True)) == set(restricted["contact"])


def test_a_restricted_chat_posted_again_is_409(restricted, integration, api_as):
    before = snapshot()
    answer = api_as(integration).post(
        "/api/v1/inbound/chat",
        {
            "session_id": f"{MARK}-session",
            "controller": "retta-isannointi",
            "started_at": "2026-01-01T10:00:00+02:00",
            "visitor": {"name": "Changed"},
            "messages": [{"at": "2026-01-01T10:01:00+02:00", "author": "visitor", "text": "more"}],
        },
        format="json",
    )
    assert answer.status_code == 409 and answer.json()["code"] == "restricted"
    assert snapshot() == before


def test_customers_holding_restricted_records_are_not_merged(restricted, agent, api_as):
    target, duplicate = restricted["other_customer"][0], restricted["customer"][0]
    answer = api_as(agent).post(f"/api/v1/customers/{target}/merge/", {"duplicate": duplicate}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "restricted"
    assert set(Contact.objects.filter(customer_id=duplicate).values_list("pk", flat=True)) == set(restricted["contact"])


def test_the_dpo_is_told_on_the_page_that_a_restricted_complaint_cannot_change(restricted, dpo, web_as):
    from django.utils import translation

    from core.restriction import RESTRICTED_MESSAGE

    complaint = restricted["complaint"][0]
    before = snapshot_of_complaint(complaint)
    client = web_as(dpo)
    for action, data in (
        ("transition", {"to": "in_handling"}),
        ("note", {"text": "x"}),
        ("resolution", {"resolution": "x"}),
    ):
        page = client.post(f"/complaints/{complaint}/{action}/", data, follow=True)
        assert page.status_code == 200
        with translation.override(page.wsgi_request.LANGUAGE_CODE):
            assert [str(message) for message in page.context["messages"]] == [str(RESTRICTED_MESSAGE)]
        assert "restricted-notice" in page.content.decode()
    assert snapshot_of_complaint(complaint) == before


def snapshot_of_complaint(pk: int) -> tuple[str, str, int]:
    complaint = Complaint.objects.get(pk=pk)
    return complaint.status, complaint.resolution, ComplaintEvent.objects.filter(complaint=complaint).count()


def test_filtering_by_a_restricted_id_tells_a_handler_nothing(restricted, isannointi, colleague, dpo, api_as):
    from tests.factories import make_disclosure

    linked = make_complaint(isannointi, subject="Open")
    linked.contacts.set(restricted["contact"][:1])
    make_disclosure(isannointi, complaint_id=restricted["complaint"][0])
    contact, complaint = restricted["contact"][0], restricted["complaint"][0]
    handler = api_as(colleague)
    assert handler.get("/api/v1/complaints/", {"contact": contact}).json()["results"] == []
    assert handler.get("/api/v1/disclosures/", {"complaint": complaint}).json()["results"] == []
    officer = api_as(dpo)
    assert [row["id"] for row in officer.get("/api/v1/complaints/", {"contact": contact}).json()["results"]] == [
        complaint,
        linked.pk,
    ]
    assert len(officer.get("/api/v1/disclosures/", {"complaint": complaint}).json()["results"]) == 1
