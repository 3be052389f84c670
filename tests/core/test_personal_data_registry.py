"""The personal-data registry: every model holding customer data is declared, once."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import models

from core.personal_data import PersonalDataType, Retention, registry
from core.scoping import ControllerScopedModel

PERSONAL_DATA_APPS = {"contacts", "complaints", "privacy", "retention"}
PERSONAL_FIELD_NAMES = {"name", "email", "phone", "email_normalized", "phone_e164", "emails", "phones"}


def _declared_models() -> set[type[models.Model]]:
    return {declaration.model for declaration in registry}


def _holds_personal_data(model: type[models.Model], declared: set[type[models.Model]]) -> bool:
    if issubclass(model, ControllerScopedModel):
        return True
    for field in model._meta.get_fields():
        if field.name in PERSONAL_FIELD_NAMES and field.concrete:
            return True
        if field.is_relation and field.concrete and field.related_model in declared:
            return True
    return False


def test_every_model_holding_personal_data_has_a_declaration():
    declared = _declared_models()
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in PERSONAL_DATA_APPS:
            continue
        if model in declared or registry.is_exempt(model):
            continue
        if _holds_personal_data(model, declared):
            missing.append(model._meta.label)
    assert not missing, f"declare these in their app's personal_data.py (or registry.exempt with a reason): {missing}"


def test_declarations_are_complete_and_consistent():
    for declaration in registry:
        key = declaration.key()
        assert declaration.verbose_name, key
        assert declaration.purposes, f"{key} states no purpose (P3)"
        assert declaration.legal_bases, f"{key} states no legal basis (P4)"
        assert declaration.retention or declaration.parent, key
        if declaration.parent:
            parent = registry.get(declaration.parent)
            assert declaration.parent_path, key
            # The path really leads to the parent model (an invalid path raises FieldError here).
            declaration.model._base_manager.filter(**{f"{declaration.parent_path}__pk": 0})
            assert parent.model is not declaration.model
        for field_name in declaration.file_fields:
            assert isinstance(declaration.model._meta.get_field(field_name), models.FileField), key


@pytest.mark.django_db
def test_subject_lookups_are_valid_queries():
    for declaration in registry:
        condition = declaration.subject_q(emails=["x@example.fi"], phones=["+358401234567"])
        if condition is not None:
            assert list(declaration.model._base_manager.filter(condition)[:1]) == []
        name_condition = declaration.name_q(names=["Meikäläinen"])
        if name_condition is not None:
            assert list(declaration.model._base_manager.filter(name_condition)[:1]) == []


@pytest.mark.django_db
def test_due_and_keep_conditions_are_valid_queries_for_every_declaration():
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    for declaration in registry:
        due = declaration.due_q(now)
        if due is not None:
            list(declaration.model._base_manager.filter(due)[:1])
        for _reason, condition in registry.keep_conditions(declaration, now):
            list(declaration.model._base_manager.filter(condition)[:1])


def test_the_180_day_rule_is_declared_once_and_read_from_settings(settings):
    contact = registry.get("contacts.contact")
    assert contact.retention.days == 180
    settings.RETENTION_CONTACT_DAYS = 90
    assert contact.retention.days == 90


def test_a_declaration_without_retention_or_parent_is_refused():
    from accounts.models import Membership

    class Broken(PersonalDataType):
        model = Membership
        verbose_name = "broken"

    with pytest.raises(ValueError, match="retention rule or a parent"):
        registry.register(Broken)


def test_retention_cutoff_moves_with_now():
    rule = Retention(setting="RETENTION_CONTACT_DAYS", date_field="occurred_at", description="")
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert rule.cutoff(now) == now - dt.timedelta(days=180)
