"""Erasure (art. 17) through the purge's deletion code: everything but what must be kept."""

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from complaints.models import Complaint
from contacts.models import CallRecording, Contact, Customer, EmailMessage, Task
from contacts.services import contact_record
from privacy.erasure import erasures_replay
from privacy.models import PrivacyRequest
from tests.privacy.conftest import WAV
from tests.privacy.factories import api_verify_and_review

URL = "/api/v1/privacy-requests/"


def _erase(dpo_api, **subject):
    body = {"controller": "retta-isannointi", "kind": "erasure", **subject}
    pk = dpo_api.post(URL, body, format="json").json()["id"]
    api_verify_and_review(dpo_api, pk)
    answer = dpo_api.post(f"{URL}{pk}/execute/", {}, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.mark.django_db
def test_erasure_deletes_everything_matched_and_reports_kept_items(
    dpo_api, isannointi, subject_records, recipients_provider
):
    recipients_provider[("contacts.contact", subject_records["email"].pk)] = ["Vakuutusyhtiö Turva"]
    task = Task.all_controllers.create(controller=isannointi, title="Hana", customer=subject_records["call"].customer)
    Contact.all_controllers.filter(pk=subject_records["call"].pk).update(task=task)
    body = _erase(dpo_api, name="Maija Meikäläinen", email="maija@example.fi", phone="040 123 4567")
    # The call waits for its task: the request stays in progress until the purge takes it.
    assert body["status"] == "in_progress"
    report = body["execution_report"]
    call_pk, email_pk, chat_pk = (subject_records[k].pk for k in ["call", "email", "chat"])
    assert sorted(report["deleted"]["contacts.contact"]) == sorted([email_pk, chat_pk])
    assert report["kept"]["contacts.contact"] == {str(call_pk): ["open_task"]}
    assert Contact.all_controllers.filter(pk=call_pk).exists()
    assert not Contact.all_controllers.filter(pk__in=[email_pk, chat_pk]).exists()
    assert not EmailMessage.all_controllers.filter(pk=subject_records["message"].pk).exists()
    # The namesake (not confirmed) and the other controller's contact are untouched.
    assert Contact.all_controllers.filter(pk=subject_records["namesake"].pk).exists()
    assert Contact.all_controllers.filter(pk=subject_records["other_controller"].pk).exists()
    request = PrivacyRequest.objects.get(pk=body["id"])
    letter = request.letters.get(kind="erasure").body
    assert "avoimeen asiakaspalvelutehtävään" in letter  # the open-task keep reason, in Finnish
    assert request.notifications.get().recipient_name == "Vakuutusyhtiö Turva"
    from privacy.erasure_ledger import ledger_entries

    assert [entry.request_id for entry in ledger_entries()] == [request.pk]
    ledger_text = str(ledger_entries())
    assert "maija" not in ledger_text.lower() and "4567" not in ledger_text


@pytest.mark.django_db
def test_running_erasure_again_changes_nothing(dpo_api, isannointi, subject_records):
    task = Task.all_controllers.create(controller=isannointi, title="Hana")
    Contact.all_controllers.filter(pk=subject_records["call"].pk).update(task=task)
    first = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
    remaining = set(Contact.all_controllers.values_list("pk", flat=True))
    second = _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
    assert second["execution_report"]["deleted"] == {}
    assert (
        second["execution_report"]["kept"]["contacts.contact"] == first["execution_report"]["kept"]["contacts.contact"]
    )
    assert set(Contact.all_controllers.values_list("pk", flat=True)) == remaining


@pytest.mark.django_db
def test_a_complaint_within_its_legal_claims_period_is_kept(dpo_api, isannointi, subject_records):
    customer = subject_records["email"].customer
    complaint = Complaint.all_controllers.create(
        controller=isannointi, subject="Lasku", complainant=customer, status="closed", closed_at=timezone.now()
    )
    body = _erase(dpo_api, email="maija@example.fi")
    assert body["execution_report"]["kept"]["complaints.complaint"] == {str(complaint.pk): ["legal_claims_period"]}
    assert Complaint.all_controllers.filter(pk=complaint.pk).exists()


@pytest.mark.django_db
def test_erasure_before_the_identity_check_is_409(dpo_api, isannointi, subject_records):
    pk = dpo_api.post(
        URL, {"controller": "retta-isannointi", "kind": "erasure", "email": "maija@example.fi"}, format="json"
    ).json()["id"]
    assert dpo_api.post(f"{URL}{pk}/execute/", {}, format="json").status_code == 409
    assert Contact.all_controllers.filter(pk=subject_records["email"].pk).exists()


NAME, EMAIL, PHONE = "Kerttu Poistettava", "kerttu.poistettava@example.fi", "+358409876543"


def _subject_with_files(controller):
    call = contact_record(
        controller=controller,
        channel="call",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        name=NAME,
        phone="040 987 6543",
        body=f"Soitti {NAME}",
    )
    CallRecording.all_controllers.create(
        controller=controller,
        contact=call,
        file=ContentFile(WAV + PHONE.encode(), name="kerttu.wav"),
        content_type="audio/wav",
    )
    email = contact_record(controller=controller, channel="email", occurred_at=timezone.now(), name=NAME, email=EMAIL)
    EmailMessage.all_controllers.create(
        controller=controller,
        contact=email,
        message_id="<k@example.fi>",
        from_header=f"{NAME} <{EMAIL}>",
        raw=ContentFile(f"From: {NAME} <{EMAIL}>\r\n\r\nHei".encode(), name="kerttu.eml"),
        text_body="Hei",
    )
    return call, email


def _dump() -> str:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = [
        "pg_dump",
        "--data-only",
        "-h",
        db["HOST"] or "127.0.0.1",
        "-p",
        str(db["PORT"] or 5432),
        "-U",
        db["USER"],
        db["NAME"],
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout


def _tables_mentioning(dump: str, needles: list[str]) -> set[str]:
    tables, current = set(), None
    for line in dump.splitlines():
        if line.startswith("COPY "):
            current = line.split()[1]
        elif line == "\\.":
            current = None
        elif current and any(needle in line for needle in needles):
            tables.add(current)
    return tables


def _media_mentioning(root: Path, needles: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and any(needle.encode() in path.read_bytes() for needle in needles):
            found.append(str(path.relative_to(root)))
    return found


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_after_erasure_the_database_and_media_hold_the_subject_only_in_the_request(
    dpo_api, isannointi, settings, tmp_path, eager_tasks
):
    settings.MEDIA_ROOT = str(tmp_path)
    needles = [NAME, EMAIL, PHONE, "040 987 6543"]
    _subject_with_files(isannointi)
    # An earlier access copy of the subject: a generated copy must go too.
    access = dpo_api.post(
        URL, {"controller": "retta-isannointi", "kind": "access", "email": EMAIL, "name": NAME}, format="json"
    ).json()["id"]
    api_verify_and_review(dpo_api, access)
    dpo_api.post(f"{URL}{access}/execute/", {}, format="json")
    assert _media_mentioning(tmp_path, needles)
    assert {"public.contacts_contact", "public.contacts_customer"} <= _tables_mentioning(_dump(), needles)

    _erase(dpo_api, name=NAME, email=EMAIL, phone="040 987 6543")

    assert _media_mentioning(tmp_path, needles) == []
    assert _tables_mentioning(_dump(), needles) <= {
        "public.privacy_privacyrequest",
        "public.privacy_requestidentifier",
        "public.privacy_letter",
    }


@pytest.mark.django_db
def test_a_restored_backup_plus_replay_erasures_is_clean_again(dpo_api, isannointi, subject_records):
    before = {
        "contacts": list(
            Contact.all_controllers.filter(pk__in=[subject_records[k].pk for k in ["call", "email", "chat"]]).values()
        ),
        "customer": list(Customer.all_controllers.filter(pk=subject_records["email"].customer_id).values()),
    }
    _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
    assert not Contact.all_controllers.filter(pk__in=[r["id"] for r in before["contacts"]]).exists()
    # "Restore the backup": the same rows, with the same ids, are back.
    Customer.all_controllers.bulk_create(Customer(**row) for row in before["customer"])
    Contact.all_controllers.bulk_create(Contact(**row) for row in before["contacts"])
    # A row that reuses an erased id but belongs to someone else is never touched.
    stranger = subject_records["stranger"]
    call_command("replay_erasures")
    assert not Contact.all_controllers.filter(pk__in=[r["id"] for r in before["contacts"]]).exists()
    assert not Customer.all_controllers.filter(pk=subject_records["email"].customer_id).exists()
    assert Contact.all_controllers.filter(pk=stranger.pk).exists()
    assert erasures_replay() == {}


@pytest.mark.django_db
def test_replay_spares_a_reused_id_of_someone_else(dpo_api, isannointi, subject_records):
    chat_pk = subject_records["chat"].pk
    _erase(dpo_api, email="maija@example.fi", phone="040 123 4567")
    reused = Contact.all_controllers.create(
        pk=chat_pk,
        controller=isannointi,
        channel="call",
        occurred_at=timezone.now(),
        name="Pekka",
        phone_e164="+358501112233",
    )
    erasures_replay()
    assert Contact.all_controllers.filter(pk=reused.pk).exists()
