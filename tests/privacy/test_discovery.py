"""Discovery through the registry: the subject's records at the request's controller only."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.services import contact_record
from core.personal_data import registry
from privacy.discovery import request_discover
from privacy.models import RequestMatch
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy-requests/"


def _matched(request):
    return {(m.record_type, m.record_id): (m.matched_by, m.included) for m in request.matches.all()}


def test_discovery_finds_every_record_by_email_or_phone_and_offers_name_matches(isannointi, dpo, subject_records):
    request = make_privacy_request(isannointi, email="maija@example.fi", phone="0401234567")
    request_discover(request=request, actor=dpo)
    matched = _matched(request)
    for key in ["call", "email", "chat"]:
        assert matched[("contacts.contact", subject_records[key].pk)] == ("identifier", True)
    assert matched[("contacts.contact", subject_records["namesake"].pk)] == ("name", False)
    assert ("contacts.contact", subject_records["stranger"].pk) not in matched
    assert ("contacts.contact", subject_records["other_controller"].pk) not in matched
    customer_id = subject_records["email"].customer_id
    assert matched[("contacts.customer", customer_id)] == ("identifier", True)


def test_matches_api_lists_records_and_the_dpo_excludes_false_ones(dpo_api, isannointi, subject_records):
    request = make_privacy_request(isannointi, email="maija@example.fi", phone="0401234567", verified=True)
    answer = dpo_api.get(f"{URL}{request.pk}/matches/")
    assert answer.status_code == 200
    rows = answer.json()
    by_record = {(r["record_type"], r["record_id"]): r for r in rows}
    call = by_record[("contacts.contact", subject_records["call"].pk)]
    assert call["record"]["subject"] == "Vuotava hana" and call["included"] is True
    assert "Maija Meikäläinen" not in str(
        [
            r
            for r in rows
            if r["record_id"] == subject_records["other_controller"].pk and r["record_type"] == "contacts.contact"
        ]
    )
    namesake = by_record[("contacts.contact", subject_records["namesake"].pk)]
    answer = dpo_api.post(
        f"{URL}{request.pk}/matches/", {"include": [namesake["id"]], "exclude": [call["id"]]}, format="json"
    )
    assert answer.status_code == 200
    assert RequestMatch.objects.get(pk=namesake["id"]).included is True
    assert RequestMatch.objects.get(pk=call["id"]).included is False
    # Rediscovery keeps the DPO's decisions.
    dpo_api.post(f"{URL}{request.pk}/matches/", {"rediscover": True}, format="json")
    assert RequestMatch.objects.get(pk=call["id"]).included is False


def test_matches_review_bad_input(dpo_api, isannointi, subject_records):
    request = make_privacy_request(isannointi)
    dpo_api.get(f"{URL}{request.pk}/matches/")
    match = request.matches.first()
    assert dpo_api.post(f"{URL}{request.pk}/matches/", {"exclude": [999999]}, format="json").status_code == 400
    both = dpo_api.post(f"{URL}{request.pk}/matches/", {"include": [match.pk], "exclude": [match.pk]}, format="json")
    assert both.status_code == 400
    assert dpo_api.post(f"{URL}{request.pk}/matches/", {"exclude": "x"}, format="json").status_code == 400


def test_the_other_controller_sees_only_its_own_records(isannointi, retta_oy, dpo, subject_records):
    request = make_privacy_request(retta_oy, email="maija@example.fi")
    request_discover(request=request, actor=dpo)
    contact_ids = {m.record_id for m in request.matches.filter(record_type="contacts.contact")}
    assert contact_ids == {subject_records["other_controller"].pk}


def test_privacy_requests_are_not_discovered_as_the_subjects_data(isannointi, dpo, subject_records):
    earlier = make_privacy_request(isannointi, email="maija@example.fi")
    request = make_privacy_request(isannointi, email="maija@example.fi")
    request_discover(request=request, actor=dpo)
    assert not request.matches.filter(record_type__startswith="privacy.").exists()
    assert earlier.pk


def _add_contacts(controller, count):
    for _ in range(count):
        contact_record(
            controller=controller, channel="call", occurred_at=timezone.now(), name="Maija", phone="0401234567"
        )


def test_the_number_of_queries_does_not_grow_with_the_subjects_records(isannointi, dpo):
    _add_contacts(isannointi, 2)
    request = make_privacy_request(isannointi, phone="0401234567")
    with CaptureQueriesContext(connection) as few:
        request_discover(request=request, actor=dpo)
    _add_contacts(isannointi, 40)
    request = make_privacy_request(isannointi, phone="0401234567")
    with CaptureQueriesContext(connection) as many:
        request_discover(request=request, actor=dpo)
    assert request.matches.filter(record_type="contacts.contact").count() == 42
    assert len(many.captured_queries) == len(few.captured_queries)


def test_open_access_request_keeps_its_matches_from_the_purge(isannointi, dpo, subject_records):
    declaration = registry.get("contacts.contact")
    request = make_privacy_request(isannointi, email="maija@example.fi", verified=True)
    request_discover(request=request, actor=dpo)
    kept = registry.keep_reason_q(declaration, "open_privacy_request", timezone.now())
    kept_ids = set(declaration.queryset().filter(kept).values_list("pk", flat=True))
    assert subject_records["email"].pk in kept_ids and subject_records["stranger"].pk not in kept_ids
    # An excluded (false) match is not kept.
    request.matches.filter(record_id=subject_records["email"].pk, record_type="contacts.contact").update(included=False)
    kept_ids = set(declaration.queryset().filter(kept).values_list("pk", flat=True))
    assert subject_records["email"].pk not in kept_ids
    # A completed request keeps nothing.
    request.status, request.completed_at = "completed", timezone.now()
    request.save()
    assert not declaration.queryset().filter(kept).exists()


def test_erasure_and_rectification_requests_keep_nothing(isannointi, dpo, subject_records):
    declaration = registry.get("contacts.contact")
    request = make_privacy_request(isannointi, kind="erasure", email="maija@example.fi")
    request_discover(request=request, actor=dpo)
    kept = registry.keep_reason_q(declaration, "open_privacy_request", timezone.now() + dt.timedelta(days=1))
    assert not declaration.queryset().filter(kept).exists()


TARGETS = {"contacts.customer", "contacts.contact"}


def _owner(model):
    """A many-to-many table's owner is the model on its other side (a complaint's contacts)."""
    if not model._meta.auto_created:
        return model
    others = [
        f.related_model
        for f in model._meta.get_fields()
        if isinstance(f, models.ForeignKey) and f.related_model._meta.label_lower not in TARGETS
    ]
    return others[0] if others else model


def undeclared_references(all_models):
    missing = []
    for model in all_models:
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model is not None):
                continue
            if field.related_model._meta.label_lower not in TARGETS:
                continue
            owner = _owner(model)
            if registry.for_model(owner) is None and not registry.is_exempt(owner):
                missing.append(f"{model._meta.label}.{field.name}")
    return missing


def test_every_foreign_key_to_a_customer_or_contact_belongs_to_a_declared_model():
    """A new model pointing at a customer or a contact cannot escape discovery and erasure."""
    missing = undeclared_references(apps.get_models(include_auto_created=True))
    assert not missing, f"declare these models in their app's personal_data.py: {missing}"


def test_the_foreign_key_walk_catches_an_undeclared_model():
    from contacts.models import Contact

    probe = type(
        "Probe",
        (models.Model,),
        {
            "contact": models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+"),
            "__module__": "privacy.models",
            "Meta": type("Meta", (), {"app_label": "privacy"}),
        },
    )
    try:
        assert undeclared_references([probe]) == ["privacy.Probe.contact"]
    finally:
        apps.all_models["privacy"].pop("probe", None)
        apps.clear_cache()
