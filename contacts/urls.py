from django.urls import path

from contacts.views import contacts, customers, quality, replies, tasks

app_name = "contacts"
urlpatterns = [
    path("<int:pk>/reply", replies.contact_reply, name="contact_reply"),
    path("<int:pk>/reply-status/", replies.reply_status, name="reply_status"),
    path("<int:pk>/reply-retry/", replies.reply_retry_view, name="reply_retry"),
    path("", contacts.contact_list, name="contact_list"),
    path("<int:pk>/", contacts.contact_detail, name="contact_detail"),
    path("<int:pk>/relink/", contacts.contact_relink, name="contact_relink"),
    path("attachments/<int:pk>/", contacts.attachment_download, name="attachment_download"),
    path("calls/new/", contacts.call_new, name="call_new"),
    path("customers/lookup/", contacts.customer_lookup, name="customer_lookup"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/merge/search/", customers.customer_merge_search, name="customer_merge_search"),
    path("customers/<int:pk>/merge/", customers.customer_merge, name="customer_merge"),
    path("quality-sample/", quality.quality_sample, name="quality_sample"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/assign/", tasks.task_assign, name="task_assign"),
    path("tasks/<int:pk>/close/", tasks.task_close, name="task_close"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task_reopen"),
]
