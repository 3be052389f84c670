from core.routers import ApiRouter
from privacy.api import PrivacyRequestViewSet

router = ApiRouter()
router.register("privacy-requests", PrivacyRequestViewSet, basename="privacy-request")
urlpatterns = router.urls
