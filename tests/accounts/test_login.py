import pytest
from django.test import override_settings

from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_login_and_logout(client, agent):
    response = client.post("/accounts/login/", {"username": "agent", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/", follow=True).status_code == 200
    assert AuditEvent.objects.filter(actor=agent, action="login").count() == 1
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(actor=agent, action="logout").count() == 1
    assert client.get("/").status_code == 302


def test_wrong_password_shows_an_error(client, agent):
    response = client.post("/accounts/login/", {"username": "agent", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


@override_settings(AXES_FAILURE_LIMIT=3)
def test_axes_locks_out_after_the_configured_failures(client, agent):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "agent", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "agent", "password": "correct horse battery"})
    assert response.status_code == 429
    assert client.get("/").status_code == 302  # still not logged in


def test_home_page_per_role(web_as, agent, dpo):
    assert web_as(dpo).get("/").status_code == 200
    assert b"/audit/" in web_as(dpo).get("/").content
    assert b"/audit/" not in web_as(agent).get("/").content


def test_passwords_are_hashed_with_argon2_in_production():
    from retta_cs import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
