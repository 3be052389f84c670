"""The complaints API (DESIGN.md, Interfaces): complaints, disclosures and legal holds.

Thin: reads go through complaints.selectors (controller-scoped), writes through
complaints.services; ValidationError is a 400 and Conflict a 409 (core.exception_handler).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import selectors, services
from complaints.holds import holds_for
from complaints.models import (
    Complaint,
    ComplaintKind,
    ComplaintStatus,
    Disclosure,
    HoldScope,
    LegalHold,
    RecipientType,
)
from contacts.models import Contact, Customer, Task
from core.access import Action, Area, AreaPermission, can
from core.api import (
    AuditedListMixin,
    AuditedRetrieveMixin,
    RestrictionAwareRelatedMixin,
    StaffField,
    UserControllerField,
)
from core.filters import IdFilter, UtcIsoDateTimeFilter, VisibleIdFilter
from core.models import AuditPurpose, Controller
from core.pagination import BigListPagination, StandardPagination


class ScopedPrimaryKeyField(RestrictionAwareRelatedMixin, serializers.PrimaryKeyRelatedField):
    """A related record chosen by id, looked up through the scoped manager when the request runs:
    another controller's record is 'does not exist' (400), exactly like a made-up id; so is a
    restricted record for someone who may not see it (core.restriction)."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.scoped_model = model
        kwargs.setdefault("queryset", model.all_controllers.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        if self.context.get("request") is None:  # schema generation: no user, no scope
            return self.scoped_model.all_controllers.none()
        return self.visible(self.scoped_model.objects.all())


def _controller_or_only_one(attrs: dict[str, Any], request: Request) -> Controller:
    """The controller given, or the user's only one; with two, it must be given."""
    if attrs.get("controller"):
        return attrs["controller"]
    ids = request.user.controller_ids()
    if len(ids) == 1:
        return Controller.objects.get(pk=ids[0])
    raise serializers.ValidationError({"controller": [_("Choose the controller.")]})


class ComplainantDetailsSerializer(serializers.Serializer):
    """The complainant as given at intake, instead of a customer id: matched to a customer of the
    complaint's controller by normalised email, then phone, or recorded as a new customer."""

    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = services.complainant_details_errors(services.ComplainantDetails(**attrs))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ComplaintSerializer(serializers.ModelSerializer):
    controller = UserControllerField(required=False)
    complainant = ScopedPrimaryKeyField(
        Customer,
        required=False,
        allow_null=True,
        help_text=_("The complainant, a customer id. Or give `complainant_details` instead, never both."),
    )
    complainant_details = ComplainantDetailsSerializer(
        write_only=True,
        required=False,
        help_text=_(
            "Only when recording: the complainant's name, email and phone. The complaint is linked to the "
            "customer of the controller with this email (or else this phone), or to a new customer; "
            "`complainant` then names that customer."
        ),
    )
    contacts = ScopedPrimaryKeyField(Contact, many=True, required=False)
    tasks = ScopedPrimaryKeyField(Task, many=True, required=False)
    handler = StaffField(Area.COMPLAINTS, Action.CHANGE, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    held = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "controller",
            "kind",
            "status",
            "complainant",
            "complainant_details",
            "channel",
            "subject",
            "description",
            "resolution",
            "handler",
            "created_by",
            "contacts",
            "tasks",
            "received_at",
            "handling_started_at",
            "resolved_at",
            "closed_at",
            "held",
            "allowed_transitions",
            "processing_objected",
        ]
        read_only_fields = ["status", "handling_started_at", "resolved_at", "closed_at", "processing_objected"]

    def get_held(self, complaint: Complaint) -> bool:
        """Under an active legal hold (the badge of the lists)."""
        held = self.context.get("held")
        return complaint in held if held is not None else bool(holds_for([complaint]))

    def get_allowed_transitions(self, complaint: Complaint) -> list[str]:
        return services.allowed_transitions(complaint.status)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "complainant_details" in attrs:
            if self.instance is not None:
                raise serializers.ValidationError(
                    {"complainant_details": [_("Complainant details are taken only when a complaint is recorded.")]}
                )
            if attrs.get("complainant") is not None:
                raise serializers.ValidationError(
                    {"complainant_details": [_("Give either the complainant's details or a customer, not both.")]}
                )
            attrs.pop("complainant", None)
        return attrs

    def create(self, validated: dict[str, Any]) -> Complaint:
        request = self.context["request"]
        handler = validated.get("handler")
        # Choosing the handler is handling the complaint: agents record complaints, nothing more.
        if handler is not None and not can(request.user, Area.COMPLAINTS, Action.CHANGE):
            raise PermissionDenied(_("Your role may record a complaint but not choose its handler."))
        details = validated.get("complainant_details")
        with transaction.atomic():
            complaint = services.complaint_create(
                controller=_controller_or_only_one(validated, request),
                actor=request.user,
                subject=validated.get("subject", ""),
                kind=validated.get("kind", ComplaintKind.COMPLAINT),
                description=validated.get("description", ""),
                channel=validated.get("channel", ""),
                complainant=validated.get("complainant"),
                complainant_details=services.ComplainantDetails(**details) if details is not None else None,
                contacts=validated.get("contacts", []),
                tasks=validated.get("tasks", []),
                received_at=validated.get("received_at"),
            )
            if handler is not None:
                complaint = services.complaint_assign(complaint=complaint, handler=handler, actor=request.user)
        return complaint

    def update(self, complaint: Complaint, validated: dict[str, Any]) -> Complaint:
        if "controller" in validated and validated["controller"].pk != complaint.controller_id:
            raise serializers.ValidationError({"controller": [_("A complaint cannot move to another controller.")]})
        validated.pop("controller", None)
        validated.pop("received_at", None)
        return services.complaint_update(
            complaint=complaint,
            actor=self.context["request"].user,
            contacts=validated.pop("contacts", None),
            tasks=validated.pop("tasks", None),
            **validated,
        )


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField(help_text=", ".join(ComplaintStatus.values))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ComplaintFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    status = filters.MultipleChoiceFilter(choices=ComplaintStatus.choices)
    kind = filters.ChoiceFilter(choices=ComplaintKind.choices)
    handler = filters.CharFilter(field_name="handler__username")
    unassigned = filters.BooleanFilter(field_name="handler", lookup_expr="isnull")
    complainant = VisibleIdFilter(field_name="complainant_id", model=Customer)
    contact = VisibleIdFilter(field_name="contacts", distinct=True, model=Contact)
    received_after = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = ["controller", "status", "kind", "handler", "complainant"]


class QueuePagination(StandardPagination):
    """The handlers' queue: oldest first, a page at a time."""


@extend_schema(tags=["complaints"])
class ComplaintViewSet(
    AuditedListMixin,
    AuditedRetrieveMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Complaints and feedback: agents create them; handlers and the DPO read, edit and move them.
    A restricted complaint (art. 18) is there only for the DPO, and answers every write with 409
    `restricted` (core.restriction)."""

    serializer_class = ComplaintSerializer
    pagination_class = QueuePagination
    audit_purpose = AuditPurpose.COMPLAINT_HANDLING
    filterset_class = ComplaintFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self) -> list[Any]:
        write = Action.CREATE if self.action == "create" else Action.CHANGE
        return [AreaPermission.for_area(Area.COMPLAINTS, write=write)()]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Complaint.all_controllers.none()
        return selectors.complaint_queue(user=self.request.user)

    def list_context(self, rows: list[Any]) -> dict[str, Any]:
        return {"held": holds_for(rows)}

    @extend_schema(request=TransitionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the complaint to status `to` (400 for an unknown status, 409 for an illegal move)."""
        complaint = self.get_object()
        data = TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.complaint_transition(
            complaint=complaint, to=data.validated_data["to"], actor=request.user, note=data.validated_data["note"]
        )
        return Response(self.get_serializer(complaint).data)


class DisclosureSerializer(serializers.ModelSerializer):
    controller = UserControllerField(required=False)
    complaint = ScopedPrimaryKeyField(Complaint, required=False, allow_null=True)
    contacts = ScopedPrimaryKeyField(Contact, many=True, required=False)
    disclosed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    disclosed_at = serializers.DateTimeField(required=False)

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "controller",
            "recipient_type",
            "recipient_name",
            "legal_basis",
            "description",
            "complaint",
            "contacts",
            "disclosed_at",
            "disclosed_by",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def create(self, validated: dict[str, Any]) -> Disclosure:
        request = self.context["request"]
        return services.disclosure_record(
            controller=_controller_or_only_one(validated, request),
            actor=request.user,
            recipient_type=validated["recipient_type"],
            recipient_name=validated["recipient_name"],
            legal_basis=validated["legal_basis"],
            description=validated["description"],
            complaint=validated.get("complaint"),
            contacts=validated.get("contacts", []),
            disclosed_at=validated.get("disclosed_at"),
        )


class DisclosureFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    recipient_type = filters.ChoiceFilter(choices=RecipientType.choices)
    complaint = VisibleIdFilter(field_name="complaint_id", model=Complaint)
    contact = VisibleIdFilter(field_name="contacts", distinct=True, model=Contact)
    disclosed_after = UtcIsoDateTimeFilter(field_name="disclosed_at", lookup_expr="gte")
    disclosed_before = UtcIsoDateTimeFilter(field_name="disclosed_at", lookup_expr="lt")

    class Meta:
        model = Disclosure
        fields = ["controller", "recipient_type", "complaint"]


@extend_schema(tags=["complaints"])
class DisclosureViewSet(AuditedListMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The disclosure log (P6, art. 19): agents record disclosures; handlers and the DPO read it."""

    serializer_class = DisclosureSerializer
    audit_purpose = AuditPurpose.LEGAL_CLAIMS
    pagination_class = BigListPagination
    filterset_class = DisclosureFilter

    def get_permissions(self) -> list[Any]:
        return [AreaPermission.for_area(Area.DISCLOSURES, write=Action.CREATE)()]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Disclosure.all_controllers.none()
        return selectors.disclosure_log()


class LegalHoldSerializer(serializers.ModelSerializer):
    controller = UserControllerField(required=False)
    complaint = ScopedPrimaryKeyField(Complaint, required=False, allow_null=True)
    task = ScopedPrimaryKeyField(Task, required=False, allow_null=True)
    contacts = ScopedPrimaryKeyField(Contact, many=True, required=False)
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), source="subject_emails", required=False, default=list
    )
    phones = serializers.ListField(
        child=serializers.CharField(max_length=40), source="subject_phones", required=False, default=list
    )
    placed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    released_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "controller",
            "matter",
            "reason",
            "scope",
            "complaint",
            "task",
            "contacts",
            "emails",
            "phones",
            "placed_by",
            "placed_at",
            "released_by",
            "released_at",
            "release_reason",
            "active",
        ]
        read_only_fields = ["placed_at", "released_at", "release_reason"]

    def create(self, validated: dict[str, Any]) -> LegalHold:
        request = self.context["request"]
        return services.legal_hold_place(
            controller=_controller_or_only_one(validated, request),
            actor=request.user,
            matter=validated["matter"],
            reason=validated["reason"],
            scope=validated["scope"],
            complaint=validated.get("complaint"),
            task=validated.get("task"),
            contacts=validated.get("contacts", []),
            emails=validated.get("subject_emails", []),
            phones=validated.get("subject_phones", []),
        )


class ReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class LegalHoldFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    scope = filters.ChoiceFilter(choices=HoldScope.choices)
    active = filters.BooleanFilter(field_name="released_at", lookup_expr="isnull")
    complaint = IdFilter(field_name="complaint_id")
    task = IdFilter(field_name="task_id")

    class Meta:
        model = LegalHold
        fields = ["controller", "scope", "complaint", "task"]


@extend_schema(tags=["legal holds"])
class LegalHoldViewSet(AuditedListMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Legal holds: placed and released by the data protection officer only."""

    serializer_class = LegalHoldSerializer
    audit_purpose = AuditPurpose.LEGAL_CLAIMS
    pagination_class = StandardPagination
    filterset_class = LegalHoldFilter
    permission_classes = [AreaPermission.for_area(Area.DATA_PROTECTION)]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return LegalHold.all_controllers.none()
        return selectors.legal_holds()

    @extend_schema(request=ReleaseSerializer, responses=LegalHoldSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Release the hold (400 without a reason, 409 when already released)."""
        hold = self.get_object()
        data = ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.legal_hold_release(hold=hold, actor=request.user, reason=data.validated_data["reason"])
        return Response(self.get_serializer(hold).data, status=status.HTTP_200_OK)
