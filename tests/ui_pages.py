"""Every page of the web UI, with the persona who sees it and the records it shows.

The page walks (tests/core/test_pages_translated.py in fi/sv/en, and the screenshots and
accessibility checks in tests/browser/test_screenshots_and_a11y.py) read PAGES. NOT_PAGES names
the URL patterns that are not pages (form posts, downloads, htmx fragments, the API): a test
fails when a UI URL pattern is in neither, so a new page cannot skip the walks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

# Personas (tests/conftest.py): agent, colleague (complaint handler), dpo, admin; "anonymous"
# for the login page; "dpo-new" and "dpo-unverified" for the two-factor pages before the code.
Kwargs = Callable[[SimpleNamespace], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    name: str  # the URL name, "namespace:name"
    role: str
    kwargs: Kwargs = field(default=lambda world: {})
    query: str = ""
    # A query string naming a record of the world (the merge confirmation's duplicate).
    query_of: Callable[[SimpleNamespace], str] | None = None

    def url(self, world: SimpleNamespace) -> str:
        query = self.query_of(world) if self.query_of is not None else self.query
        return reverse(self.name, kwargs=self.kwargs(world)) + query

    @property
    def slug(self) -> str:
        return self.name.replace(":", "-") + ("-" + self.query.strip("?").replace("=", "-") if self.query else "")


PAGES: list[Page] = [
    Page("accounts:login", "anonymous"),
    Page("accounts:otp_enrol", "dpo-new"),
    Page("accounts:otp_verify", "dpo-unverified"),
    Page("accounts:otp_backup_codes", "dpo"),
    Page("core:home", "dpo"),
    Page("core:audit_list", "dpo"),
    Page("contacts:contact_list", "agent"),
    Page("contacts:contact_detail", "agent", lambda w: {"pk": w.email_contact.pk}),
    Page("contacts:contact_detail", "agent", lambda w: {"pk": w.call.pk}),
    Page("contacts:contact_reply", "agent", lambda w: {"pk": w.email_contact.pk}),
    Page("contacts:call_new", "agent"),
    Page("contacts:customer_detail", "agent", lambda w: {"pk": w.customer.pk}),
    Page("contacts:task_list", "agent"),
    Page("contacts:task_detail", "agent", lambda w: {"pk": w.task.pk}),
    Page("contacts:inbox", "agent"),
    Page("contacts:customer_list", "agent"),
    Page("contacts:customer_list", "agent", query="?q=Testi"),
    Page("contacts:customer_edit", "agent", lambda w: {"pk": w.customer.pk}),
    Page(
        "contacts:customer_merge",
        "agent",
        lambda w: {"pk": w.customer.pk},
        query_of=lambda w: f"?duplicate={w.email_customer.pk}",
    ),
    Page("contacts:quality_sample", "agent"),
    Page("contacts:task_new", "agent"),
    Page("complaints:statistics", "colleague"),
    Page("complaints:queue", "colleague"),
    Page("complaints:complaint_create", "colleague"),
    Page("complaints:complaint_from_contact", "agent", lambda w: {"contact_pk": w.call.pk}),
    Page("complaints:complaint_detail", "colleague", lambda w: {"pk": w.complaint.pk}),
    Page("complaints:disclosure_list", "colleague"),
    Page("complaints:disclosure_create", "colleague"),
    Page("complaints:hold_list", "dpo"),
    Page("complaints:hold_place", "dpo"),
    Page("complaints:hold_detail", "dpo", lambda w: {"pk": w.hold.pk}),
    Page("complaints:hold_release", "dpo", lambda w: {"pk": w.hold.pk}),
    Page("privacy:dashboard", "dpo"),
    Page("privacy:request_new", "dpo"),
    Page("privacy:request_detail", "dpo", lambda w: {"pk": w.access_request.pk}),
    Page("privacy:request_detail", "dpo", lambda w: {"pk": w.erasure_request.pk}),
    Page("privacy:request_erase_confirm", "dpo", lambda w: {"pk": w.erasure_request.pk}),
    Page("privacy:letter_detail", "dpo", lambda w: {"pk": w.letter.pk}),
    Page("privacy:processing_records", "dpo"),
    Page("privacy:processing_record", "dpo", lambda w: {"slug": w.controller.slug}),
    Page("privacy:processing_record", "dpo", lambda w: {"slug": w.controller.slug}, "?print=1"),
    Page("retention:dashboard", "dpo"),
    Page("retention:run_list", "dpo"),
    Page("retention:run_confirm", "dpo"),
    Page("retention:run_detail", "dpo", lambda w: {"pk": w.purge_run.pk}),
    Page("admin:index", "admin"),
]

NOT_PAGES: dict[str, str] = {
    "accounts:logout": "a form post",
    "contacts:contact_relink": "a form post",
    "contacts:attachment_download": "a file download",
    "contacts:customer_lookup": "an htmx fragment of the call form",
    "contacts:task_assign": "a form post",
    "contacts:task_close": "a form post",
    "contacts:task_reopen": "a form post",
    "contacts:reply_status": "an htmx fragment of the reply's delivery state",
    "contacts:reply_retry": "a form post",
    "contacts:inbox_filter_save": "a form post",
    "contacts:inbox_filter_delete": "a form post",
    "contacts:customer_merge_search": "an htmx fragment of the customer page",
    "contacts:task_from_contact": "a form post",
    "contacts:task_note": "a form post",
    "contacts:task_triage": "a form post",
    "contacts:task_merge": "a form post",
    "complaints:complaint_reply": "a form post",
    "complaints:complaint_reply_retry": "a form post",
    "complaints:complainant_lookup": "an htmx fragment of the complaint form",
    "complaints:complaint_assign_to_me": "a form post",
    "complaints:complaint_transition": "a form post",
    "complaints:complaint_note": "a form post",
    "complaints:complaint_resolution": "a form post",
    "privacy:request_verify": "a form post",
    "privacy:request_identifier_add": "a form post",
    "privacy:request_discover": "a form post",
    "privacy:request_matches": "a form post",
    "privacy:request_execute": "a form post",
    "privacy:request_extend": "a form post",
    "privacy:request_reject": "a form post",
    "privacy:request_notes": "a form post",
    "privacy:request_letter": "a form post",
    "privacy:request_lift_restriction": "a form post",
    "privacy:request_redact": "a form post",
    "privacy:request_export": "a form post",
    "privacy:export_progress": "an htmx fragment of the request page",
    "privacy:request_download": "a file download",
    "privacy:letter_send": "a form post",
    "privacy:notification_update": "a form post",
    "retention:run_start": "a form post",
    "set_language": "the language switcher's form post",
    "healthz": "a JSON health check",
    "api-schema": "the OpenAPI schema",
    "api-docs": "the API's browsable documentation (Swagger UI, not ours to translate)",
}
# Whole namespaces that are not UI pages of ours: the REST API, and Django's admin, whose
# own strings Django translates (its labels are checked by tests/core/test_admin_i18n.py;
# its index is walked above).
NOT_PAGE_PREFIXES = ("admin:", "api:", "rest_framework:")


def ui_url_names() -> list[str]:
    """The name of every URL pattern outside /api/, with its namespace."""
    names: list[str] = []

    def walk(patterns: list[Any], namespace: str, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, route)
            elif isinstance(entry, URLPattern) and not route.startswith("api/v1/"):
                names.append(f"{namespace}{entry.name or f'<unnamed {route}>'}")

    walk(get_resolver().url_patterns, "", "")
    return names


def page_world(controller: Any, users: dict[str, Any]) -> SimpleNamespace:
    """One of each record a page shows, at `controller`, made through the apps' own services
    where the page needs their side effects (discovery, letters, a dry run)."""
    from contacts.models import EmailMessage
    from contacts.services import contact_record
    from privacy.discovery import matches_review, request_discover
    from privacy.letters import letter_generate
    from tests.complaints.factories import make_hold
    from tests.factories import make_complaint, make_disclosure, make_task
    from tests.privacy.factories import make_privacy_request
    from tests.retention.factories import make_purge_run

    now = timezone.now()
    task = make_task(controller)
    call = contact_record(  # a call, and the email below in a task: the two kinds of contact page
        controller=controller,
        channel="call",
        occurred_at=now - dt.timedelta(days=3),
        name="Maija Meikäläinen",
        phone="040 123 4567",
        subject="Vuotava hana",
        body="Keittiön hana vuotaa.",
    )
    email_contact = contact_record(
        controller=controller,
        channel="email",
        occurred_at=now - dt.timedelta(days=2),
        name="Maija Meikäläinen",
        email="maija@example.fi",
        subject="Laskusta",
        body="Hei, laskussa on virhe.",
        task=task,
    )
    EmailMessage.all_controllers.create(
        controller=controller,
        contact=email_contact,
        message_id="<page-walk@example.fi>",
        from_header="Maija Meikäläinen <maija@example.fi>",
        to_header="asiakaspalvelu@retta.fi",
        raw=ContentFile(b"From: maija@example.fi\r\nSubject: Laskusta\r\n\r\nHei", name="walk.eml"),
        text_body="Hei, laskussa on virhe.",
    )
    complaint = make_complaint(controller, handler=users["colleague"])
    make_disclosure(controller)
    hold = make_hold(controller, contacts=[call])

    access_request = make_privacy_request(controller, verified=True)
    request_discover(request=access_request, actor=users["dpo"])
    matches_review(request=access_request, actor=users["dpo"])
    letter = letter_generate(request=access_request, kind="acknowledgement", actor=users["dpo"])
    erasure_request = make_privacy_request(controller, kind="erasure", verified=True)
    request_discover(request=erasure_request, actor=users["dpo"])
    matches_review(request=erasure_request, actor=users["dpo"])

    purge_run = make_purge_run(controller, dry_run=True)  # the latest dry run, for the confirmation page
    return SimpleNamespace(
        controller=controller,
        task=task,
        call=call,
        email_contact=email_contact,
        customer=call.customer,
        email_customer=email_contact.customer,  # Maija again, known by email only: a merge's duplicate
        complaint=complaint,
        hold=hold,
        access_request=access_request,
        erasure_request=erasure_request,
        letter=letter,
        purge_run=purge_run,
    )
