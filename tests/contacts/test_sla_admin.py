"""Administrators keep the service levels in the Django admin; refused values never save."""

import pytest

from contacts.models import SlaPolicy

pytestmark = pytest.mark.django_db


def test_an_administrator_sets_a_service_level_and_a_bad_one_is_refused(web_as, admin_user, agent, isannointi):
    admin_user.is_staff = True  # as accounts.services sets it for the administrator role
    admin_user.save(update_fields=["is_staff"])
    client = web_as(admin_user)
    url = "/admin/contacts/slapolicy/add/"
    assert client.get(url).status_code == 200
    base = {"controller": isannointi.pk, "channel": "email"}
    assert client.post(url, {**base, "first_response_minutes": 60, "resolution_minutes": 30}).status_code == 200
    assert not SlaPolicy.objects.exists()
    assert client.post(url, {**base, "first_response_minutes": 60, "resolution_minutes": 1440}).status_code == 302
    assert SlaPolicy.objects.get().resolution_minutes == 1440
    assert web_as(agent).get(url).status_code in (302, 403)
