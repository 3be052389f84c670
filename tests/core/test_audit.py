import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from core.audit import audit_log, audit_log_many
from core.models import AuditAction, AuditEvent, AuditPurpose

pytestmark = pytest.mark.django_db


def test_audit_helper_writes_one_event_per_call(agent, isannointi):
    before = AuditEvent.objects.count()
    event = audit_log(
        actor=agent,
        action=AuditAction.VIEW,
        purpose=AuditPurpose.CUSTOMER_SERVICE,
        object_type="contacts.contact",
        object_id=42,
        controller=isannointi,
    )
    assert AuditEvent.objects.count() == before + 1
    assert event.actor == agent
    assert event.object_id == "42"
    assert event.controller == isannointi


def test_audit_events_hold_no_personal_values(agent):
    with pytest.raises(ValueError, match="never hold personal values"):
        audit_log(
            actor=agent,
            action=AuditAction.SEARCH,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            details={"query": "Matti Meikäläinen matti@example.fi"},
        )
    assert not AuditEvent.objects.exists()
    event = audit_log(
        actor=agent,
        action=AuditAction.SEARCH,
        purpose=AuditPurpose.CUSTOMER_SERVICE,
        details={"results": 3, "filter": "channel"},
    )
    assert event.details == {"results": 3, "filter": "channel"}
    field_names = {f.name for f in AuditEvent._meta.get_fields()}
    assert not field_names & {"name", "email", "phone", "subject", "body"}


def test_unknown_action_or_purpose_is_refused(agent):
    with pytest.raises(ValueError):
        audit_log(actor=agent, action="peek", purpose=AuditPurpose.SECURITY)
    with pytest.raises(ValueError):
        audit_log(actor=agent, action=AuditAction.VIEW, purpose="curiosity")


def test_audit_log_many_writes_one_event_per_object(agent, admin_user):
    events = audit_log_many(
        actor=agent, action=AuditAction.VIEW, purpose=AuditPurpose.ADMINISTRATION, objects=[agent, admin_user]
    )
    assert len(events) == 2
    assert {e.object_id for e in AuditEvent.objects.all()} == {str(agent.pk), str(admin_user.pk)}


def test_job_actor_is_recorded_by_kind(isannointi):
    event = audit_log(actor="purge", action=AuditAction.PURGE, purpose=AuditPurpose.RETENTION, controller=isannointi)
    assert event.actor is None and event.actor_kind == "purge"


@pytest.mark.postgresql
def test_audit_events_cannot_be_changed_or_deleted(agent):
    event = audit_log(actor=agent, action=AuditAction.LOGIN, purpose=AuditPurpose.SECURITY)
    with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGOUT)
    with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL retta.audit_purge = 'on'")
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert not AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_on_sqlite_either(agent):
    event = audit_log(actor=agent, action=AuditAction.LOGIN, purpose=AuditPurpose.SECURITY)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 (vendor-specific error class)
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGOUT)


def test_a_page_of_events_is_written_in_one_statement_like_audit_log_many(
    agent, isannointi, retta_oy, django_assert_num_queries
):
    from core.audit import audit_log_page
    from core.models import AuditEvent
    from tests.factories import make_contact, make_customer

    rows = [make_contact(isannointi), make_contact(retta_oy), make_customer(isannointi)]
    with django_assert_num_queries(1):
        assert audit_log_page(actor=agent, action="view", purpose="customer_service", objects=rows) == 3
    events = list(
        AuditEvent.objects.order_by("id").values_list(
            "actor_id", "action", "controller_id", "object_type", "object_id", "details"
        )
    )
    assert events == [
        (agent.pk, "view", isannointi.pk, "contacts.contact", str(rows[0].pk), {}),
        (agent.pk, "view", retta_oy.pk, "contacts.contact", str(rows[1].pk), {}),
        (agent.pk, "view", isannointi.pk, "contacts.customer", str(rows[2].pk), {}),
    ]
    assert audit_log_page(actor=agent, action="view", purpose="customer_service", objects=[]) == 0


def test_a_page_of_events_refuses_free_text_details(agent, isannointi):
    from core.audit import audit_log_page
    from tests.factories import make_contact

    with pytest.raises(ValueError):
        audit_log_page(
            actor=agent,
            action="view",
            purpose="customer_service",
            objects=[make_contact(isannointi)],
            details={"q": "Maija Meikäläinen"},
        )


def test_a_user_with_audit_events_cannot_be_deleted(agent, isannointi):
    # The references of an event are kept by PROTECT, not by a database constraint.
    from django.db.models import ProtectedError

    audit_log(actor=agent, action=AuditAction.VIEW, purpose=AuditPurpose.CUSTOMER_SERVICE, controller=isannointi)
    with pytest.raises(ProtectedError):
        agent.delete()
    assert AuditEvent.objects.filter(actor=agent).count() == 1
