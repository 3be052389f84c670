"""One URL convention for the whole API (core.routers): every route of the schema answers with and
without a trailing slash, from the same view, never by a redirect (a redirected POST loses its
body)."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve, reverse
from drf_spectacular.generators import SchemaGenerator

from privacy.models import PrivacyRequest
from tests.privacy.factories import make_privacy_request

pytestmark = pytest.mark.django_db

_PARAM = re.compile(r"{(\w+)}")


def _schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "patch", "put", "delete"}
    ]


def _both_forms(path: str) -> tuple[str, str]:
    url = _PARAM.sub(lambda m: "retta-oy" if m.group(1) == "slug" else "1", path)
    return url, (url.removesuffix("/") if url.endswith("/") else f"{url}/")


def test_the_schema_documents_lists_and_records_with_a_slash_and_actions_without():
    paths = {path for path, _method in _schema_operations()}
    assert "/api/v1/contacts/" in paths
    assert "/api/v1/contacts/{id}/" in paths
    assert "/api/v1/tasks/{id}/close" in paths
    assert "/api/v1/complaints/{id}/transition" in paths
    assert "/api/v1/privacy-requests/{id}/verify-identity" in paths
    assert "/api/v1/inbound/email" in paths
    # Each route once: the other form is an alias, not a second operation.
    assert not {path.removesuffix("/") for path in paths if path.endswith("/")} & paths
    assert not {f"{path}/" for path in paths} & paths


def test_every_route_of_the_schema_answers_in_both_forms_without_a_redirect(api):
    operations = _schema_operations()
    assert len(operations) > 40
    for path, method in operations:
        documented, other = _both_forms(path)
        one, two = resolve(documented), resolve(other)
        assert one.func.cls is two.func.cls, path
        assert getattr(one.func, "actions", None) == getattr(two.func, "actions", None), path
        # Without credentials every API operation is a 401 from the view itself: routed, not redirected.
        for url in (documented, other):
            answer = getattr(api, method)(url)
            assert answer.status_code == 401, (method, url, answer.status_code)


def test_url_names_give_the_documented_form():
    assert reverse("contact-list") == "/api/v1/contacts/"
    assert reverse("contact-detail", args=[7]) == "/api/v1/contacts/7/"
    assert reverse("task-close", args=[7]) == "/api/v1/tasks/7/close"
    assert reverse("complaint-transition", args=[7]) == "/api/v1/complaints/7/transition"
    assert reverse("privacy-request-verify-identity", args=[7]) == "/api/v1/privacy-requests/7/verify-identity"
    assert reverse("inbound-email") == "/api/v1/inbound/email"
    assert reverse("contact-recording", args=[7]) == "/api/v1/contacts/7/recording"


@pytest.mark.parametrize("slash", ["", "/"])
def test_identity_check_posted_to_the_documented_path_is_recorded(api_as, dpo, isannointi, slash):
    request = make_privacy_request(isannointi)
    answer = api_as(dpo).post(
        f"/api/v1/privacy-requests/{request.pk}/verify-identity{slash}", {"method": "email_on_file"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["identity_checked"] is True
    assert PrivacyRequest.objects.get(pk=request.pk).identity_verified


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/api/v1/contacts"])
def test_a_list_answers_in_both_forms(api_as, agent, path):
    assert api_as(agent).get(path).status_code == 200
