"""Upload checks shared by every file field: size limits and content sniffing (P9).

What a client says a file is (its name, its Content-Type) is never trusted: the first bytes
decide. Views and services call these before storing anything; the API's exception handler
answers `UploadTooLarge` with 413 and `UnsupportedUpload` with 415.

    content_type = require_audio(request.FILES["file"], limit=settings.RECORDING_MAX_BYTES)

Settings: DATA_UPLOAD_MAX_MEMORY_SIZE bounds a request body read into memory (a raw email
posted as message/rfc822), FILE_UPLOAD_MAX_MEMORY_SIZE the part of a multipart file kept in
memory before it spills to a temporary file; file sizes themselves are checked here.
"""

from __future__ import annotations

import os
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

# Bytes read to recognise a format: enough for RIFF/ftyp headers and a WebM EBML doctype.
SNIFF_BYTES = 64

AUDIO_TYPES = frozenset({"audio/wav", "audio/mpeg", "audio/ogg", "audio/flac", "audio/mp4", "audio/webm"})

# ISO base-media brands of audio files (M4A) and of the generic MP4 containers recorders use.
_MP4_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"mp41", b"mp42", b"isom", b"iso2", b"dash"})


class UploadError(Exception):
    """An upload refused before anything was stored."""

    status_code = 400
    default_code = "upload_refused"

    def __init__(self, message: Any, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code or self.default_code


class UploadTooLarge(UploadError):
    """HTTP 413."""

    status_code = 413
    default_code = "too_large"


class UnsupportedUpload(UploadError):
    """HTTP 415: not a format this field accepts."""

    status_code = 415
    default_code = "unsupported_media_type"


def read_head(fileobj: IO[bytes], size: int = SNIFF_BYTES) -> bytes:
    """The first bytes of a seekable file, leaving its position where it was."""
    position = fileobj.tell()
    try:
        fileobj.seek(0)
        head = fileobj.read(size)
    finally:
        fileobj.seek(position)
    return head if isinstance(head, bytes) else bytes(head)


def _is_mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: sync bits, and no reserved version, layer, bitrate or rate."""
    if len(head) < 4 or head[0] != 0xFF or (head[1] & 0xE0) != 0xE0:
        return False
    version = (head[1] >> 3) & 0x3
    layer = (head[1] >> 1) & 0x3
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0x3
    return version != 0x1 and layer != 0x0 and bitrate not in (0x0, 0xF) and sample_rate != 0x3


def sniff_audio_bytes(head: bytes) -> str | None:
    """The audio content type of a file starting with `head`, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:3] == b"ID3" or _is_mp3_frame(head):
        return "audio/mpeg"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return "audio/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[4:SNIFF_BYTES]:
        return "audio/webm"
    return None


def sniff_audio(fileobj: IO[bytes]) -> str | None:
    """The audio content type recognised from the file's first bytes (WAV, MP3, OGG, FLAC,
    M4A, WebM), or None. The file must be seekable; its position is left unchanged."""
    return sniff_audio_bytes(read_head(fileobj))


def file_size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is not None:
        return int(size)
    try:
        return os.fstat(fileobj.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        position = fileobj.tell()
        try:
            return fileobj.seek(0, os.SEEK_END)
        finally:
            fileobj.seek(position)


def check_size(fileobj: IO[bytes], limit: int) -> int:
    """The file's size in bytes; `UploadTooLarge` (413) above `limit`, `UploadError` (400) when empty."""
    size = file_size(fileobj)
    if size > limit:
        raise UploadTooLarge(
            _("The file is too large: %(size)s bytes, the limit is %(limit)s bytes.") % {"size": size, "limit": limit}
        )
    if size == 0:
        raise UploadError(_("The file is empty."), code="empty")
    return size


def check_content_length(request: Any, limit: int) -> int:
    """For a raw body (an email posted as message/rfc822): refuse by the declared length before
    reading anything. `UploadTooLarge` (413) above `limit`; a missing length counts as 0 here
    (reading `request.body` still stops at DATA_UPLOAD_MAX_MEMORY_SIZE, also a 413)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise UploadError(_("The Content-Length header is not a number."), code="bad_length") from None
    if length > limit:
        raise UploadTooLarge(
            _("The request is too large: %(size)s bytes, the limit is %(limit)s bytes.")
            % {"size": length, "limit": limit}
        )
    return length


def require_audio(fileobj: IO[bytes], *, limit: int) -> str:
    """Size and format check of an audio upload in one call: returns the sniffed content type
    (store that, not the client's); raises `UploadTooLarge` or `UnsupportedUpload`."""
    check_size(fileobj, limit)
    content_type = sniff_audio(fileobj)
    if content_type is None:
        raise UnsupportedUpload(_("This is not an audio file in a supported format (WAV, MP3, OGG, FLAC, M4A, WebM)."))
    return content_type


# Attachments staff send (replies): documents and images recognised by their first bytes.
# An office document is a ZIP (OOXML, ODF): its name then says which kind it is.
_ZIP_DOCUMENTS = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def sniff_document_bytes(head: bytes, filename: str = "") -> str | None:
    """The content type of a PDF, PNG, JPEG, GIF, office document or plain UTF-8 text starting
    with `head`, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"PK\x03\x04"):
        return _ZIP_DOCUMENTS.get(os.path.splitext(filename.lower())[1])
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may end inside a multi-byte character: judge the complete ones.
        try:
            text = head[:-3].decode("utf-8") if len(head) > 3 else ""
        except UnicodeDecodeError:
            return None
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "text/plain"
    return None


def require_document(fileobj: IO[bytes], *, limit: int, filename: str = "") -> str:
    """Size and format check of a document or image attachment: returns the sniffed content type
    (store that, not the client's); raises `UploadTooLarge`, `UploadError` (empty) or
    `UnsupportedUpload`."""
    check_size(fileobj, limit)
    content_type = sniff_document_bytes(read_head(fileobj, 512), filename)
    if content_type is None:
        raise UnsupportedUpload(
            _("This file type cannot be attached: send PDF, images (PNG, JPEG, GIF), office documents or plain text.")
        )
    return content_type
