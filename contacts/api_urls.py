from contacts.api import ContactViewSet, CustomerViewSet, TaskViewSet
from contacts.api_inbound import InboundCallView, InboundChatView, InboundEmailView
from contacts.api_recording import ContactRecordingView
from core.routers import ApiRouter, api_path

router = ApiRouter()
router.register("contacts", ContactViewSet, basename="contact")
router.register("customers", CustomerViewSet, basename="customer")
router.register("tasks", TaskViewSet, basename="task")
urlpatterns = [
    *api_path("inbound/email", InboundEmailView.as_view(), name="inbound-email"),
    *api_path("inbound/chat", InboundChatView.as_view(), name="inbound-chat"),
    *api_path("inbound/call", InboundCallView.as_view(), name="inbound-call"),
    *api_path("contacts/<int:pk>/recording", ContactRecordingView.as_view(), name="contact-recording"),
    *router.urls,
]
