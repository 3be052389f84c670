from django.urls import path
from rest_framework.routers import SimpleRouter

from contacts.api import ContactViewSet, CustomerViewSet, TaskViewSet
from contacts.api_inbound import InboundCallView, InboundChatView, InboundEmailView
from contacts.api_recording import ContactRecordingView

# DESIGN.md writes actions without a trailing slash (`/tasks/{id}/close`): both forms route.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("contacts", ContactViewSet, basename="contact")
router.register("customers", CustomerViewSet, basename="customer")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = [
    path("inbound/email", InboundEmailView.as_view(), name="inbound-email"),
    path("inbound/chat", InboundChatView.as_view(), name="inbound-chat"),
    path("inbound/call", InboundCallView.as_view(), name="inbound-call"),
    path("contacts/<int:pk>/recording", ContactRecordingView.as_view(), name="contact-recording"),
    *router.urls,
]
