from django.urls import path
from rest_framework.routers import SimpleRouter

from contacts.api_inbound import InboundCallView, InboundChatView, InboundEmailView
from contacts.api_recording import ContactRecordingView

router = SimpleRouter()
urlpatterns = [
    path("inbound/email", InboundEmailView.as_view(), name="inbound-email"),
    path("inbound/chat", InboundChatView.as_view(), name="inbound-chat"),
    path("inbound/call", InboundCallView.as_view(), name="inbound-call"),
    path("contacts/<int:pk>/recording", ContactRecordingView.as_view(), name="contact-recording"),
    *router.urls,
]
