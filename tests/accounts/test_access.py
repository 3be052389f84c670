"""A user's roles and controllers: read together in one query per request."""

import pytest
from django.contrib.auth import get_user_model

from core.roles import Role, has_role, user_roles

pytestmark = pytest.mark.django_db


def test_roles_and_controllers_come_from_one_query(dpo, isannointi, retta_oy, django_assert_num_queries):
    user = get_user_model().objects.get(pk=dpo.pk)  # a fresh instance, as each request has
    with django_assert_num_queries(1):
        assert user_roles(user) == frozenset({Role.DPO})
        assert user.controller_ids() == sorted([isannointi.pk, retta_oy.pk])
        assert has_role(user, Role.DPO)
        assert not has_role(user, Role.AGENT)


def test_a_user_of_one_controller_sees_only_it(outsider, retta_oy):
    user = get_user_model().objects.get(pk=outsider.pk)
    assert user.controller_ids() == [retta_oy.pk]
    assert Role.AGENT in user_roles(user)


def test_an_inactive_user_has_no_roles_and_no_controllers(agent):
    agent.is_active = False
    agent.save()
    user = get_user_model().objects.get(pk=agent.pk)
    assert user_roles(user) == frozenset()
    assert user.controller_ids() == []


def test_groups_that_are_not_roles_are_ignored(agent):
    from django.contrib.auth.models import Group

    agent.groups.add(Group.objects.create(name="coffee club"))
    user = get_user_model().objects.get(pk=agent.pk)
    assert user_roles(user) == frozenset({Role.AGENT})
    assert "coffee club" in user.group_names()
