import pytest

from core.models import Controller

pytestmark = pytest.mark.django_db


def test_both_controllers_exist_after_migrate(isannointi):
    # The fixture puts back the migration's rows when a transactional test has flushed them.
    controllers = {c.slug: c for c in Controller.objects.all()}
    assert set(controllers) == {"retta-isannointi", "retta-oy"}
    assert controllers["retta-isannointi"].business_id == "0871684-7"
    assert controllers["retta-isannointi"].name == "Retta Isännöinti Oy"
    assert controllers["retta-oy"].business_id == "3434128-4"
    assert all(c.privacy_contact_email for c in controllers.values())


def test_controllers_api_lists_only_the_users_controllers(api_as, outsider):
    response = api_as(outsider).get("/api/v1/controllers/")
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()["results"]] == ["retta-oy"]


def test_controllers_api_other_controller_is_404(api_as, outsider):
    assert api_as(outsider).get("/api/v1/controllers/retta-isannointi/").status_code == 404
    assert api_as(outsider).get("/api/v1/controllers/retta-oy/").status_code == 200


def test_controllers_api_needs_credentials(api):
    response = api.get("/api/v1/controllers/")
    assert response.status_code == 401


def test_controllers_api_rejects_a_bad_token(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get("/api/v1/controllers/").status_code == 401
