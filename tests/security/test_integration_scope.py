"""Integration accounts (mail server, telephony, chat) reach only the inbound endpoints (P9)."""

import pytest
from django.test import override_settings
from django.urls import include, path
from rest_framework import viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from core.access import Action, Area, AreaPermission
from core.roles import inbound_endpoint
from tests.security.endpoints import api_endpoints

pytestmark = pytest.mark.django_db


class ScopedInbound(APIView):
    throttle_scope = "inbound"
    permission_classes = [AreaPermission.for_area(Area.INBOUND, write=Action.CREATE)]

    def post(self, request):
        return Response(status=201)


class FlaggedInbound(APIView):
    inbound = True  # default permissions: any authenticated user

    def post(self, request):
        return Response(status=201)


@inbound_endpoint
@api_view(["POST"])
def decorated_inbound(request):
    return Response(status=201)


@api_view(["GET"])
def plain_function(request):
    return Response({})


class MixedViewSet(viewsets.ViewSet):
    throttle_scope = None  # declared, so that one action may set it (DRF accepts only known names)

    def list(self, request):
        return Response([])

    @action(detail=False, methods=["post"], throttle_scope="inbound")
    def call(self, request):
        return Response(status=201)


router = SimpleRouter()
router.register("mixed", MixedViewSet, basename="mixed")
urlpatterns = [
    path("api/v1/inbound/scoped", ScopedInbound.as_view()),
    path("api/v1/inbound/flagged", FlaggedInbound.as_view()),
    path("api/v1/inbound/decorated", decorated_inbound),
    path("api/v1/plain", plain_function),
    path("api/v1/", include(router.urls)),
]


def test_integration_token_is_refused_outside_the_inbound_endpoints(api_as, integration):
    client = api_as(integration)
    for url in ("/api/v1/controllers/", "/api/v1/controllers/retta-oy/", "/api/v1/audit-events/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403, url
        assert "inbound" in response.json()["detail"]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    "url", ["/api/v1/inbound/scoped", "/api/v1/inbound/flagged", "/api/v1/inbound/decorated", "/api/v1/mixed/call/"]
)
def test_each_way_of_marking_a_view_inbound_lets_the_integration_in(api_as, integration, url):
    assert api_as(integration).post(url).status_code == 201


@override_settings(ROOT_URLCONF=__name__)
def test_unmarked_views_refuse_the_integration(api_as, integration, agent):
    client = api_as(integration)
    assert client.get("/api/v1/plain").status_code == 403
    assert client.get("/api/v1/mixed/").status_code == 403
    assert api_as(agent).get("/api/v1/mixed/").status_code == 200


@override_settings(ROOT_URLCONF=__name__)
def test_inbound_endpoints_keep_their_role_check(api, api_as, agent):
    assert api_as(agent).post("/api/v1/inbound/scoped").status_code == 403
    api.credentials()
    assert api.post("/api/v1/inbound/scoped").status_code == 401


@override_settings(ROOT_URLCONF=__name__)
def test_the_endpoint_walk_sees_which_views_are_inbound():
    seen = {str(endpoint): endpoint.inbound for endpoint in api_endpoints()}
    assert seen["POST /api/v1/inbound/scoped"] and seen["POST /api/v1/inbound/decorated"]
    assert seen["POST /api/v1/mixed/call/"] and not seen["GET /api/v1/mixed/"]
    assert not seen["GET /api/v1/plain"]


ENDPOINTS = api_endpoints()


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.inbound], ids=str)
def test_every_endpoint_that_is_not_inbound_refuses_an_integration_token(api_as, integration, endpoint):
    """Walks the real URL conf: an app adding a view that forgets the rule fails here."""
    response = getattr(api_as(integration), endpoint.method.lower())(endpoint.url())
    assert response.status_code == 403, f"{endpoint} answered {response.status_code} to an integration token"
