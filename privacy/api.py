"""The privacy-request API (DESIGN.md): the data protection officer only.

`GET|POST /api/v1/privacy-requests/`, `GET /api/v1/privacy-requests/{id}/`, and the actions
`verify-identity`, `matches`, `execute`, `export`, `extend`, `reject`. Another controller's
request is 404; nothing is exported or executed before the identity check (409).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import Area, AreaPermission
from core.api import UserControllerField
from core.pagination import StandardPagination
from core.personal_data import registry
from core.renderers import download_renderers
from privacy import discovery, execution, exports, selectors, services
from privacy.models import (
    IdentityMethod,
    Language,
    PrivacyRequest,
    RejectionReason,
    RequestChannel,
    RequestExport,
    RequestIdentifier,
    RequestKind,
    RequestMatch,
    RequestStatus,
    RestrictionBasis,
)


class ExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestExport
        fields = ["id", "status", "progress", "total", "size_bytes", "created_at", "finished_at"]


class IdentifierSerializer(serializers.ModelSerializer):
    """An email address or phone number of the subject, and whether it is shown to be theirs."""

    verified = serializers.BooleanField(read_only=True)
    # A code, as `identity_method`: its choices are documented on the verify-identity body.
    verification_method = serializers.CharField(read_only=True)

    class Meta:
        model = RequestIdentifier
        fields = ["id", "kind", "value", "verified", "verification_method", "verified_at", "added_at"]
        read_only_fields = fields


class PrivacyRequestSerializer(serializers.ModelSerializer):
    controller = UserControllerField()
    identifiers = IdentifierSerializer(many=True, read_only=True)
    other_emails = serializers.SerializerMethodField()
    other_phones = serializers.SerializerMethodField()
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False, write_only=True)
    phones = serializers.ListField(child=serializers.CharField(max_length=40), required=False, write_only=True)
    from_contact = serializers.IntegerField(required=False, write_only=True, min_value=1)
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    channel = serializers.ChoiceField(choices=RequestChannel.choices, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    identity_checked = serializers.SerializerMethodField()
    export = serializers.SerializerMethodField()
    # Codes as plain strings here: their choices are documented once, on the action bodies.
    identity_method = serializers.CharField(read_only=True)
    rejection_reason = serializers.CharField(read_only=True)
    restriction_basis = serializers.CharField(read_only=True)

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "controller",
            "kind",
            "status",
            "name",
            "email",
            "phone",
            "other_emails",
            "other_phones",
            "emails",
            "phones",
            "identifiers",
            "from_contact",
            "language",
            "channel",
            "details",
            "received_at",
            "due_at",
            "original_due_at",
            "extension_reason",
            "identity_checked",
            "identity_method",
            "identity_verified_at",
            "rejection_reason",
            "rejection_justification",
            "restriction_basis",
            "restriction_active",
            "include_consultation_history",
            "notes",
            "execution_report",
            "completed_at",
            "export",
        ]
        read_only_fields = [
            "status",
            "due_at",
            "original_due_at",
            "extension_reason",
            "identity_method",
            "identity_verified_at",
            "rejection_reason",
            "rejection_justification",
            "restriction_basis",
            "restriction_active",
            "notes",
            "execution_report",
            "completed_at",
        ]
        extra_kwargs = {"received_at": {"required": False}, "email": {"required": False}, "phone": {"required": False}}

    def get_identity_checked(self, obj: PrivacyRequest) -> bool:
        return obj.identity_verified

    def get_other_emails(self, obj: PrivacyRequest) -> list[str]:
        """The addresses after the first (`email`), as before identifiers had their own list."""
        return [value for value in obj.emails if value != obj.email]

    def get_other_phones(self, obj: PrivacyRequest) -> list[str]:
        return [value for value in obj.phones if value != obj.phone]

    @extend_schema_field(ExportSerializer(allow_null=True))
    def get_export(self, obj: PrivacyRequest) -> dict[str, Any] | None:
        export = selectors.latest_export(obj)
        return ExportSerializer(export).data if export else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("from_contact") and not any(
            [attrs.get("email"), attrs.get("phone"), attrs.get("emails"), attrs.get("phones")]
        ):
            raise ValidationError({"email": [_msg_identifier()]})
        return attrs


def _msg_identifier() -> str:
    from django.utils.translation import gettext

    return gettext("Give at least an email address or a phone number of the subject, or the contact it arrived as.")


class MatchIdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestIdentifier
        fields = ["id", "kind", "value", "verified"]
        read_only_fields = fields

    verified = serializers.BooleanField(read_only=True)


class MatchSerializer(serializers.ModelSerializer):
    """A record found. `via`: the identifiers it was found through; `may_belong_to_someone_else`:
    found only through an address or number other people's records carry too (starts excluded);
    `acted_on`: included and found through a verified identifier (or a confirmed name), so in the
    copy, the erasure or the change."""

    record_type_name = serializers.SerializerMethodField()
    record = serializers.SerializerMethodField()
    via = MatchIdentifierSerializer(many=True, read_only=True)
    acted_on = serializers.SerializerMethodField()

    class Meta:
        model = RequestMatch
        fields = [
            "id",
            "record_type",
            "record_type_name",
            "record_id",
            "matched_by",
            "via",
            "may_belong_to_someone_else",
            "included",
            "acted_on",
            "record",
        ]

    def get_record_type_name(self, obj: RequestMatch) -> str:
        return str(registry.get(obj.record_type).verbose_name)

    def get_acted_on(self, obj: RequestMatch) -> bool:
        return discovery.is_acted_on(obj)

    def get_record(self, obj: RequestMatch) -> dict[str, Any] | None:
        return self.context.get("rows", {}).get((obj.record_type, obj.record_id))


class VerifyIdentitySerializer(serializers.Serializer):
    """`identifiers`: the request's email addresses and phone numbers this check proves to be the
    subject's. Left out: a reply from the address on file proves the first address, a call-back the
    first number; a strong electronic identification or a document proves the person only."""

    method = serializers.ChoiceField(choices=IdentityMethod.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    identifiers = serializers.ListField(child=serializers.CharField(max_length=254), required=False, max_length=50)


class IdentifierAddSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=254, help_text="An email address or a phone number.")


class ExtendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    due_at = serializers.DateField(required=False)


class RejectSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=RejectionReason.choices)
    justification = serializers.CharField(max_length=4000)


class MatchesReviewSerializer(serializers.Serializer):
    include = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    exclude = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    rediscover = serializers.BooleanField(required=False, default=False)


class RectificationChangeSerializer(serializers.Serializer):
    record_type = serializers.CharField(max_length=60)
    record_id = serializers.IntegerField()
    field = serializers.CharField(max_length=100)
    value = serializers.CharField(allow_blank=True, max_length=100000)


class ExecuteSerializer(serializers.Serializer):
    """Per kind: rectification `changes` and `reason`; restriction `basis`; objection
    `compelling_grounds`; access, portability and erasure take nothing."""

    changes = RectificationChangeSerializer(many=True, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    basis = serializers.ChoiceField(choices=RestrictionBasis.choices, required=False)
    compelling_grounds = serializers.CharField(required=False, allow_blank=True, max_length=4000)


def _raise_invalid(error: services.InvalidRequest) -> None:
    raise ValidationError({error.field: [str(error.message)]}) from error


class PrivacyRequestFilter(filters.FilterSet):
    controller = filters.CharFilter(field_name="controller__slug", help_text="controller slug")
    kind = filters.ChoiceFilter(choices=RequestKind.choices)
    status = filters.ChoiceFilter(choices=RequestStatus.choices)

    class Meta:
        model = PrivacyRequest
        fields = ["controller", "kind", "status"]


class PrivacyRequestViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PrivacyRequestSerializer
    permission_classes = [AreaPermission.for_area(Area.DATA_PROTECTION)]
    pagination_class = StandardPagination
    filterset_class = PrivacyRequestFilter

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return PrivacyRequest.all_controllers.none()
        return selectors.requests_visible(self.request.user)

    def get_renderers(self) -> list[Any]:
        # The copy is a ZIP: a client asking for application/zip, as the schema says, gets it.
        if getattr(self, "action", None) == "export" and self.request.method == "GET":
            return [renderer() for renderer in download_renderers("application/zip")]
        return super().get_renderers()

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        try:
            if data.get("from_contact"):
                request = services.request_create_from_record(
                    controller=data["controller"],
                    kind=data["kind"],
                    actor=self.request.user,
                    record_id=data["from_contact"],
                    language=data.get("language", "fi"),
                )
            else:
                emails = [data.get("email", ""), *data.get("emails", [])]
                phones = [data.get("phone", ""), *data.get("phones", [])]
                request = services.request_create(
                    controller=data["controller"],
                    kind=data["kind"],
                    actor=self.request.user,
                    name=data.get("name", ""),
                    email=next((e for e in emails if e), ""),
                    phone=next((p for p in phones if p), ""),
                    other_emails=[e for e in emails if e][1:],
                    other_phones=[p for p in phones if p][1:],
                    received_at=data.get("received_at"),
                    channel=data.get("channel", RequestChannel.EMAIL),
                    language=data.get("language", "fi"),
                    details=data.get("details", ""),
                    include_consultation_history=data.get("include_consultation_history", False),
                )
        except services.InvalidRequest as error:
            _raise_invalid(error)
        serializer.instance = request

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        selectors.audit_request_viewed(request=obj, actor=request.user)
        return Response(self.get_serializer(obj).data)

    def _answer(self, obj: PrivacyRequest, code: int = status.HTTP_200_OK) -> Response:
        obj.refresh_from_db()
        return Response(PrivacyRequestSerializer(obj, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=VerifyIdentitySerializer, responses=PrivacyRequestSerializer)
    @action(detail=True, methods=["post"], url_path="verify-identity")
    def verify_identity(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()
        body = VerifyIdentitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.request_verify_identity(
                request=obj,
                actor=request.user,
                method=body.validated_data["method"],
                note=body.validated_data.get("note", ""),
                identifiers=body.validated_data.get("identifiers"),
            )
        except services.InvalidRequest as error:
            _raise_invalid(error)
        return self._answer(obj)

    @extend_schema(request=IdentifierAddSerializer, responses={201: IdentifierSerializer})
    @action(detail=True, methods=["post"])
    def identifiers(self, request: Request, pk: str | None = None) -> Response:
        """Add an email address or phone number the subject names: unverified until an identity
        check proves it; the records must be searched again before execution."""
        obj = self.get_object()
        body = IdentifierAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            identifier = services.request_identifier_add(
                request=obj, actor=request.user, value=body.validated_data["value"]
            )
        except services.InvalidRequest as error:
            _raise_invalid(error)
        return Response(IdentifierSerializer(identifier).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=MatchSerializer(many=True))
    @extend_schema(methods=["POST"], request=MatchesReviewSerializer, responses=MatchSerializer(many=True))
    # Every match of the request in one list: neither paginated nor filtered like the request list.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def matches(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()
        try:
            if request.method == "POST":
                body = MatchesReviewSerializer(data=request.data)
                body.is_valid(raise_exception=True)
                if body.validated_data["rediscover"]:
                    services.require_open(obj)
                    discovery.request_discover(request=obj, actor=request.user)
                found = discovery.matches_review(
                    request=obj,
                    actor=request.user,
                    include=body.validated_data["include"],
                    exclude=body.validated_data["exclude"],
                )
            elif obj.discovered_at is None and obj.is_open:
                found = discovery.request_discover(request=obj, actor=request.user)
            else:
                found = discovery.matches_of(obj)
        except services.InvalidRequest as error:
            _raise_invalid(error)
        rows = selectors.match_previews(request=obj, matches=found, actor=request.user)
        return Response(MatchSerializer(found, many=True, context={"rows": rows}).data)

    @extend_schema(request=ExecuteSerializer, responses={200: PrivacyRequestSerializer, 202: PrivacyRequestSerializer})
    @action(detail=True, methods=["post"])
    def execute(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()
        body = ExecuteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            obj = execution.request_execute(request=obj, actor=request.user, data=body.validated_data)
        except services.InvalidRequest as error:
            _raise_invalid(error)
        # An access or portability copy is built by a task: 202, progress in `export`.
        building = obj.kind in exports.export_kinds() and obj.exports.exists()
        return self._answer(obj, status.HTTP_202_ACCEPTED if building else status.HTTP_200_OK)

    @extend_schema(
        methods=["GET"],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 409: OpenApiResponse(description="not ready")},
    )
    @extend_schema(methods=["POST"], request=None, responses={202: ExportSerializer})
    @action(detail=True, methods=["get", "post"])
    def export(self, request: Request, pk: str | None = None) -> Any:
        """POST builds the copy (a Celery task); GET downloads the ZIP once ready."""
        obj = self.get_object()
        if request.method == "POST":
            export = exports.export_start(request=obj, actor=request.user)
            export.refresh_from_db()
            return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
        export = exports.export_for_download(request=obj, actor=request.user)
        return FileResponse(
            export.file.open("rb"),
            as_attachment=True,
            filename=f"privacy-request-{obj.pk}.zip",
            content_type="application/zip",
        )

    @extend_schema(request=ExtendSerializer, responses=PrivacyRequestSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()
        body = ExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.request_extend(
                request=obj,
                actor=request.user,
                reason=body.validated_data["reason"],
                due_at=body.validated_data.get("due_at"),
            )
        except services.InvalidRequest as error:
            _raise_invalid(error)
        return self._answer(obj)

    @extend_schema(
        request=RejectSerializer,
        responses=inline_serializer(
            "RejectAnswer", {"request": PrivacyRequestSerializer(), "letter": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()
        body = RejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            obj, letter = services.request_reject(
                request=obj,
                actor=request.user,
                reason=body.validated_data["reason"],
                justification=body.validated_data["justification"],
            )
        except services.InvalidRequest as error:
            _raise_invalid(error)
        data = PrivacyRequestSerializer(obj, context=self.get_serializer_context()).data
        return Response({"request": data, "letter": letter.body})
