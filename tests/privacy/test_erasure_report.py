"""The erasure report: the files deleted are counted, and each kept record carries every reason
that keeps it, not only the first one found."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import legal_hold_place
from contacts.models import Contact, EmailAttachment, EmailMessage, Task
from privacy.models import RequestExport
from tests.privacy.factories import api_verify_and_review, make_privacy_request

URL = "/api/v1/privacy-requests/"


@pytest.fixture
def media(settings, tmp_path):
    """Media in a folder of the test's own, set before any file is written."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def _erase(dpo_api, **subject):
    body = {"controller": "retta-isannointi", "kind": "erasure", **subject}
    pk = dpo_api.post(URL, body, format="json").json()["id"]
    api_verify_and_review(dpo_api, pk)
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.mark.django_db
def test_erasure_report_counts_every_file_deleted(
    media, dpo_api, isannointi, subject_records, django_capture_on_commit_callbacks
):
    # Maija's recording, raw email and its attachment come with the fixture; a second attachment
    # and an earlier access copy (a ZIP) make five files.
    message = EmailMessage.all_controllers.get(pk=subject_records["message"].pk)
    EmailAttachment.all_controllers.create(
        controller=isannointi,
        email=message,
        filename="kuva.png",
        content_type="image/png",
        file=ContentFile(b"\x89PNG kuva", name="kuva.png"),
        size_bytes=9,
    )
    access = make_privacy_request(isannointi, kind="access", email="maija@example.fi")
    RequestExport.all_controllers.create(
        request=access, controller=isannointi, status="ready", file=ContentFile(b"PK zip", name="copy.zip")
    )
    before = _files(media)
    assert len(before) == 5

    with django_capture_on_commit_callbacks(execute=True):
        body = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")

    removed = before - _files(media)
    assert len(removed) == 5
    assert body["execution_report"]["files_deleted"] == 5
    assert body["execution_report"]["copies_deleted"] == 1


@pytest.mark.django_db
def test_erasure_report_labels_a_kept_record_with_every_reason(dpo_api, dpo, isannointi, subject_records):
    customer = subject_records["email"].customer
    complaint = Complaint.all_controllers.create(
        controller=isannointi, subject="Lasku", complainant=customer, status="closed", closed_at=timezone.now()
    )
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="Riita", reason="Haaste", scope="complaint", complaint=complaint
    )
    task = Task.all_controllers.create(controller=isannointi, title="Hana")
    Contact.all_controllers.filter(pk=subject_records["call"].pk).update(task=task)
    legal_hold_place(
        controller=isannointi,
        actor=dpo,
        matter="Vuoto",
        reason="Vakuutus",
        scope="contacts",
        contacts=[subject_records["call"]],
    )

    kept = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")["execution_report"]["kept"]

    # Within the legal-claims period and under a hold: both are said, as both must end.
    # (The hold's own reference to the complaint may be reported too: it does refer to it.)
    assert {"legal_claims_period", "legal_hold"} <= set(kept["complaints.complaint"][str(complaint.pk)])
    assert kept["contacts.contact"][str(subject_records["call"].pk)] == ["legal_hold", "open_task"]


@pytest.mark.django_db
def test_erasure_report_page_shows_every_reason_and_the_files(media, web_as, dpo, dpo_api, isannointi, subject_records):
    customer = subject_records["email"].customer
    complaint = Complaint.all_controllers.create(
        controller=isannointi, subject="Lasku", complainant=customer, status="closed", closed_at=timezone.now()
    )
    legal_hold_place(
        controller=isannointi, actor=dpo, matter="Riita", reason="Haaste", scope="complaint", complaint=complaint
    )
    body = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
    client = web_as(dpo)
    client.cookies["django_language"] = "en"
    page = client.get(f"/privacy/{body['id']}/").content.decode().split('id="execution-report"')[1]
    assert "within the period for possible legal claims (art. 17(3)(e)); under an active legal hold" in page
    assert "3 files deleted." in page
