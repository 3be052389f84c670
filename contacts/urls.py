from django.urls import path

from contacts import reply_views

app_name = "contacts"
urlpatterns: list = [
    path("<int:pk>/reply", reply_views.contact_reply, name="contact_reply"),
]
