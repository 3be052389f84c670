"""The one serializer field for a controller: by slug, only the user's own."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from core.api import UserControllerField
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


class ControllerChoice(serializers.Serializer):
    controller = UserControllerField()


class EventShown(serializers.ModelSerializer):
    controller = UserControllerField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "controller"]


def _context(user):  # type: ignore[no-untyped-def]
    request = APIRequestFactory().get("/")
    request.user = user
    return {"request": request}


def test_a_user_may_choose_only_their_own_controllers(outsider, isannointi):
    assert ControllerChoice(data={"controller": "retta-oy"}, context=_context(outsider)).is_valid()
    refused = ControllerChoice(data={"controller": "retta-isannointi"}, context=_context(outsider))
    assert not refused.is_valid()
    assert "retta-isannointi" in str(refused.errors["controller"][0])


def test_a_controller_is_shown_by_slug_from_the_users_list(dpo, isannointi, retta_oy, django_assert_num_queries):
    events = [
        AuditEvent.objects.create(action="view", purpose="customer_service", controller=controller)
        for controller in (isannointi, retta_oy)
    ] + [AuditEvent.objects.create(action="login", purpose="security")]
    context = _context(dpo)
    dpo.controller_slugs()  # the request has loaded the user's access already
    with django_assert_num_queries(0):
        shown = EventShown(events, many=True, context=context).data
    assert [row["controller"] for row in shown] == ["retta-isannointi", "retta-oy", None]


def test_outside_a_request_the_slug_is_read_from_the_database(retta_oy):
    event = AuditEvent.objects.create(action="view", purpose="customer_service", controller=retta_oy)
    assert EventShown(event).data["controller"] == "retta-oy"
