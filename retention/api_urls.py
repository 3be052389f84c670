from rest_framework.routers import SimpleRouter

from retention.api import PurgeRunViewSet

router = SimpleRouter()
router.register("purge-runs", PurgeRunViewSet, basename="purge-run")
urlpatterns = router.urls
