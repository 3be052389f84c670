from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from core.schema import SchemaView
from core.views import healthz

api_v1 = [
    path("", include("core.api_urls")),
    path("", include("contacts.api_urls")),
    path("", include("complaints.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("retention.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("contacts/", include("contacts.urls")),
    path("complaints/", include("complaints.urls")),
    path("privacy/", include("privacy.urls")),
    path("retention/", include("retention.urls")),
    path("", include("core.urls")),
]
