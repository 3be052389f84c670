from rest_framework.routers import SimpleRouter

from core.api import AuditEventViewSet, ControllerViewSet

router = SimpleRouter()
router.register("controllers", ControllerViewSet, basename="controller")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
urlpatterns = router.urls
