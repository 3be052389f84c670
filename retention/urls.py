from django.urls import path

from retention import views

app_name = "retention"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/start", views.run_start, name="run_start"),
    path("runs/confirm/", views.run_confirm, name="run_confirm"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
]
