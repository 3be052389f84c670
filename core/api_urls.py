from core.api import AuditEventViewSet, ControllerViewSet
from core.routers import ApiRouter

router = ApiRouter()
router.register("controllers", ControllerViewSet, basename="controller")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
urlpatterns = router.urls
