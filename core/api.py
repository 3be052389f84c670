"""Core endpoints: the controllers and the audit trail."""

from __future__ import annotations

from typing import Any

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from core.filters import UtcIsoDateTimeFilter
from core.models import AuditAction, AuditEvent, AuditPurpose, Controller
from core.pagination import BigListPagination, StandardPagination
from core.roles import HasRole, IntegrationOnlyInbound, Role
from core.selectors import audit_events_visible_to, controllers_of


class ControllerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Controller
        fields = ["id", "slug", "name", "business_id", "privacy_contact_email", "address"]


class ControllerViewSet(viewsets.ReadOnlyModelViewSet):
    """The controllers granted to the requesting user (P1)."""

    serializer_class = ControllerSerializer
    permission_classes = [IsAuthenticated, IntegrationOnlyInbound]
    pagination_class = StandardPagination
    lookup_field = "slug"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Controller.objects.none()
        return controllers_of(self.request.user)


class AuditEventSerializer(serializers.ModelSerializer):
    controller = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_kind",
            "action",
            "purpose",
            "controller",
            "object_type",
            "object_id",
            "request_id",
            "details",
        ]


class AuditEventFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    actor = filters.CharFilter(field_name="actor__username")
    action = filters.ChoiceFilter(choices=AuditAction.choices)
    purpose = filters.ChoiceFilter(choices=AuditPurpose.choices)
    object_type = filters.CharFilter()
    object_id = filters.CharFilter()
    after = UtcIsoDateTimeFilter(field_name="at", lookup_expr="gte")
    before = UtcIsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["controller", "actor", "action", "purpose", "object_type", "object_id"]


@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail, read-only, for the data protection officer."""

    serializer_class = AuditEventSerializer
    permission_classes = [HasRole.for_roles(read=[Role.DPO])]
    pagination_class = BigListPagination
    filterset_class = AuditEventFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return AuditEvent.objects.none()
        return audit_events_visible_to(self.request.user)
