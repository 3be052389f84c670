"""Contacts, customers and tasks over REST (DESIGN.md, Interfaces): thin viewsets over the
selectors and services of this app. Every answer showing personal data writes audit events."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contacts import selectors, services, tickets
from contacts.identifiers import (
    normalise_email,
    normalise_email_or_blank,
    normalise_phone,
    normalise_phone_or_blank,
)
from contacts.models import (
    Channel,
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Task,
    TaskNote,
    TaskPriority,
    TaskState,
    TaskStatus,
)
from core.access import NOT_ASSIGNABLE, Action, Area, AreaPermission
from core.api import (
    AuditedListMixin,
    AuditedRetrieveMixin,
    RestrictionAwareRelatedMixin,
    StaffField,
    UserControllerField,
)
from core.audit import audit_log, audit_log_page
from core.filters import MAX_ID, IdFilter, UtcIsoDateTimeFilter, VisibleIdFilter
from core.models import AuditAction, AuditPurpose, Controller
from core.pagination import BigListPagination

CONTACT_PERMISSION = AreaPermission.for_area(Area.CUSTOMER_SERVICE)


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyField(RestrictionAwareRelatedMixin, serializers.PrimaryKeyRelatedField):
    """A related row by id through the scoped manager: another controller's id does not exist,
    nor does a restricted record for someone who may not see it."""

    def __init__(self, model: type, **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.visible(self.model.objects.all())

    def to_internal_value(self, data: Any) -> Any:
        # A number beyond any key column would fail inside the query (a 500), not here.
        if isinstance(data, int) and not isinstance(data, bool) and not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


def _controller_default(serializer: serializers.Serializer, attrs: dict[str, Any]) -> Controller:
    """The controller given, or the user's only one."""
    controller = attrs.get("controller")
    if controller is not None:
        return controller
    ids = serializer.context["request"].user.controller_ids()
    if len(ids) == 1:
        return Controller.objects.get(pk=ids[0])
    raise serializers.ValidationError({"controller": [_("Choose the controller.")]})


def _same_controller(attrs: dict[str, Any], controller: Controller, *names: str) -> None:
    for name in names:
        related = attrs.get(name)
        if related is not None and related.controller_id != controller.pk:
            raise serializers.ValidationError({name: [_("It belongs to another controller.")]})


