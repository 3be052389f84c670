import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_create_staff_with_role_and_controllers(capsys, isannointi, retta_oy):
    call_command(
        "create_staff",
        "liisa",
        "--role",
        "dpo",
        "--controller",
        "retta-oy",
        "--controller",
        "retta-isannointi",
        "--password",
        "a long pass phrase",
    )
    user = User.objects.get(username="liisa")
    assert set(user.groups.values_list("name", flat=True)) == {"dpo"}
    assert sorted(user.controller_ids()) == sorted([isannointi.pk, retta_oy.pk])
    assert user.check_password("a long pass phrase")


def test_create_staff_without_password_prints_one(capsys, isannointi):
    call_command("create_staff", "pekka", "--role", "agent", "--controller", "retta-isannointi")
    printed = capsys.readouterr().out
    password = printed.split("password: ")[1].strip()
    assert User.objects.get(username="pekka").check_password(password)


def test_create_staff_unknown_controller_fails_cleanly(isannointi):
    with pytest.raises(CommandError, match="Unknown controller"):
        call_command("create_staff", "x", "--role", "agent", "--controller", "nope")
    assert not User.objects.filter(username="x").exists()


def test_issue_token_prints_a_working_token(capsys, api, agent):
    call_command("issue_token", "agent")
    key = capsys.readouterr().out.strip()
    assert Token.objects.get(user=agent).key == key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/controllers/").status_code == 200


def test_issue_token_unknown_user(isannointi):
    with pytest.raises(CommandError):
        call_command("issue_token", "nobody")


def test_seed_demo_is_safe_to_run_twice_and_prints_logins(capsys, isannointi):
    call_command("seed_demo")
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert "tietosuoja" in printed and "demo-tietosuoja-2026" in printed
    assert User.objects.filter(username="agentti").count() == 1
    from django.test import Client

    client = Client()
    response = client.post("/accounts/login/", {"username": "agentti", "password": "demo-agentti-2026"})
    assert response.status_code == 302
    assert client.get("/", follow=True).status_code == 200
