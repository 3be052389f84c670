"""The one role matrix (core.access) says what each role may do, and everything reads it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.services import roles_sync
from core.access import ACCESS, Action, Area, can, roles_with, sees_restricted_content
from core.roles import Role
from core.selectors import staff_with_access
from tests.factories import make_user

pytestmark = pytest.mark.django_db

R, C, W = Action.READ, Action.CREATE, Action.CHANGE

# DESIGN.md, Roles, written out cell by cell: a change to the matrix must change this table too.
DESIGN_TABLE = {
    Area.CUSTOMER_SERVICE: {Role.AGENT: {R, C, W}, Role.COMPLAINTS: {R}, Role.DPO: {R}},
    Area.COMPLAINTS: {Role.AGENT: {C}, Role.COMPLAINTS: {R, C, W}, Role.DPO: {R, C, W}},
    Area.DISCLOSURES: {Role.AGENT: {C}, Role.COMPLAINTS: {R, C}, Role.DPO: {R, C}},
    Area.DATA_PROTECTION: {Role.DPO: {R, C, W}},
    Area.ADMINISTRATION: {Role.ADMIN: {R, C, W}},
    Area.INBOUND: {Role.INTEGRATION: {C}},
}


@pytest.mark.parametrize("area", list(Area))
@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_granted_exactly_what_the_design_table_says(isannointi, area, role):
    user = make_user(f"u-{role}-{area}"[:30], role, [isannointi])
    for action in Action:
        expected = action in DESIGN_TABLE[area].get(role, set())
        assert can(user, area, action) is expected, (role, area, action)


def test_matrix_has_every_area():
    assert set(ACCESS) == set(Area)


def test_an_inactive_or_anonymous_user_may_do_nothing(isannointi):
    from django.contrib.auth.models import AnonymousUser

    dpo = make_user("gone", Role.DPO, [isannointi])
    dpo.is_active = False
    for user in (dpo, AnonymousUser()):
        assert not any(can(user, area, action) for area in Area for action in Action)


def test_only_the_dpo_sees_restricted_content(isannointi):
    assert sees_restricted_content(make_user("d", Role.DPO, [isannointi]))
    for role in (Role.AGENT, Role.COMPLAINTS, Role.ADMIN, Role.INTEGRATION):
        assert not sees_restricted_content(make_user(f"x-{role}", role, [isannointi]))


def test_role_groups_get_the_model_permissions_the_matrix_grants(isannointi):
    roles_sync()
    agent = set(Group.objects.get(name=Role.AGENT).permissions.values_list("content_type__app_label", "codename"))
    assert ("contacts", "change_contact") in agent
    assert ("complaints", "add_complaint") in agent
    assert ("complaints", "view_complaint") not in agent
    assert not any(app == "privacy" for app, _codename in agent)
    handler = set(
        Group.objects.get(name=Role.COMPLAINTS).permissions.values_list("content_type__app_label", "codename")
    )
    assert ("contacts", "view_contact") in handler
    assert ("contacts", "change_contact") not in handler
    assert ("complaints", "view_legalhold") not in handler
    dpo = set(Group.objects.get(name=Role.DPO).permissions.values_list("content_type__app_label", "codename"))
    assert ("complaints", "change_legalhold") in dpo
    assert ("privacy", "view_privacyrequest") in dpo
    admin = set(Group.objects.get(name=Role.ADMIN).permissions.values_list("content_type__app_label", "codename"))
    assert ("contacts", "change_mailbox") in admin
    assert ("contacts", "view_contact") not in admin


def test_assignable_staff_are_read_from_the_matrix(isannointi, retta_oy):
    agent = make_user("a1", Role.AGENT, [isannointi])
    make_user("h1", Role.COMPLAINTS, [isannointi])
    make_user("a2", Role.AGENT, [retta_oy])
    assert list(staff_with_access(Area.CUSTOMER_SERVICE, Action.CHANGE, controller_ids=[isannointi.pk])) == [agent]
    assert set(roles_with(Area.COMPLAINTS, Action.CHANGE)) == {Role.COMPLAINTS, Role.DPO}
