from complaints.api import ComplaintViewSet, DisclosureViewSet, LegalHoldViewSet
from core.routers import ApiRouter

router = ApiRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("disclosures", DisclosureViewSet, basename="disclosure")
router.register("legal-holds", LegalHoldViewSet, basename="legal-hold")
urlpatterns = router.urls
