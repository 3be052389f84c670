from django.urls import path

from complaints import views

app_name = "complaints"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.complaint_create, name="complaint_create"),
    path("new/complainant/", views.complainant_lookup, name="complainant_lookup"),
    path("from-contact/<int:contact_pk>/", views.complaint_from_contact, name="complaint_from_contact"),
    path("<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("<int:pk>/assign-to-me/", views.complaint_assign_to_me, name="complaint_assign_to_me"),
    path("<int:pk>/transition/", views.complaint_transition, name="complaint_transition"),
    path("<int:pk>/note/", views.complaint_note, name="complaint_note"),
    path("<int:pk>/resolution/", views.complaint_resolution, name="complaint_resolution"),
    path("statistics/", views.statistics, name="statistics"),
    path("<int:pk>/reply/", views.complaint_reply, name="complaint_reply"),
    path("replies/<int:pk>/retry/", views.complaint_reply_retry, name="complaint_reply_retry"),
    path("disclosures/", views.disclosure_list, name="disclosure_list"),
    path("disclosures/new/", views.disclosure_create, name="disclosure_create"),
    path("legal-holds/", views.hold_list, name="hold_list"),
    path("legal-holds/new/", views.hold_place, name="hold_place"),
    path("legal-holds/<int:pk>/", views.hold_detail, name="hold_detail"),
    path("legal-holds/<int:pk>/release/", views.hold_release, name="hold_release"),
]