class ContactSerializer(serializers.ModelSerializer):
    controller = UserControllerField(required=False)
    occurred_at = serializers.DateTimeField(required=False)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    task = ScopedPrimaryKeyField(Task, required=False, allow_null=True)
    customer = ScopedPrimaryKeyField(Customer, read_only=True, allow_null=True)
    has_recording = serializers.BooleanField(read_only=True, default=False)
    restricted = serializers.BooleanField(read_only=True)
    # Art. 21: the contact is out of quality sampling and statistics (core.objection).
    processing_objected = serializers.BooleanField(read_only=True)
    personal_identity_code_masked = serializers.BooleanField(
        read_only=True, help_text=_("The customer wrote a personal identity code; it was masked on arrival.")
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "controller",
            "channel",
            "direction",
            "occurred_at",
            "name",
            "email",
            "phone",
            "subject",
            "body",
            "task",
            "customer",
            "has_recording",
            "restricted",
            "processing_objected",
            "personal_identity_code_masked",
        ]
        extra_kwargs = {"channel": {"required": False}}

    def validate_email(self, value: str) -> str:
        try:
            normalise_email(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value.strip()

    def validate_phone(self, value: str) -> str:
        try:
            normalise_phone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            if "channel" not in attrs:
                raise serializers.ValidationError({"channel": [_("This field is required.")]})
            controller = _controller_default(self, attrs)
            attrs["controller"] = controller
        else:
            if "controller" in attrs and attrs["controller"].pk != self.instance.controller_id:
                raise serializers.ValidationError({"controller": [_("A contact cannot move to another controller.")]})
            attrs.pop("controller", None)
            if "occurred_at" in attrs and attrs["occurred_at"] != self.instance.occurred_at:
                raise serializers.ValidationError({"occurred_at": [_("The time of a contact cannot change.")]})
            attrs.pop("occurred_at", None)
            if "channel" in attrs and attrs["channel"] != self.instance.channel:
                raise serializers.ValidationError({"channel": [_("The channel of a contact cannot change.")]})
            attrs.pop("channel", None)
            controller = self.instance.controller
        _same_controller(attrs, controller, "task")
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Contact:
        contact = services.contact_record(
            occurred_at=validated_data.pop("occurred_at", None) or timezone.now(),
            agent=self.context["request"].user,
            **validated_data,
        )
        contact.has_recording = False
        return contact

    def update(self, instance: Contact, validated_data: dict[str, Any]) -> Contact:
        return services.contact_update(contact=instance, changes=validated_data)

    def to_representation(self, instance: Contact) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Phones come out in E.164; a number that could not be parsed comes out as given.
        data["phone"] = instance.phone_e164 or instance.phone
        return data


class ContactFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    channel = filters.ChoiceFilter(choices=Channel.choices)
    email = filters.CharFilter(method="filter_email")
    phone = filters.CharFilter(method="filter_phone")
    q = filters.CharFilter(method="filter_q", min_length=selectors.SEARCH_MIN_LENGTH, max_length=200)
    task = IdFilter(field_name="task_id")
    customer = VisibleIdFilter(field_name="customer_id", model=Customer)
    occurred_after = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Contact
        fields = ["controller", "channel", "task", "customer"]

    def filter_email(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(selectors.contact_email_q(value))

    def filter_phone(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(selectors.contact_phone_q(value))

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(selectors.contact_search_q(value))


class ContactPagination(BigListPagination):
    ordering = ("-occurred_at", "-id")


class RelinkSerializer(serializers.Serializer):
    customer = ScopedPrimaryKeyField(Customer)


@extend_schema(tags=["contacts"])
class ContactViewSet(
    AuditedListMixin,
    AuditedRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contacts (emails, calls, chats) of the user's controllers. PATCH changes the details an
    agent may correct. A restricted contact (art. 18) is there only for the DPO, and answers
    every write with 409 `restricted` (core.restriction)."""

    serializer_class = ContactSerializer
    permission_classes = [CONTACT_PERMISSION]
    pagination_class = ContactPagination
    filterset_class = ContactFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    search_params = ("q", "email", "phone")

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Contact.all_controllers.none()
        # The customer is read to tell whether its id may be shown (a restricted one is not).
        return selectors.contacts_visible(user=self.request.user).select_related("customer")

    def perform_create(self, serializer: Any) -> None:
        contact = serializer.save()
        audit_log(
            actor=self.request.user, action=AuditAction.CREATE, purpose=AuditPurpose.CUSTOMER_SERVICE, obj=contact
        )

    def perform_update(self, serializer: Any) -> None:
        contact = serializer.save()
        audit_log(
            actor=self.request.user,
            action=AuditAction.CHANGE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=contact,
            details={"fields": sorted(serializer.validated_data)},
        )

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        services.contact_check_editable(instance)
        return super().update(request, *args, **kwargs)

    @extend_schema(request=RelinkSerializer, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def relink(self, request: Any, pk: Any = None) -> Response:
        """Move the contact to another customer of the same controller."""
        contact = self.get_object()
        serializer = RelinkSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        customer = serializer.validated_data["customer"]
        if customer.controller_id != contact.controller_id:
            raise serializers.ValidationError({"customer": [_("It belongs to another controller.")]})
        services.contact_relink(contact=contact, customer=customer)
        audit_log(
            actor=request.user,
            action=AuditAction.CHANGE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=contact,
            details={"fields": ["customer"], "customer": customer.pk},
        )
        return Response(self.get_serializer(selectors.contacts_visible(user=request.user).get(pk=contact.pk)).data)


# -- customers -----------------------------------------------------------------------------------
class CustomerSerializer(serializers.ModelSerializer):
    controller = UserControllerField(read_only=True)
    emails = serializers.SerializerMethodField()
    phones = serializers.SerializerMethodField()
    restricted = serializers.BooleanField(
        read_only=True, help_text=_("Processing restricted (art. 18): shown to the DPO only, changed by no one.")
    )
    processing_objected = serializers.BooleanField(read_only=True)
    processing_objected_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "controller",
            "name",
            "emails",
            "phones",
            "created_at",
            "restricted",
            "processing_objected",
            "processing_objected_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_emails(self, customer: Customer) -> list[str]:
        return [row.email for row in customer.emails.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_phones(self, customer: Customer) -> list[str]:
        return [row.phone for row in customer.phones.all()]


class CustomerFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    email = filters.CharFilter(method="filter_email")
    phone = filters.CharFilter(method="filter_phone")
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", min_length=selectors.SEARCH_MIN_LENGTH)

    class Meta:
        model = Customer
        fields = ["controller"]

    def filter_email(self, queryset: Any, name: str, value: str) -> Any:
        email = normalise_email_or_blank(value)
        if not email:
            return queryset.none()
        return queryset.filter(Exists(CustomerEmail.objects.filter(customer=OuterRef("pk"), email=email)))

    def filter_phone(self, queryset: Any, name: str, value: str) -> Any:
        phone = normalise_phone_or_blank(value)
        if not phone:
            return queryset.none()
        return queryset.filter(Exists(CustomerPhone.objects.filter(customer=OuterRef("pk"), phone=phone)))


class MergeSerializer(serializers.Serializer):
    duplicate = ScopedPrimaryKeyField(Customer, help_text=_("The customer folded into this one, then removed."))


@extend_schema(tags=["contacts"])
class CustomerViewSet(
    AuditedListMixin, AuditedRetrieveMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Customers as known to each controller; two duplicates can be merged."""

    serializer_class = CustomerSerializer
    permission_classes = [CONTACT_PERMISSION]
    pagination_class = BigListPagination
    filterset_class = CustomerFilter
    search_params = ("q", "email", "phone")

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Customer.all_controllers.none()
        return selectors.customers_visible(user=self.request.user)

    @extend_schema(request=MergeSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Any, pk: Any = None) -> Response:
        """Fold another customer of the same controller into this one."""
        target = self.get_object()
        serializer = MergeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        duplicate = serializer.validated_data["duplicate"]
        if duplicate.controller_id != target.controller_id:
            raise serializers.ValidationError({"duplicate": [_("It belongs to another controller.")]})
        duplicate_id = duplicate.pk
        services.customer_merge(target=target, duplicate=duplicate)
        audit_log(
            actor=request.user,
            action=AuditAction.MERGE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=target,
            details={"merged": duplicate_id},
        )
        return Response(self.get_serializer(selectors.customers_visible(user=self.request.user).get(pk=target.pk)).data)


# -- tasks ---------------------------------------------------------------------------------------
PRIORITY_NAMES = {
    TaskPriority.LOW: "low",
    TaskPriority.NORMAL: "normal",
    TaskPriority.HIGH: "high",
    TaskPriority.URGENT: "urgent",
}
PRIORITY_OF_NAME = {name: value for value, name in PRIORITY_NAMES.items()}


class PriorityField(serializers.ChoiceField):
    """A ticket's priority by name (`low`, `normal`, `high`, `urgent`); stored as a number so the
    inbox can sort by it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(PRIORITY_OF_NAME), **kwargs)

    def to_internal_value(self, data: Any) -> int:
        return PRIORITY_OF_NAME[super().to_internal_value(data)]

    def to_representation(self, value: Any) -> str:
        return PRIORITY_NAMES[TaskPriority(value)]


class TaskSerializer(serializers.ModelSerializer):
    controller = UserControllerField(required=False)
    customer = ScopedPrimaryKeyField(Customer, required=False, allow_null=True)
    assignee = StaffField(Area.CUSTOMER_SERVICE, Action.CHANGE, required=False, allow_null=True)
    priority = PriorityField(required=False)
    state = serializers.ChoiceField(
        choices=TaskState.choices,
        required=False,
        help_text=_("new, open, waiting (for the customer) or solved; solved is status closed."),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "controller",
            "title",
            "status",
            "state",
            "priority",
            "channel",
            "customer",
            "assignee",
            "created_at",
            "closed_at",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "merged_into",
        ]
        read_only_fields = [
            "status",
            "created_at",
            "closed_at",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            controller = _controller_default(self, attrs)
            attrs["controller"] = controller
        else:
            if "controller" in attrs and attrs["controller"].pk != self.instance.controller_id:
                raise serializers.ValidationError({"controller": [_("A task cannot move to another controller.")]})
            attrs.pop("controller", None)
            if "channel" in attrs and attrs["channel"] != self.instance.channel:
                raise serializers.ValidationError({"channel": [_("The channel of a ticket cannot change.")]})
            attrs.pop("channel", None)
            controller = self.instance.controller
        _same_controller(attrs, controller, "customer")
        assignee = attrs.get("assignee")
        if assignee is not None and controller.pk not in assignee.controller_ids():
            raise serializers.ValidationError({"assignee": [NOT_ASSIGNABLE]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Task:
        state = validated_data.pop("state", None)
        actor = self.context["request"].user
        with transaction.atomic():
            task = tickets.task_create(actor=actor, **validated_data)
            if state and state != task.state:
                task = tickets.task_state_set(task=task, state=state, actor=actor)
        return task

    def update(self, instance: Task, validated_data: dict[str, Any]) -> Task:
        state = validated_data.pop("state", None)
        actor = self.context["request"].user
        with transaction.atomic():
            task = tickets.task_update(task=instance, changes=validated_data, actor=actor)
            if state:
                task = tickets.task_state_set(task=task, state=state, actor=actor)
        return task


class TaskNoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    body = serializers.CharField(max_length=tickets.NOTE_MAX_LENGTH)

    class Meta:
        model = TaskNote
        fields = ["id", "task", "author", "body", "created_at"]
        read_only_fields = ["task", "created_at"]

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Write the note."))
        return value.strip()


class TaskMergeSerializer(serializers.Serializer):
    target = ScopedPrimaryKeyField(Task, help_text=_("The ticket this one is folded into; it must be open."))


class TaskFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug")
    status = filters.ChoiceFilter(choices=TaskStatus.choices)
    state = filters.ChoiceFilter(choices=TaskState.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    assignee = filters.CharFilter(field_name="assignee__username")
    customer = VisibleIdFilter(field_name="customer_id", model=Customer)

    class Meta:
        model = Task
        fields = ["controller", "status", "state", "channel", "assignee", "customer"]


@extend_schema(tags=["contacts"])
class TaskViewSet(
    AuditedListMixin,
    AuditedRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customer-service tasks; closed and reopened by their own actions (409 on a wrong state)."""

    serializer_class = TaskSerializer
    permission_classes = [CONTACT_PERMISSION]
    pagination_class = BigListPagination
    filterset_class = TaskFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Task.all_controllers.none()
        return selectors.tasks_visible()

    def perform_create(self, serializer: Any) -> None:
        task = serializer.save()
        audit_log(actor=self.request.user, action=AuditAction.CREATE, purpose=AuditPurpose.CUSTOMER_SERVICE, obj=task)

    def perform_update(self, serializer: Any) -> None:
        task = serializer.save()
        audit_log(
            actor=self.request.user,
            action=AuditAction.CHANGE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=task,
            details={"fields": sorted(serializer.validated_data)},
        )

    def _transition(self, request: Any, service: Any, to: str) -> Response:
        task = service(task=self.get_object(), actor=request.user)
        audit_log(
            actor=request.user,
            action=AuditAction.TRANSITION,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=task,
            details={"to": to},
        )
        return Response(self.get_serializer(selectors.tasks_visible().get(pk=task.pk)).data)

    @extend_schema(
        request=None,
        responses={200: TaskSerializer, 409: inline_serializer("Conflict", {"detail": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Any, pk: Any = None) -> Response:
        return self._transition(request, tickets.task_close, TaskStatus.CLOSED)

    @extend_schema(
        request=None,
        responses={200: TaskSerializer, 409: inline_serializer("TaskConflict", {"detail": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Any, pk: Any = None) -> Response:
        return self._transition(request, tickets.task_reopen, TaskStatus.OPEN)

    @extend_schema(
        request=TaskMergeSerializer,
        responses={200: TaskSerializer, 409: inline_serializer("MergeConflict", {"detail": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Any, pk: Any = None) -> Response:
        """Fold this ticket into `target` (same controller, open): its contacts, notes and timeline
        move there and this one is solved. Answers with the target."""
        source = self.get_object()
        serializer = TaskMergeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data["target"]
        if target.controller_id != source.controller_id:
            raise serializers.ValidationError({"target": [_("It belongs to another controller.")]})
        tickets.task_merge(source=source, target=target, actor=request.user)
        audit_log(
            actor=request.user,
            action=AuditAction.MERGE,
            purpose=AuditPurpose.CUSTOMER_SERVICE,
            obj=target,
            details={"merged": source.pk},
        )
        return Response(self.get_serializer(selectors.tasks_visible().get(pk=target.pk)).data)

    @extend_schema(methods=["get"], request=None, responses=TaskNoteSerializer(many=True))
    @extend_schema(methods=["post"], request=TaskNoteSerializer, responses={201: TaskNoteSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def notes(self, request: Any, pk: Any = None) -> Response:
        """The ticket's internal notes (staff only), oldest first; POST `{body}` adds one."""
        task = self.get_object()
        if request.method == "POST":
            serializer = TaskNoteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            note = tickets.task_note_add(task=task, author=request.user, body=serializer.validated_data["body"])
            audit_log(
                actor=request.user,
                action=AuditAction.CREATE,
                purpose=AuditPurpose.CUSTOMER_SERVICE,
                obj=note,
                details={"task": task.pk},
            )
            return Response(TaskNoteSerializer(note).data, status=201)
        notes = list(TaskNote.objects.filter(task=task).select_related("author").order_by("created_at", "pk")[:500])
        if notes:
            audit_log_page(
                actor=request.user, action=AuditAction.VIEW, purpose=AuditPurpose.CUSTOMER_SERVICE, objects=notes
            )
        return Response(TaskNoteSerializer(notes, many=True).data)
