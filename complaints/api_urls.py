from rest_framework.routers import DynamicRoute, SimpleRouter

from complaints.api import ComplaintViewSet, DisclosureViewSet, LegalHoldViewSet


class ActionRouter(SimpleRouter):
    """Actions without a trailing slash, as DESIGN.md names them: `/complaints/{id}/transition`."""

    routes = [
        route._replace(url=route.url.replace("{url_path}{trailing_slash}", "{url_path}"))
        if isinstance(route, DynamicRoute)
        else route
        for route in SimpleRouter.routes
    ]


router = ActionRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("disclosures", DisclosureViewSet, basename="disclosure")
router.register("legal-holds", LegalHoldViewSet, basename="legal-hold")
urlpatterns = router.urls
