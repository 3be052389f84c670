"""URL conf of the contacts benchmark: the project's URLs plus a bare DRF ModelViewSet on the
same contacts table (no scoping, matching, audit or normalisation), the baseline that
benchmarks/contacts.py measures the real endpoints against. Never part of the deployed site."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from contacts.models import Contact


class BareContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id", "controller", "channel", "direction", "occurred_at", "name", "email", "phone",
            "subject", "body", "task", "customer", "restricted",
        ]  # fmt: skip


class BarePagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    ordering = ("-occurred_at", "-id")


class BareContactViewSet(viewsets.ModelViewSet):
    queryset = Contact.all_controllers.all()
    serializer_class = BareContactSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = BarePagination
    filter_backends: list = []


router = SimpleRouter()
router.register("bare-contacts", BareContactViewSet, basename="bare-contact")

urlpatterns = [path("bench/", include(router.urls)), path("", include("retta_cs.urls"))]
