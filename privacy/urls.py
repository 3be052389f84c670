from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.request_new, name="request_new"),
    path("<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/verify-identity/", views.request_verify, name="request_verify"),
    path("<int:pk>/identifiers/", views.request_identifier_add, name="request_identifier_add"),
    path("<int:pk>/discover/", views.request_discover, name="request_discover"),
    path("<int:pk>/matches/", views.request_matches, name="request_matches"),
    path("<int:pk>/execute/", views.request_execute, name="request_execute"),
    path("<int:pk>/erase/", views.request_erase_confirm, name="request_erase_confirm"),
    path("<int:pk>/extend/", views.request_extend, name="request_extend"),
    path("<int:pk>/reject/", views.request_reject, name="request_reject"),
    path("<int:pk>/notes/", views.request_notes, name="request_notes"),
    path("<int:pk>/letters/", views.request_letter, name="request_letter"),
    path("<int:pk>/lift-restriction/", views.request_lift_restriction, name="request_lift_restriction"),
    path("<int:pk>/redactions/", views.request_redact, name="request_redact"),
    path("<int:pk>/export/", views.request_export, name="request_export"),
    path("<int:pk>/export/progress/", views.export_progress, name="export_progress"),
    path("<int:pk>/download/", views.request_download, name="request_download"),
    path("letters/<int:pk>/", views.letter_detail, name="letter_detail"),
    path("letters/<int:pk>/send/", views.letter_send, name="letter_send"),
    path("notifications/<int:pk>/", views.notification_update, name="notification_update"),
    path("record-of-processing/", views.processing_records, name="processing_records"),
    path("record-of-processing/<slug:slug>/", views.processing_record_detail, name="processing_record"),
]
