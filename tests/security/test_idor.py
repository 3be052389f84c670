"""IDOR across controllers (P1, P9): no one reaches the other controller's records by id.

The harness walks every API endpoint with a path parameter (the URL conf, as the OpenAPI
generator sees it), finds the model its view serves (the view's queryset), makes a row of that
model at Retta Isännöinti Oy with the factory registered for it in
`tests.factories.OBJECT_FACTORIES` (or `tests/<app>/factories.py`), and asks for it with a token
of every role granted Retta Oy only:

- an outsider never gets 2xx, and gets 404 (not 403) whenever the same role at Isännöinti may
  read it: the record simply does not exist for them;
- for write methods the outsider gets 403, 404 or 405, never a 2xx or a validation error
  (which would tell that the record exists).

New endpoints are covered as soon as they are routed; an endpoint whose model has no factory is
skipped with a reason naming the factory to add.
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.test import override_settings
from django.urls import include, path
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIClient
from rest_framework.viewsets import ModelViewSet

from contacts.models import Contact
from core.roles import Role
from tests.factories import OBJECT_FACTORIES, make_user
from tests.security.endpoints import Endpoint, api_endpoints

pytestmark = pytest.mark.django_db

STAFF_ROLES = [Role.AGENT, Role.COMPLAINTS, Role.DPO, Role.ADMIN]


def _discover_factories() -> None:
    for app_config in apps.get_app_configs():
        try:
            import_module(f"tests.{app_config.label}.factories")
        except ModuleNotFoundError as error:
            if error.name not in {f"tests.{app_config.label}", f"tests.{app_config.label}.factories"}:
                raise


_discover_factories()


def _client(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _lookup_value(endpoint: Endpoint, obj) -> str:  # type: ignore[no-untyped-def]
    field = getattr(endpoint.view, "lookup_field", "pk")
    return str(getattr(obj, field))


def idor_findings(endpoint: Endpoint, owner, other) -> tuple[list[str], bool]:  # type: ignore[no-untyped-def]
    """Problems found for one endpoint, and whether any insider could read the row."""
    label = endpoint.model._meta.label_lower
    obj = OBJECT_FACTORIES[label](owner)
    url = endpoint.url(_lookup_value(endpoint, obj))
    method = endpoint.method.lower()
    problems, readable = [], False
    for role in STAFF_ROLES:
        outsider = make_user(f"idor-out-{role}", role, [other])
        answer = getattr(_client(outsider), method)(url)
        if method == "get":
            insider = make_user(f"idor-in-{role}", role, [owner])
            inside = _client(insider).get(url).status_code
            readable |= inside == 200
            expected = {404} if inside == 200 else {403, 404}
        else:
            expected = {403, 404, 405}
        if answer.status_code not in expected:
            problems.append(f"{role} at {other.slug}: {endpoint.method} {url} answered {answer.status_code}")
    return problems, readable


ENDPOINTS = [endpoint for endpoint in api_endpoints() if endpoint.params and not endpoint.inbound]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_the_other_controllers_record_answers_404(endpoint, isannointi, retta_oy):
    model = endpoint.model
    if model is None:
        pytest.skip(f"{endpoint}: the view names no queryset model (set queryset or handle swagger_fake_view)")
    label = model._meta.label_lower
    if label not in OBJECT_FACTORIES:
        pytest.skip(f"{endpoint}: no factory for {label}; add one with @object_factory({label!r})")
    problems, readable = idor_findings(endpoint, isannointi, retta_oy)
    assert not problems, problems
    if endpoint.method == "GET":
        assert readable, f"{endpoint}: no role at the owning controller could read the row, so nothing was proven"


def test_the_harness_covers_the_endpoints_of_this_tree():
    covered = {str(e) for e in ENDPOINTS if e.model is not None and e.model._meta.label_lower in OBJECT_FACTORIES}
    assert {"GET /api/v1/controllers/{slug}/", "GET /api/v1/audit-events/{pk}/"} <= covered


# -- the harness itself: it passes a scoped view and catches a leaking one -------------------


class ProbeContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "subject"]


class ScopedContacts(ModelViewSet):
    serializer_class = ProbeContactSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Contact.objects.all()  # the scoped manager: the active controllers only


class LeakyContacts(ScopedContacts):
    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Contact.all_controllers.all()  # forgets the scope: an IDOR


def _probe_urlconf(viewset: type) -> type:
    router = SimpleRouter()
    router.register("probe", viewset, basename="probe")
    return type("ProbeURLConf", (), {"urlpatterns": [path("api/v1/", include(router.urls))]})


def _probe(viewset: type, owner, other) -> tuple[list[str], bool]:  # type: ignore[no-untyped-def]
    urlconf = _probe_urlconf(viewset)
    with override_settings(ROOT_URLCONF=urlconf):
        detail = next(e for e in api_endpoints(urlconf) if e.params and e.method == "GET")
        return idor_findings(detail, owner, other)


def test_the_harness_passes_a_scoped_view(isannointi, retta_oy):
    problems, readable = _probe(ScopedContacts, isannointi, retta_oy)
    assert not problems and readable


def test_the_harness_catches_a_view_that_forgets_the_scope(isannointi, retta_oy):
    problems, _readable = _probe(LeakyContacts, isannointi, retta_oy)
    assert problems and all("answered 200" in problem for problem in problems)


# -- pages: no page with an id shows the other controller's record ----------------------------
# Pages are function views that name no model, so every record the factories can make is tried
# on every page that takes one integer id: a unique marker written into the record must never
# appear in a page served to someone granted only the other controller.

ADMIN_PREFIX = "admin/"


def _id_pages(patterns=None, prefix: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    pages = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex routes: the admin and the API router, covered elsewhere
        route = prefix + str(entry.pattern)
        if route.startswith((ADMIN_PREFIX, "api/")):
            continue
        if isinstance(entry, URLResolver):
            pages.extend(_id_pages(entry.url_patterns, route))
        elif isinstance(entry, URLPattern) and list(entry.pattern.converters) and len(entry.pattern.converters) == 1:
            converter = next(iter(entry.pattern.converters.values()))
            if type(converter).__name__ == "IntConverter":
                pages.append("/" + route)
    return sorted(set(pages))


def _marked_records(owner) -> list[tuple[object, str]]:  # type: ignore[no-untyped-def]
    """One row per factory of a controller-scoped model, each with a unique text marker."""
    import uuid

    from django.db import models

    from core.scoping import ControllerScopedModel

    records = []
    for factory in OBJECT_FACTORIES.values():
        obj = factory(owner)
        if not isinstance(obj, ControllerScopedModel):
            continue
        marker = f"idor{uuid.uuid4().hex[:12]}"
        for field in obj._meta.concrete_fields:
            if (
                isinstance(field, models.CharField | models.TextField)
                and not field.choices
                and not field.unique
                and (field.max_length or 1000) >= len(marker)
            ):
                type(obj)._base_manager.filter(pk=obj.pk).update(**{field.attname: marker})
                records.append((obj, marker))
                break
    return records


def page_findings(pages: list[str], web_client_for, owner, other) -> list[str]:  # type: ignore[no-untyped-def]
    import re

    records = _marked_records(owner)
    problems = []
    for role in STAFF_ROLES:
        client = web_client_for(make_user(f"page-out-{role}", role, [other]))
        for page in pages:
            for obj, marker in records:
                url = re.sub(r"<[^>]+>", str(obj.pk), page)
                response = client.get(url)
                if response.status_code >= 500:
                    problems.append(f"{role} at {other.slug}: {url} answered {response.status_code}")
                elif response.status_code == 200 and marker in response.content.decode(errors="replace"):
                    problems.append(f"{role} at {other.slug}: {url} shows {obj._meta.label_lower} {obj.pk}")
    return problems


def _web_client_for(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    from accounts.otp import otp_required_for
    from tests.factories import otp_verify_client

    client = Client(raise_request_exception=False)
    if otp_required_for(user):
        return otp_verify_client(client, user)
    client.force_login(user)
    return client


def test_no_page_with_an_id_shows_the_other_controllers_record(isannointi, retta_oy):
    pages = _id_pages()
    if not pages:
        pytest.skip("no page takes an integer id in this tree yet")
    assert not page_findings(pages, _web_client_for, isannointi, retta_oy)


def _contact_page(request, pk):  # type: ignore[no-untyped-def]
    from django.http import HttpResponse

    from core.scoping import get_scoped_or_404

    return HttpResponse(get_scoped_or_404(Contact, pk=pk).name)


def _leaky_contact_page(request, pk):  # type: ignore[no-untyped-def]
    from django.http import HttpResponse
    from django.shortcuts import get_object_or_404

    return HttpResponse(get_object_or_404(Contact.all_controllers, pk=pk).name)


def test_the_page_walk_catches_a_page_that_forgets_the_scope(isannointi, retta_oy):
    from retta_cs.urls import urlpatterns as site

    probes = [path("probe/<int:pk>/", _contact_page), path("leaky/<int:pk>/", _leaky_contact_page)]
    urlconf = type("PageURLConf", (), {"urlpatterns": [*probes, *site]})
    with override_settings(ROOT_URLCONF=urlconf):
        pages = _id_pages()
        assert {"/leaky/<int:pk>/", "/probe/<int:pk>/"} <= set(pages)
        problems = page_findings(["/leaky/<int:pk>/", "/probe/<int:pk>/"], _web_client_for, isannointi, retta_oy)
    assert problems and all("/leaky/" in problem and "shows contacts.contact" in problem for problem in problems)
