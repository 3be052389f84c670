"""Production settings: `check --deploy` is clean, TLS is terminated by the proxy, health."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="retta_cs.settings",
        SECRET_KEY="a-production-like-secret-key-" + "q7Z" * 20,
        ALLOWED_HOSTS="asiakaspalvelu.retta.fi",
        DEBUG="false",
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_secret_key_stops_start_up_with_a_clear_error():
    env = _production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_malformed_boolean_stops_start_up():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(DEBUG="maybe"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


@override_settings(SECURE_SSL_REDIRECT=True)
def test_https_from_the_proxy_is_not_redirected_again(client):
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


def test_pages_carry_a_content_security_policy_without_inline_script(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert b"<script>" not in response.content


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_reports_a_stopped_broker_as_unhealthy(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unhealthy", "database": "ok", "broker": "unreachable"}


def test_api_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/controllers/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def _compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_every_part_of_the_system_with_health_checks():
    services = _compose()["services"]
    assert {"migrate", "web", "worker", "beat", "db", "redis", "minio", "createbucket"} <= set(services)
    assert services["db"]["image"] == "postgres:15" and services["redis"]["image"] == "redis:7"
    one_shots = {name for name, service in services.items() if service.get("restart") == "no"}
    assert one_shots == {"migrate", "createbucket"}
    for name, service in services.items():
        if name not in one_shots:
            assert "healthcheck" in service, f"{name} has no health check"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert "gunicorn" in services["web"]["command"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]


def test_compose_holds_no_secrets():
    import re

    services = _compose()["services"]
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"SECRET|PASSWORD|KEY|DATABASE_URL", key):
                assert "${" in str(value), f"{name}.{key} is written into the file"
                assert ":?" in str(value), f"{name}.{key} must come from .env (required)"


def test_image_runs_as_a_plain_user_with_static_files_collected():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER retta\n" in dockerfile
    assert "DEBUG=false python manage.py collectstatic --noinput" in dockerfile
    assert "compilemessages" not in dockerfile


def test_env_example_lists_every_setting_read_from_the_environment():
    import re

    settings_source = (ROOT / "retta_cs" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+|_bool|_positive_int|_rate)\(\s*"([A-Z0-9_]+)"', settings_source))
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read - listed == set(), "add these to .env.example"


def _gunicorn_settings(**environment: str) -> dict:
    import runpy
    from unittest import mock

    with mock.patch.dict(os.environ, environment):
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_settings_are_shared_by_the_image_compose_and_the_load_test():
    assert (ROOT / "Dockerfile").read_text().count('CMD ["gunicorn", "retta_cs.wsgi:application"]') == 1
    assert _compose()["services"]["web"]["command"] == ["gunicorn", "retta_cs.wsgi:application"]
    settings = _gunicorn_settings()
    assert settings["workers"] == 3 and settings["threads"] == 4 and settings["worker_class"] == "gthread"
    # Longer than gunicorn's default of 2 s, which reset reused connections under load.
    assert settings["keepalive"] >= 5
    assert _gunicorn_settings(WEB_CONCURRENCY="7", GUNICORN_THREADS="2")["workers"] == 7
