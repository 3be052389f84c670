from rest_framework.routers import SimpleRouter

from privacy.api import PrivacyRequestViewSet

router = SimpleRouter()
router.register("privacy-requests", PrivacyRequestViewSet, basename="privacy-request")
urlpatterns = router.urls
