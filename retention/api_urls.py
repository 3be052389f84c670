from core.routers import ApiRouter
from retention.api import PurgeRunViewSet

router = ApiRouter()
router.register("purge-runs", PurgeRunViewSet, basename="purge-run")
urlpatterns = router.urls
