from django.urls import path

from contacts import reply_views, views

app_name = "contacts"
urlpatterns = [
    path("<int:pk>/reply", reply_views.contact_reply, name="contact_reply"),
    path("", views.contact_list, name="contact_list"),
    path("<int:pk>/", views.contact_detail, name="contact_detail"),
    path("<int:pk>/relink/", views.contact_relink, name="contact_relink"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("calls/new/", views.call_new, name="call_new"),
    path("customers/lookup/", views.customer_lookup, name="customer_lookup"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="task_assign"),
    path("tasks/<int:pk>/close/", views.task_close, name="task_close"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
]
