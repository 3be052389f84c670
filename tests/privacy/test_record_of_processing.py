"""The record of processing activities (art. 30): one per controller, generated from the registry."""

import pytest
from django.utils import translation

from core.personal_data import registry
from privacy.record_of_processing import processing_record

pytestmark = pytest.mark.django_db
URL = "/privacy/record-of-processing/"


def _record(controller):
    import datetime as dt

    with translation.override("en"):
        return processing_record(controller=controller, today=dt.date(2026, 3, 15))


def test_each_controller_names_the_people_whose_data_it_holds(isannointi, retta_oy):
    own = _record(isannointi)
    theirs = _record(retta_oy)
    assert any("Customers of Retta Isännöinti Oy" in c for c in own["subject_categories"])
    assert any("Customers of Retta Oy's customers" in c for c in theirs["subject_categories"])
    assert not any("Retta Oy's customers" in c for c in own["subject_categories"])
    assert not any("Retta Isännöinti Oy" in c for c in theirs["subject_categories"])
    assert "customers of its customers" in theirs["service"] and "own customers" in own["service"]
    # Staff are data subjects of both records (their accounts and the audit log).
    assert "Staff using the customer-service system" in own["subject_categories"]
    assert "Staff using the customer-service system" in theirs["subject_categories"]


def test_the_record_has_entries_for_backups_the_audit_log_and_staff_accounts(isannointi, settings):
    settings.BACKUP_RETENTION_DAYS = 45
    settings.RETENTION_AUDIT_EVENT_DAYS = 400
    other = {entry.name: entry for entry in _record(isannointi)["other_entries"]}
    assert set(other) == {"Backups", "Audit log", "Staff accounts"}
    assert [days for _label, _rule, days in other["Backups"].retention] == [45]
    assert [days for _label, _rule, days in other["Audit log"].retention] == [400]
    # A staff account has no fixed period: it lasts as long as the work needs access.
    assert [days for _label, _rule, days in other["Staff accounts"].retention] == [None, 400]
    for entry in other.values():
        assert entry.purposes and entry.legal_bases and entry.categories and entry.source


def test_processors_are_recipients_of_the_record_read_from_the_registry(isannointi):
    record = _record(isannointi)
    processors = " ".join(record["processors"]).lower()
    assert "hosting" in processors and "email" in processors and "telephony" in processors
    with translation.override("en"):
        assert record["processors"] == [str(c.label) for c in registry.recipient_categories(processors=True)]
    assert any("Authorities" in c for c in record["recipient_categories"])
    assert not set(record["processors"]) & set(record["recipient_categories"])


def test_the_record_page_of_each_controller(web_as, dpo, isannointi, retta_oy, settings):
    settings.BACKUP_RETENTION_DAYS = 45
    client = web_as(dpo)
    client.cookies["django_language"] = "en"
    own = client.get(f"{URL}retta-isannointi/").content.decode()
    theirs = client.get(f"{URL}retta-oy/").content.decode()
    assert "0871684-7" in own and "3434128-4" in theirs
    assert "Customers of Retta Oy&#x27;s customers" in theirs and "Customers of Retta Oy&#x27;s" not in own
    assert 'id="record-other-entries"' in own and "45 days" in own
    assert "Telephony service provider" in own


def test_the_record_page_needs_the_dpo_of_that_controller(web_as, client, agent, isannointi, retta_oy):
    from core.roles import Role
    from tests.factories import make_user

    assert client.get(f"{URL}retta-oy/").status_code == 302
    assert web_as(agent).get(f"{URL}retta-isannointi/").status_code == 403
    dpo_oy = web_as(make_user("dpo-oy", Role.DPO, [retta_oy]))
    assert dpo_oy.get(f"{URL}retta-oy/").status_code == 200
    assert dpo_oy.get(f"{URL}retta-isannointi/").status_code == 404
    assert dpo_oy.get(f"{URL}no-such-controller/").status_code == 404
