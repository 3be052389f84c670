"""`POST|GET /api/v1/contacts/{id}/recording`: a call's recording, uploaded by an agent and
streamed back with HTTP range support so the browser's audio player can seek. Every play is an
audit event (P9)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.ingestion import recording_attach
from contacts.models import CallRecording, Contact
from core.access import Area, AreaPermission
from core.audit import audit_log
from core.models import AuditAction, AuditPurpose
from core.renderers import download_renderers
from core.roles import Role, user_roles
from core.scoping import get_scoped_or_404

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) bytes asked for by a single-range `Range` header, or None to send the
    whole file (no header, or several ranges); `ValueError` when it cannot be satisfied."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError("range outside the file")
    return start, end


def _file_slice(fileobj: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        fileobj.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fileobj.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fileobj.close()


def _play_purpose(user: Any) -> AuditPurpose:
    roles = user_roles(user)
    if Role.AGENT in roles:
        return AuditPurpose.CUSTOMER_SERVICE
    if Role.COMPLAINTS in roles:
        return AuditPurpose.COMPLAINT_HANDLING
    return AuditPurpose.DATA_SUBJECT_REQUEST


class RecordingSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallRecording
        fields = ["contact", "content_type", "size_bytes", "duration_seconds", "uploaded_at"]


class RecordingUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("Audio (WAV, MP3, OGG, FLAC, M4A, WebM), recognised by content."))
    duration_seconds = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600, required=False)


class ContactRecordingView(GenericAPIView):
    """The recording of a call: agents upload it; agents, complaint handlers and the DPO play it."""

    permission_classes = [AreaPermission.for_area(Area.CUSTOMER_SERVICE)]
    parser_classes = [MultiPartParser]
    serializer_class = RecordingUploadSerializer
    # The URL names the contact; the row served is its recording.
    lookup_field = "contact_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return CallRecording.all_controllers.none()
        # A restricted call's recording is there only for the DPO (core.restriction).
        return CallRecording.objects.visible_to(self.request.user).select_related("contact")

    def get_renderers(self) -> list[Any]:
        # A client asking for audio, as the schema says, gets the recording.
        if self.request.method == "GET":
            return [renderer() for renderer in download_renderers("audio/*")]
        return super().get_renderers()

    @extend_schema(
        tags=["contacts"],
        operation_id="contact_recording_play",
        responses={
            (200, "audio/*"): OpenApiTypes.BINARY,
            (206, "audio/*"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description=_("No such contact, or it has no recording.")),
            416: OpenApiResponse(description=_("The range asked for is outside the file.")),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        recording = get_scoped_or_404(self.get_queryset(), contact_id=pk)
        size = recording.size_bytes or recording.file.size
        try:
            wanted = byte_range(request.headers.get("Range", ""), size)
        except ValueError:
            response = HttpResponse(status=status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE)
            response["Content-Range"] = f"bytes */{size}"
            return response
        start, end = wanted if wanted is not None else (0, size - 1)
        audit_log(
            actor=request.user,
            action=AuditAction.PLAY,
            purpose=_play_purpose(request.user),
            obj=recording,
            details={"contact": recording.contact_id, "first_byte": start},
        )
        fileobj = recording.file.open("rb")
        response = StreamingHttpResponse(
            _file_slice(fileobj, start, end - start + 1),
            status=status.HTTP_206_PARTIAL_CONTENT if wanted is not None else status.HTTP_200_OK,
            content_type=recording.content_type,
        )
        response["Content-Length"] = str(end - start + 1)
        response["Accept-Ranges"] = "bytes"
        if wanted is not None:
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = "inline"
        return response

    @extend_schema(
        tags=["contacts"],
        operation_id="contact_recording_upload",
        request={"multipart/form-data": RecordingUploadSerializer},
        responses={
            201: RecordingSerializer,
            400: OpenApiResponse(description=_("No file, or the contact is not a call.")),
            409: OpenApiResponse(description=_("Processing of the call is restricted (art. 18).")),
            413: OpenApiResponse(description=_("Above RECORDING_MAX_BYTES.")),
            415: OpenApiResponse(description=_("Not audio.")),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        # The contact first: another controller's id is a 404 before any validation.
        contact = get_scoped_or_404(Contact.objects.visible_to(request.user), pk=pk)
        serializer = RecordingUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        recording = recording_attach(
            contact=contact, fileobj=data["file"], actor=request.user, duration_seconds=data.get("duration_seconds")
        )
        return Response(RecordingSerializer(recording).data, status=status.HTTP_201_CREATED)
