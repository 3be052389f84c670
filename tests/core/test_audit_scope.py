"""Every audit event belongs to a controller or to the platform (P1, P9): a DPO reads the events
of their own controllers and nothing of the other's, not a purge run's figures, not a login;
the platform's events are read by administrators only, in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.audit import audit_log
from core.models import AuditAction, AuditEvent, AuditPurpose
from core.roles import Role
from retention.models import PurgeTrigger
from retention.purge import purge
from retention.services import purge_run_request
from tests.factories import make_contact, make_user, otp_verify_client

pytestmark = pytest.mark.django_db

AUDIT = "/api/v1/audit-events/"
PLATFORM_ADMIN = "/admin/core/platformauditevent/"


@pytest.fixture
def dpo_isannointi(isannointi):
    return make_user("dpo-isannointi", Role.DPO, [isannointi])


@pytest.fixture
def dpo_oy(retta_oy):
    return make_user("dpo-oy", Role.DPO, [retta_oy])


def _visible_ids(api_as, user) -> set[int]:  # type: ignore[no-untyped-def]
    client, ids, url = api_as(user), set(), AUDIT
    while url:
        body = client.get(url).json()
        ids |= {event["id"] for event in body["results"]}
        url = body["next"]
    return ids


def test_a_dpos_purge_run_leaves_no_event_the_other_controllers_dpo_can_read(
    api_as, dpo_isannointi, dpo_oy, isannointi
):
    run = purge_run_request(user=dpo_isannointi, dry_run=True)
    events = list(AuditEvent.objects.filter(object_type="retention.purgerun", object_id=str(run.pk)))
    assert events
    client = api_as(dpo_oy)
    assert client.get(f"/api/v1/purge-runs/{run.pk}/").status_code == 404
    for event in events:
        assert client.get(f"{AUDIT}{event.pk}/").status_code == 404
    assert not {event.pk for event in events} & _visible_ids(api_as, dpo_oy)
    # Its own DPO reads them, each naming the controller.
    for event in events:
        if event.controller_id is not None:
            answer = api_as(dpo_isannointi).get(f"{AUDIT}{event.pk}/")
            assert answer.status_code == 200
            assert answer.json()["controller"] == "retta-isannointi"


def test_nightly_run_writes_one_event_per_controller_with_that_controllers_figures(
    api_as, dpo_isannointi, dpo_oy, isannointi, retta_oy
):
    now = timezone.now()
    for _ in range(2):
        make_contact(isannointi, occurred_at=now - dt.timedelta(days=200))
    for _ in range(3):
        make_contact(retta_oy, occurred_at=now - dt.timedelta(days=200))

    run = purge(now=now, trigger=PurgeTrigger.SCHEDULE)

    finished = AuditEvent.objects.filter(object_type="retention.purgerun", object_id=str(run.pk), action="purge")
    by_controller = {event.controller_id: event.details for event in finished}
    assert by_controller[isannointi.pk]["deleted"] == 2
    assert by_controller[retta_oy.pk]["deleted"] == 3
    assert by_controller[None]["deleted"] == 5  # the platform's totals, for administrators
    seen = {event["controller"]: event for event in api_as(dpo_oy).get(AUDIT).json()["results"]}
    assert set(seen) == {"retta-oy"}
    assert seen["retta-oy"]["details"]["deleted"] == 3


def test_staff_login_is_an_event_of_each_controller_the_user_is_granted(client, api_as, dpo_isannointi, dpo_oy, agent):
    answer = client.post("/accounts/login/", {"username": agent.username, "password": "correct horse battery"})
    assert answer.status_code == 302
    logins = list(AuditEvent.objects.filter(actor=agent, action=AuditAction.LOGIN))
    assert [event.controller.slug for event in logins] == ["retta-isannointi"]
    assert logins[0].pk in _visible_ids(api_as, dpo_isannointi)
    assert api_as(dpo_oy).get(f"{AUDIT}{logins[0].pk}/").status_code == 404
    assert logins[0].pk not in _visible_ids(api_as, dpo_oy)


def test_second_factor_events_of_a_dpo_of_both_controllers_are_one_per_controller(client, dpo, isannointi, retta_oy):
    otp_verify_client(client, dpo)
    from accounts.services import sign_in_audit

    sign_in_audit(user=dpo, action=AuditAction.LOGIN_FAILED, details={"factor": "otp"})
    events = AuditEvent.objects.filter(actor=dpo, action=AuditAction.LOGIN_FAILED)
    assert sorted(event.controller_id for event in events) == sorted([isannointi.pk, retta_oy.pk])


def test_a_user_granted_no_controller_leaves_a_platform_event(client, django_user_model, api_as, dpo):
    superuser = django_user_model.objects.create_superuser("root", password="correct horse battery")
    from accounts.services import sign_in_audit

    sign_in_audit(user=superuser, action=AuditAction.LOGIN)
    event = AuditEvent.objects.get(actor=superuser)
    assert event.controller_id is None
    assert api_as(dpo).get(f"{AUDIT}{event.pk}/").status_code == 404
    assert event.pk not in _visible_ids(api_as, dpo)


def test_no_event_a_dpo_reads_lacks_a_controller(api_as, dpo, agent):
    audit_log(actor="purge", action=AuditAction.PURGE, purpose=AuditPurpose.RETENTION, object_type="x", object_id=1)
    audit_log(actor=agent, action=AuditAction.LOGIN, purpose=AuditPurpose.SECURITY)
    assert AuditEvent.objects.filter(controller__isnull=True).count() == 2
    assert _visible_ids(api_as, dpo) == set()


def test_the_dpos_audit_page_shows_no_platform_event(web_as, dpo):
    event = audit_log(actor="purge", action=AuditAction.PURGE, purpose=AuditPurpose.RETENTION, object_type="x.y")
    page = web_as(dpo).get("/audit/")
    assert page.status_code == 200
    assert event not in page.context["page"].object_list


def test_administrators_read_platform_events_in_the_admin_read_only(client, admin_user, isannointi):
    platform = audit_log(actor="purge", action=AuditAction.PURGE, purpose=AuditPurpose.RETENTION, object_type="x.y")
    of_controller = audit_log(
        actor="purge",
        action=AuditAction.PURGE,
        purpose=AuditPurpose.RETENTION,
        object_type="z.w",
        controller=isannointi,
    )
    admin_user.is_staff = True
    admin_user.save()
    from accounts.services import roles_sync

    roles_sync()
    otp_verify_client(client, admin_user)
    listed = client.get(PLATFORM_ADMIN)
    assert listed.status_code == 200
    shown = {event.pk for event in listed.context["cl"].result_list}
    assert platform.pk in shown
    assert of_controller.pk not in shown
    assert client.get(f"{PLATFORM_ADMIN}{of_controller.pk}/change/").status_code in {302, 404}
    detail = client.get(f"{PLATFORM_ADMIN}{platform.pk}/change/")
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert client.get(f"{PLATFORM_ADMIN}add/").status_code == 403
    assert client.post(f"{PLATFORM_ADMIN}{platform.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=platform.pk).exists()


@pytest.mark.parametrize("persona", ["agent", "dpo", "outsider"])
def test_staff_who_are_not_administrators_cannot_open_the_platform_events(client, request, persona):
    user = request.getfixturevalue(persona)
    otp_verify_client(client, user)
    answer = client.get(PLATFORM_ADMIN)
    assert answer.status_code == 302
    assert "/admin/login/" in answer["Location"]


def test_platform_events_page_sends_an_anonymous_visitor_to_log_in(client):
    answer = client.get(PLATFORM_ADMIN)
    assert answer.status_code == 302
    assert "/admin/login/" in answer["Location"]
