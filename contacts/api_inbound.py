"""Inbound endpoints (P2): the mail server, the telephony system and the website chat post their
contacts here, with an integration account's token. Thin: validate, call contacts.ingestion."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contacts.identifiers import normalise_phone
from contacts.ingestion import (
    ChatLine,
    IngestResult,
    call_ingest,
    chat_ingest,
    email_ingest,
    email_recipients,
    mailbox_controller_for,
)
from contacts.models import ChatAuthor, Direction
from core.access import Action, Area, AreaPermission
from core.api import UserControllerField
from core.models import Controller
from core.parsers import JSONParser, MultiPartParser
from core.roles import INBOUND_THROTTLE_SCOPE
from core.selectors import controllers_of
from core.uploads import UploadTooLarge, check_content_length

EMAIL_MEDIA_TYPE = "message/rfc822"


class RawEmailParser(BaseParser):
    """The body of `POST /inbound/email`: one raw RFC 822 message, read up to the size limit."""

    media_type = EMAIL_MEDIA_TYPE

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        if stream is None:
            return b""
        limit = settings.INBOUND_EMAIL_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise UploadTooLarge(
                _("The message is too large: more than %(limit)s bytes.") % {"limit": limit},
            )
        return raw


def _validate_phone(value: str) -> str:
    try:
        normalise_phone(value)
    except Exception as error:  # ValidationError from the normaliser
        raise serializers.ValidationError(_("Enter a valid phone number.")) from error
    return value


class InboundResultSerializer(serializers.Serializer):
    contact = serializers.IntegerField(help_text=_("Id of the stored contact."))
    task = serializers.IntegerField(allow_null=True)
    customer = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField(help_text=_("False when the contact had been stored before."))
    parse_problems = serializers.ListField(
        child=serializers.CharField(), help_text=_("What could not be read cleanly; the raw message is kept anyway.")
    )

    @staticmethod
    def of(result: IngestResult) -> dict[str, Any]:
        return {
            "contact": result.contact.pk,
            "task": result.contact.task_id,
            "customer": result.contact.customer_id,
            "created": result.created,
            "parse_problems": list(result.parse_problems),
        }


def _result_response(result: IngestResult) -> Response:
    return Response(
        InboundResultSerializer.of(result), status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    )


class InboundEmailQuerySerializer(serializers.Serializer):
    controller = UserControllerField(
        required=False, help_text=_("Slug; by default the mailbox of a recipient decides.")
    )


INBOUND_PERMISSIONS = [AreaPermission.for_area(Area.INBOUND, write=Action.CREATE)]


class InboundEmailView(APIView):
    """Store one incoming email, raw (P2). The controller is the one of the configured mailbox
    among the recipients, or `?controller=`. The same message seen before (the same Message-ID
    and bytes) is not stored again (200); a different one reusing a Message-ID is (201)."""

    throttle_scope = INBOUND_THROTTLE_SCOPE
    permission_classes = INBOUND_PERMISSIONS
    parser_classes = [RawEmailParser]

    @extend_schema(
        tags=["inbound"],
        operation_id="inbound_email",
        parameters=[OpenApiParameter("controller", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False)],
        request={EMAIL_MEDIA_TYPE: OpenApiTypes.BINARY},
        responses={
            201: OpenApiResponse(InboundResultSerializer, description=_("Stored.")),
            200: OpenApiResponse(InboundResultSerializer, description=_("Stored before: the existing contact.")),
            400: OpenApiResponse(description=_("Empty message or unknown controller.")),
            413: OpenApiResponse(description=_("Above INBOUND_EMAIL_MAX_BYTES.")),
            415: OpenApiResponse(description=_("Not message/rfc822.")),
        },
    )
    def post(self, request: Request) -> Response:
        if (request.content_type or "").split(";")[0].strip().lower() != EMAIL_MEDIA_TYPE:
            raise exceptions.UnsupportedMediaType(request.content_type or "")
        check_content_length(request, settings.INBOUND_EMAIL_MAX_BYTES)
        raw = request.data
        if not isinstance(raw, bytes) or not raw.strip():
            raise exceptions.ValidationError({"message": [_("The message is empty.")]})
        query = InboundEmailQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        controller = query.validated_data.get("controller") or self._mailbox_controller(request, raw)
        return _result_response(email_ingest(raw=raw, controller=controller, actor=request.user))

    @staticmethod
    def _mailbox_controller(request: Request, raw: bytes) -> Controller:
        controller = mailbox_controller_for(email_recipients(raw))
        if controller is None or not controllers_of(request.user).filter(pk=controller.pk).exists():
            raise exceptions.ValidationError(
                {"controller": [_("No mailbox of yours among the recipients: give ?controller=<slug>.")]}
            )
        return controller


class ChatVisitorSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", validators=[_validate_phone]
    )


class ChatLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    author = serializers.ChoiceField(choices=ChatAuthor.choices)
    text = serializers.CharField(max_length=20000, trim_whitespace=False)


class InboundChatSerializer(serializers.Serializer):
    session_id = serializers.CharField(max_length=100)
    controller = UserControllerField()
    started_at = serializers.DateTimeField()
    visitor = ChatVisitorSerializer(required=False)
    messages = ChatLineSerializer(many=True, max_length=5000)


class InboundChatView(APIView):
    """Store a website chat; the same `session_id` again updates it, never duplicates (P2)."""

    throttle_scope = INBOUND_THROTTLE_SCOPE
    permission_classes = INBOUND_PERMISSIONS
    parser_classes = [JSONParser]
    # The visitor wrote the lines: a personal identity code in them is masked, not refused.
    personal_identity_codes_masked = True

    @extend_schema(
        tags=["inbound"],
        operation_id="inbound_chat",
        request=InboundChatSerializer,
        responses={201: InboundResultSerializer, 200: InboundResultSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = InboundChatSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visitor = data.get("visitor") or {}
        result = chat_ingest(
            controller=data["controller"],
            session_id=data["session_id"],
            started_at=data["started_at"],
            name=visitor.get("name", ""),
            email=visitor.get("email", ""),
            phone=visitor.get("phone", ""),
            messages=[ChatLine(at=line["at"], author=line["author"], text=line["text"]) for line in data["messages"]],
            actor=request.user,
        )
        return _result_response(result)


class InboundCallSerializer(serializers.Serializer):
    controller = UserControllerField()
    started_at = serializers.DateTimeField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    phone = serializers.CharField(max_length=40, validators=[_validate_phone])
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    duration_seconds = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    recording = serializers.FileField(
        required=False, help_text=_("Audio (WAV, MP3, OGG, FLAC, M4A, WebM), recognised by content.")
    )


class InboundCallView(APIView):
    """Store a call reported by the telephony system, with its recording if any (P2)."""

    throttle_scope = INBOUND_THROTTLE_SCOPE
    permission_classes = INBOUND_PERMISSIONS
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=["inbound"],
        operation_id="inbound_call",
        request={"application/json": InboundCallSerializer, "multipart/form-data": InboundCallSerializer},
        responses={
            201: InboundResultSerializer,
            413: OpenApiResponse(description=_("Recording above RECORDING_MAX_BYTES.")),
            415: OpenApiResponse(description=_("The recording is not audio.")),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = InboundCallSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = call_ingest(
            controller=data["controller"],
            started_at=data["started_at"],
            direction=data["direction"],
            phone=data["phone"],
            name=data["name"],
            duration_seconds=data["duration_seconds"],
            notes=data["notes"],
            recording=data.get("recording"),
            actor=request.user,
        )
        return _result_response(result)
