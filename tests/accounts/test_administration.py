"""What administrators do (docs/security.md): manage users' roles and controllers and the
controllers' details, reset a lost second factor, and lift login lockouts. Each is a platform
audit event; an administrator manages only their own controllers and never their own access."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, User
from accounts.otp import otp_backup_codes_issue, otp_device_provision
from core.models import AuditEvent, Controller
from core.roles import Role
from tests.factories import make_user, otp_verify_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(admin_user):  # type: ignore[no-untyped-def]
    """The administrator of both controllers, as create_staff makes them (the admin is theirs)."""
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    return admin_user


@pytest.fixture
def oy_administrator(retta_oy):  # type: ignore[no-untyped-def]
    user = make_user("admin-oy", Role.ADMIN, [retta_oy])
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def _reset_url(user: User) -> str:
    return reverse("admin:accounts_user_two_factor_reset", args=[user.pk])


def _change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def _user_form(user: User, *, roles: list[str], controllers: list[Controller], delete: list[Controller] = ()) -> dict:
    """The change form of a user as the admin posts it: roles, then the membership rows."""
    existing = list(Membership.objects.filter(user=user).order_by("pk"))
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [Group.objects.get(name=role).pk for role in roles],
        "memberships-INITIAL_FORMS": len(existing),
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    rows = [(m, m.controller) for m in existing] + [(None, c) for c in controllers]
    data["memberships-TOTAL_FORMS"] = len(rows)
    for index, (membership, controller) in enumerate(rows):
        data[f"memberships-{index}-user"] = user.pk
        data[f"memberships-{index}-controller"] = controller.pk
        if membership is not None:
            data[f"memberships-{index}-id"] = membership.pk
            if controller in delete:
                data[f"memberships-{index}-DELETE"] = "on"
    return data


# -- resetting a lost second factor --------------------------------------------------------------


def test_administrator_resets_a_lost_two_factor_device(web_as, administrator, dpo):
    otp_device_provision(user=dpo)
    otp_backup_codes_issue(user=dpo)
    dpo_session = otp_verify_client(Client(), dpo)
    assert dpo_session.get("/audit/").status_code == 200
    client = web_as(administrator)
    page = client.get(_reset_url(dpo))
    assert page.status_code == 200 and 'id="two-factor-state"' in page.content.decode()
    assert f'href="{_reset_url(dpo)}"' in client.get(_change_url(dpo)).content.decode()
    response = client.post(_reset_url(dpo), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == _change_url(dpo)
    assert not TOTPDevice.objects.filter(user=dpo).exists() and not StaticDevice.objects.filter(user=dpo).exists()
    # the session the DPO had is over, and the next login sets up a new authenticator
    assert dpo_session.get("/audit/")["Location"].startswith("/accounts/login/")
    fresh = Client()
    fresh.post("/accounts/login/", {"username": "dpo", "password": "correct horse battery"})
    assert fresh.get("/audit/")["Location"].startswith("/accounts/two-factor/enrol/")
    event = AuditEvent.objects.get(action="two_factor_reset")
    assert (event.actor, event.object_type, event.object_id) == (administrator, "accounts.user", str(dpo.pk))
    assert event.controller_id is None and event.purpose == "administration"
    assert event.details == {"devices": 2, "sessions": 1}


def test_the_reset_needs_the_confirmation(web_as, administrator, dpo):
    otp_device_provision(user=dpo)
    response = web_as(administrator).post(_reset_url(dpo), {})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=dpo).exists() and not AuditEvent.objects.filter(action="two_factor_reset")


def test_an_administrator_cannot_reset_their_own_second_factor(web_as, administrator):
    client = web_as(administrator)
    assert "errornote" in client.get(_reset_url(administrator)).content.decode()
    response = client.post(_reset_url(administrator), {"confirm": "on"}, follow=True)
    assert b"ask another administrator" in response.content or "toiselta" in response.content.decode()
    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_the_reset_of_a_user_of_another_controller_is_404(web_as, oy_administrator, dpo, agent):
    otp_device_provision(user=agent)
    client = web_as(oy_administrator)
    assert client.get(_reset_url(agent)).status_code == 404
    assert client.post(_reset_url(agent), {"confirm": "on"}).status_code == 404
    assert client.post(_reset_url(User(pk=999999)), {"confirm": "on"}).status_code == 404
    assert TOTPDevice.objects.filter(user=agent).exists()


@pytest.mark.parametrize("persona", ["dpo", "agent", "colleague"])
def test_other_roles_cannot_reset_a_second_factor(web_as, persona, request, admin_user):
    user = request.getfixturevalue(persona)
    otp_device_provision(user=admin_user)
    client = web_as(user)
    response = client.post(_reset_url(admin_user), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    user.is_staff = True  # even with the admin open to them, the role decides
    user.save(update_fields=["is_staff"])
    assert web_as(user).post(_reset_url(admin_user), {"confirm": "on"}).status_code == 403
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_the_reset_needs_login(client, dpo):
    response = client.post(_reset_url(dpo), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_reset_command_for_the_administrator_who_lost_their_own_phone(capsys, administrator):
    otp_device_provision(user=administrator)
    call_command("reset_two_factor", "admin")
    assert "1 two-factor devices removed" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=administrator).exists()
    event = AuditEvent.objects.get(action="two_factor_reset")
    assert event.actor is None and event.actor_kind == "command"


# -- roles and controllers -----------------------------------------------------------------------


def test_administrator_grants_a_role_and_a_controller(web_as, administrator, isannointi, retta_oy):
    newcomer = make_user("uusi", Role.AGENT, [isannointi])
    client = web_as(administrator)
    response = client.post(
        _change_url(newcomer), _user_form(newcomer, roles=[Role.AGENT, Role.ADMIN], controllers=[retta_oy])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    newcomer.refresh_from_db()
    assert set(newcomer.groups.values_list("name", flat=True)) == {"agent", "admin"}
    assert set(Membership.objects.filter(user=newcomer).values_list("controller__slug", flat=True)) == {
        "retta-isannointi",
        "retta-oy",
    }
    assert newcomer.is_staff  # administrators enter the admin
    event = AuditEvent.objects.get(action="change", object_type="accounts.user", object_id=str(newcomer.pk))
    assert event.details == {"roles_added": ["admin"], "controllers_granted": [retta_oy.pk]}
    assert event.controller_id is None and event.purpose == "administration"


def test_administrator_revokes_a_controller_and_the_admin_role(web_as, administrator, isannointi, retta_oy):
    leaving = make_user("lahtija", Role.ADMIN, [isannointi, retta_oy])
    leaving.is_staff = True
    leaving.save()
    response = web_as(administrator).post(
        _change_url(leaving), _user_form(leaving, roles=[Role.AGENT], controllers=[], delete=[retta_oy])
    )
    assert response.status_code == 302
    leaving.refresh_from_db()
    assert not leaving.is_staff
    assert list(Membership.objects.filter(user=leaving).values_list("controller", flat=True)) == [isannointi.pk]
    event = AuditEvent.objects.get(action="change", object_id=str(leaving.pk))
    assert event.details == {
        "roles_added": ["agent"],
        "roles_removed": ["admin"],
        "controllers_revoked": [retta_oy.pk],
    }


def test_an_administrator_grants_only_their_own_controllers(web_as, oy_administrator, isannointi, retta_oy):
    newcomer = make_user("uusi", Role.AGENT, [])
    response = web_as(oy_administrator).post(
        _change_url(newcomer), _user_form(newcomer, roles=[Role.AGENT], controllers=[isannointi])
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user=newcomer).exists()
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()


def test_an_administrator_does_not_see_users_of_other_controllers(web_as, oy_administrator, agent, outsider):
    client = web_as(oy_administrator)
    listing = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert f"/{outsider.pk}/change/" in listing and f"/{agent.pk}/change/" not in listing
    assert client.get(_change_url(agent)).status_code == 404
    assert client.post(_change_url(agent), _user_form(agent, roles=[Role.ADMIN], controllers=[])).status_code == 404
    agent.refresh_from_db()
    assert not agent.groups.filter(name="admin").exists()


def test_an_administrator_cannot_change_their_own_roles_or_controllers(web_as, administrator, isannointi, retta_oy):
    client = web_as(administrator)
    page = client.get(_change_url(administrator)).content.decode()
    assert 'name="groups"' not in page and 'name="memberships-0-controller"' not in page
    data = _user_form(administrator, roles=[Role.ADMIN, Role.DPO], controllers=[], delete=[retta_oy])
    client.post(_change_url(administrator), data)
    assert set(administrator.groups.values_list("name", flat=True)) == {"admin"}
    assert Membership.objects.filter(user=administrator).count() == 2


def test_the_staff_list_shows_roles_controllers_and_two_factor_translated(web_as, administrator, dpo):
    otp_device_provision(user=dpo)
    html = web_as(administrator).get(reverse("admin:accounts_user_changelist"), HTTP_ACCEPT_LANGUAGE="fi").content
    html = html.decode()
    assert "Tietosuojavastaava" in html and "Retta Oy" in html
    assert "Kaksivaiheinen kirjautuminen käytössä" in html


def test_staff_accounts_are_deactivated_not_deleted(web_as, administrator, agent):
    response = web_as(administrator).post(reverse("admin:accounts_user_delete", args=[agent.pk]), {"post": "yes"})
    assert response.status_code == 403 and User.objects.filter(pk=agent.pk).exists()


def test_the_user_admin_needs_the_administrator(client, web_as, dpo):
    assert client.get(reverse("admin:accounts_user_changelist"))["Location"].startswith("/admin/login/")
    dpo.is_staff = True
    dpo.save(update_fields=["is_staff"])
    assert web_as(dpo).get(reverse("admin:accounts_user_changelist")).status_code == 403


# -- controllers ---------------------------------------------------------------------------------


def test_administrator_edits_a_controllers_details(web_as, administrator, isannointi):
    url = reverse("admin:core_controller_change", args=[isannointi.pk])
    data = {
        "name": "Retta Isännöinti Oy",
        "privacy_contact_email": "tietosuoja@isannointi.example",
        "address": "Esimerkkikatu 1, 00100 Helsinki",
    }
    client = web_as(administrator)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 302
    isannointi.refresh_from_db()
    assert isannointi.privacy_contact_email == "tietosuoja@isannointi.example"
    assert isannointi.slug == "retta-isannointi"
    event = AuditEvent.objects.get(action="change", object_type="core.controller")
    assert event.details == {"fields": ["address", "privacy_contact_email"]} and event.controller_id is None


def test_controller_details_are_checked(web_as, administrator, isannointi):
    url = reverse("admin:core_controller_change", args=[isannointi.pk])
    response = web_as(administrator).post(url, {"name": "", "privacy_contact_email": "not-an-address"})
    assert response.status_code == 400
    isannointi.refresh_from_db()
    assert isannointi.name == "Retta Isännöinti Oy"
    assert not AuditEvent.objects.filter(object_type="core.controller").exists()


def test_controllers_are_neither_added_nor_deleted(web_as, administrator, isannointi):
    client = web_as(administrator)
    assert client.get(reverse("admin:core_controller_add")).status_code == 403
    delete = reverse("admin:core_controller_delete", args=[isannointi.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Controller.objects.count() == 2


def test_an_administrator_sees_only_their_own_controllers(web_as, oy_administrator, isannointi, retta_oy):
    client = web_as(oy_administrator)
    listing = client.get(reverse("admin:core_controller_changelist")).content.decode()
    assert "Retta Oy" in listing and "Retta Isännöinti Oy" not in listing
    url = reverse("admin:core_controller_change", args=[isannointi.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "X", "privacy_contact_email": "x@example.fi"}).status_code == 404


def test_other_roles_do_not_manage_controllers(web_as, dpo, isannointi):
    dpo.is_staff = True
    dpo.save(update_fields=["is_staff"])
    url = reverse("admin:core_controller_change", args=[isannointi.pk])
    assert web_as(dpo).post(url, {"name": "X", "privacy_contact_email": "x@example.fi"}).status_code == 403


# -- login lockouts ------------------------------------------------------------------------------


def _lockout(username: str, failures: int = 5) -> AccessAttempt:
    return AccessAttempt.objects.create(
        username=username,
        ip_address="192.0.2.10",
        user_agent="test",
        path_info="/accounts/login/",
        failures_since_start=failures,
        attempt_time=timezone.now(),
        get_data="",
        post_data="",
        http_accept="text/html",
    )


def test_administrator_lists_and_lifts_a_lockout(web_as, administrator, agent):
    locked = _lockout("agent")
    _lockout("someone", failures=2)
    client = web_as(administrator)
    listing = client.get(reverse("admin:axes_accessattempt_changelist"), {"locked": "yes"}).content.decode()
    assert "agent" in listing and "someone" not in listing
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "lift_lockouts", "_selected_action": [locked.pk]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="agent").exists()
    assert AccessAttempt.objects.filter(username="someone").exists()
    event = AuditEvent.objects.get(action="unlock")
    assert event.object_id == str(locked.pk) and event.details == {"failures": 5} and event.controller_id is None
    # the agent may log in again at once
    answer = Client(REMOTE_ADDR="192.0.2.10").post(
        "/accounts/login/", {"username": "agent", "password": "correct horse battery"}
    )
    assert answer.status_code == 302


def test_a_lockout_is_never_deleted_unrecorded(web_as, administrator):
    locked = _lockout("agent")
    client = web_as(administrator)
    assert client.post(reverse("admin:axes_accessattempt_delete", args=[locked.pk]), {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=locked.pk).exists()


def test_other_roles_do_not_lift_lockouts(web_as, dpo):
    locked = _lockout("agent")
    dpo.is_staff = True
    dpo.save(update_fields=["is_staff"])
    response = web_as(dpo).post(
        reverse("admin:axes_accessattempt_changelist"), {"action": "lift_lockouts", "_selected_action": [locked.pk]}
    )
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=locked.pk).exists() and not AuditEvent.objects.filter(action="unlock")


def test_the_authenticator_pages_of_django_otp_are_not_in_the_admin(web_as, administrator):
    from django.contrib import admin

    assert TOTPDevice not in admin.site._registry and StaticDevice not in admin.site._registry
