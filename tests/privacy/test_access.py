"""Access (art. 15) and portability (art. 20), end to end through the API."""

import io
import json
import re
import zipfile

import jsonschema
import pytest

from core.audit import audit_log
from core.models import AuditEvent
from privacy.exports import SCHEMA_PATH
from privacy.models import Redaction
from tests.privacy.factories import api_verify_and_review, make_privacy_request

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"
SCHEMA = json.loads(SCHEMA_PATH.read_text())


def _open_verified(dpo_api, kind="access", **extra):
    body = {
        "controller": "retta-isannointi",
        "kind": kind,
        "name": "Maija Meikäläinen",
        "email": "maija@example.fi",
        "phone": "040 123 4567",
        **extra,
    }
    created = dpo_api.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    api_verify_and_review(dpo_api, pk, review=False)
    return pk


def _review(dpo_api, pk):
    assert dpo_api.post(f"{URL}{pk}/matches/", {}, format="json").status_code == 200


def _download(dpo_api, pk):
    answer = dpo_api.get(f"{URL}{pk}/export/")
    assert answer.status_code == 200, answer.content if hasattr(answer, "content") else answer
    assert answer["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))


def test_access_end_to_end(dpo_api, dpo, isannointi, subject_records, recipients_provider, eager_tasks):
    recipients_provider[("contacts.contact", subject_records["call"].pk)] = ["Vakuutusyhtiö Turva"]
    pk = _open_verified(dpo_api, include_consultation_history=True)
    audit_log(actor=dpo, action="view", purpose="customer_service", obj=subject_records["call"])
    matches = dpo_api.get(f"{URL}{pk}/matches/").json()
    assert {m["record_id"] for m in matches if m["record_type"] == "contacts.contact" and m["included"]} == {
        subject_records[k].pk for k in ["call", "email", "chat"]
    }
    _review(dpo_api, pk)
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 202, answer.content
    detail = dpo_api.get(f"{URL}{pk}/").json()
    assert detail["status"] == "completed" and detail["export"]["status"] == "ready"
    assert detail["export"]["progress"] == detail["export"]["total"] > 0

    archive = _download(dpo_api, pk)
    names = archive.namelist()
    document = json.loads(archive.read("data.json"))
    jsonschema.validate(document, SCHEMA)
    contact_ids = {r["id"] for r in document["records"] if r["type"] == "contacts.contact"}
    assert contact_ids == {subject_records[k].pk for k in ["call", "email", "chat"]}
    assert subject_records["other_controller"].pk not in contact_ids
    types = {t["type"]: t for t in document["record_types"]}
    assert types["contacts.contact"]["retention"][0]["days"] == 180
    assert {p["code"] for p in types["contacts.contact"]["purposes"]} >= {"handle_service", "quality"}
    assert document["recipients"][0]["name"] == "Vakuutusyhtiö Turva"
    assert document["profiling_or_automated_decisions"] is False
    recordings = [n for n in names if n.startswith("files/contacts-callrecording/")]
    assert len(recordings) == 1 and archive.read(recordings[0]).startswith(b"RIFF")
    # Storage names a file that exists already with a suffix (lasku_a1B2c3.pdf): other tests' copies.
    assert any(n.endswith(".eml") for n in names) and any(re.search(r"/lasku(_\w+)?\.pdf$", n) for n in names)
    transcript = next(n for n in names if n.startswith("transcripts/"))
    assert "Hei, hana vuotaa" in archive.read(transcript).decode()
    history = document["consultation_history"]
    assert history and all("actor" not in event for event in history)
    summary = archive.read("summary.txt").decode()
    assert "Vakuutusyhtiö Turva" in summary and "tietosuoja.fi" in summary and "180" in summary
    assert "Maija" not in json.dumps([r for r in document["records"] if r["id"] == subject_records["stranger"].pk])
    assert AuditEvent.objects.filter(action="download", object_type="privacy.requestexport").count() == 1
    from privacy.models import PrivacyRequest

    letter = PrivacyRequest.objects.get(pk=pk).letters.get(kind="access")
    assert "tietosuoja.fi" in letter.body


def test_access_with_nothing_matched_gives_the_no_data_letter(dpo_api, isannointi, eager_tasks):
    pk = _open_verified(dpo_api, email="nobody@example.fi", phone="")
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200
    assert answer.json()["status"] == "completed"
    from privacy.models import PrivacyRequest

    letter = PrivacyRequest.objects.get(pk=pk).letters.get(kind="no_data")
    assert "Retta Isännöinti Oy" in letter.body
    assert dpo_api.get(f"{URL}{pk}/export/").status_code == 409


def test_redactions_are_applied_and_recorded(dpo_api, dpo, isannointi, subject_records, eager_tasks):
    pk = _open_verified(dpo_api)
    dpo_api.get(f"{URL}{pk}/matches/")
    Redaction.all_controllers.create(
        request_id=pk,
        controller=isannointi,
        record_type="contacts.contact",
        record_id=subject_records["call"].pk,
        field="body",
        reason="names a neighbour",
        created_by=dpo,
    )
    _review(dpo_api, pk)
    dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    document = json.loads(_download(dpo_api, pk).read("data.json"))
    call = next(
        r for r in document["records"] if r["type"] == "contacts.contact" and r["id"] == subject_records["call"].pk
    )
    assert call["data"]["body"] == "[redacted]"
    assert document["redactions"] == [
        {"record_type": "contacts.contact", "record_id": subject_records["call"].pk, "field": "body"}
    ]


def test_portability_holds_only_what_the_subject_provided(dpo_api, isannointi, subject_records, eager_tasks):
    pk = _open_verified(dpo_api, kind="portability")
    _review(dpo_api, pk)
    assert dpo_api.post(f"{URL}{pk}/execute/", {}, format="json").status_code == 202
    archive = _download(dpo_api, pk)
    document = json.loads(archive.read("data.json"))
    jsonschema.validate(document, SCHEMA)
    types = {r["type"] for r in document["records"]}
    assert "contacts.chatmessage" in types and "contacts.emailmessage" in types
    assert "contacts.callrecording" not in types and "contacts.task" not in types
    assert not any(n.startswith("files/contacts-callrecording/") for n in archive.namelist())


def test_a_second_build_while_one_runs_is_409(dpo_api, isannointi, subject_records):
    pk = _open_verified(dpo_api)
    _review(dpo_api, pk)
    assert dpo_api.post(f"{URL}{pk}/export/").status_code == 202
    answer = dpo_api.post(f"{URL}{pk}/export/")
    assert answer.status_code == 409 and answer.json()["code"] == "export_in_progress"
    assert dpo_api.get(f"{URL}{pk}/export/").status_code == 409


def test_only_access_and_portability_export(dpo_api, isannointi):
    request = make_privacy_request(isannointi, kind="erasure", verified=True)
    assert dpo_api.post(f"{URL}{request.pk}/export/").status_code == 409


def test_an_export_is_deleted_after_seven_days_by_its_declaration(settings):
    from core.personal_data import registry

    declaration = registry.get("privacy.requestexport")
    assert declaration.retention.days == 7 and declaration.file_fields == ("file",)
