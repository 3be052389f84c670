from django.urls import path

from contacts.views import contacts, customers, inbox, quality, replies, tasks

app_name = "contacts"
urlpatterns = [
    path("<int:pk>/reply", replies.contact_reply, name="contact_reply"),
    path("<int:pk>/reply-status/", replies.reply_status, name="reply_status"),
    path("<int:pk>/reply-retry/", replies.reply_retry_view, name="reply_retry"),
    path("", contacts.contact_list, name="contact_list"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/filters/", inbox.inbox_filter_save, name="inbox_filter_save"),
    path("inbox/filters/<int:pk>/delete/", inbox.inbox_filter_delete, name="inbox_filter_delete"),
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
    path("tasks/new/", tasks.task_new, name="task_new"),
    path("<int:pk>/ticket/", tasks.task_from_contact, name="task_from_contact"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/notes/", tasks.task_note, name="task_note"),
    path("tasks/<int:pk>/triage/", tasks.task_triage, name="task_triage"),
    path("tasks/<int:pk>/merge/", tasks.task_merge, name="task_merge"),
    path("tasks/<int:pk>/assign/", tasks.task_assign, name="task_assign"),
    path("tasks/<int:pk>/close/", tasks.task_close, name="task_close"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task_reopen"),
]
