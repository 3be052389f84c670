from rest_framework.routers import SimpleRouter

from contacts.api import ContactViewSet, CustomerViewSet, TaskViewSet

# DESIGN.md writes actions without a trailing slash (`/tasks/{id}/close`): both forms route.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("contacts", ContactViewSet, basename="contact")
router.register("customers", CustomerViewSet, basename="customer")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = router.urls
