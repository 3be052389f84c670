"""Core endpoints: the controllers and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.response import Response

from core.access import NOT_ASSIGNABLE, Action, Area, AreaPermission
from core.audit import audit_log, audit_log_page
from core.filters import UtcIsoDateTimeFilter
from core.models import AuditAction, AuditEvent, AuditPurpose, Controller
from core.pagination import BigListPagination, StandardPagination
from core.restriction import is_hidden_from, restriction_path, visible_rows
from core.roles import IntegrationOnlyInbound
from core.selectors import audit_events_visible_to, controllers_of, staff_with_access


@extend_schema_field(OpenApiTypes.STR)
class UserControllerField(serializers.SlugRelatedField):
    """A controller by slug, among those granted to the requesting user (P1).

    Written, it accepts only the user's own controllers. Read, it answers the slug from the
    user's controller list (loaded once per request with the roles), so a list of records needs
    no join to the controller table: every record shown belongs to one of those controllers.
    """

    default_error_messages = {"does_not_exist": _("Unknown controller, or not one of yours: {value}.")}

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Controller.objects.none())
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:  # schema generation
            return Controller.objects.none()
        return controllers_of(request.user)

    def use_pk_only_optimization(self) -> bool:
        return True

    def to_representation(self, value: Any) -> str:
        request = self.context.get("request")
        slugs = request.user.controller_slugs() if request is not None else {}
        slug = slugs.get(value.pk)
        if slug is None:  # shown outside a request, or by a job
            slug = Controller.objects.values_list("slug", flat=True).get(pk=value.pk)
        return slug


class VisibleManyRelatedField(serializers.ManyRelatedField):
    """A list of related ids without the rows the requesting user may not see (art. 18)."""

    def get_attribute(self, instance: Any) -> Any:
        rows = super().get_attribute(instance)
        request = self.context.get("request")
        return rows if request is None else visible_rows(rows, user=request.user)


class RestrictionAwareRelatedMixin:
    """For a primary-key field naming personal data (core.restriction): a restricted row, or one
    hanging off a restricted record, is neither offered nor shown to someone who may not see it.
    Chosen, it "does not exist" (400), exactly like another controller's id."""

    context: dict[str, Any]

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> serializers.ManyRelatedField:
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return VisibleManyRelatedField(**list_kwargs)

    def restrictable(self) -> bool:
        queryset = getattr(self, "queryset", None)
        model = getattr(self, "model", None) or getattr(self, "scoped_model", None)
        model = model or (queryset.model if queryset is not None else None)
        return model is not None and restriction_path(model) is not None

    def use_pk_only_optimization(self) -> bool:
        # A restrictable row must be loaded to tell whether it may be shown.
        return not self.restrictable()

    def visible(self, queryset: Any) -> Any:
        """The choosable rows: a field's `get_queryset` returns `self.visible(...)`."""
        request = self.context.get("request")
        return queryset if request is None else queryset.visible_to(request.user)

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)  # type: ignore[misc]
        request = self.context.get("request")
        if value is None or request is None or not self.restrictable():
            return value
        if is_hidden_from(value, user=request.user):
            return None
        return value


class StaffField(serializers.SlugRelatedField):
    """A member of staff by username, among those whose role grants `action` on `area` and who
    are granted one of the requesting user's controllers (core.selectors.staff_with_access).

    Anyone else gets one and the same error (core.access.NOT_ASSIGNABLE), whether no such user
    exists, their role may not, or they work for the other controller only; the services
    checking the record's own controller answer with the same message.
    """

    default_error_messages = {"does_not_exist": NOT_ASSIGNABLE, "invalid": NOT_ASSIGNABLE}

    def __init__(self, area: Area, action: Action, **kwargs: Any) -> None:
        self.area, self.action = area, action
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", get_user_model().objects.none())
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:  # schema generation
            return get_user_model().objects.none()
        return staff_with_access(self.area, self.action, controller_ids=request.user.controller_ids())


class AuditedListMixin:
    """A list answer writes one audit event per record shown, in one INSERT.

    `audit_purpose` says why the records were consulted; a list filtered by any of
    `search_params` is recorded as a search. `list_context(rows)` adds serializer context computed
    once per page (e.g. which rows are under a legal hold).
    """

    audit_purpose: str = AuditPurpose.CUSTOMER_SERVICE
    search_params: tuple[str, ...] = ()

    def list_context(self, rows: list[Any]) -> dict[str, Any]:
        return {}

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        rows = list(page if page is not None else queryset)
        if rows:
            searched = any(request.query_params.get(name) for name in self.search_params)
            audit_log_page(
                actor=request.user,
                action=AuditAction.SEARCH if searched else AuditAction.VIEW,
                purpose=self.audit_purpose,
                objects=rows,
            )
        context = {**self.get_serializer_context(), **self.list_context(rows)}  # type: ignore[attr-defined]
        serializer = self.get_serializer(rows, many=True, context=context)  # type: ignore[attr-defined]
        if page is not None:
            return self.get_paginated_response(serializer.data)  # type: ignore[attr-defined]
        return Response(serializer.data)


class AuditedRetrieveMixin:
    """A single record shown writes one audit event, with the view's `audit_purpose`."""

    audit_purpose: str = AuditPurpose.CUSTOMER_SERVICE

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        audit_log(actor=request.user, action=AuditAction.VIEW, purpose=self.audit_purpose, obj=instance)
        return Response(self.get_serializer(instance).data)  # type: ignore[attr-defined]


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
    controller = UserControllerField(read_only=True)
    # No actor: a job ("purge"), named by `actor_kind`.
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

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
    permission_classes = [AreaPermission.for_area(Area.DATA_PROTECTION)]
    pagination_class = BigListPagination
    filterset_class = AuditEventFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return AuditEvent.objects.none()
        return audit_events_visible_to(self.request.user)
