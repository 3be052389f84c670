"""Upload limits and content sniffing (core.uploads): the bytes decide, not the file name."""

import io
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import override_settings
from django.urls import path
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.uploads import (
    UnsupportedUpload,
    UploadError,
    UploadTooLarge,
    check_content_length,
    check_size,
    require_audio,
    sniff_audio,
)

pytestmark = pytest.mark.django_db


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 800)
    return buffer.getvalue()


AUDIO = {
    "audio/wav": _wav(),
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 60,
    "audio/ogg": b"OggS\x00\x02" + b"\x00" * 60,
    "audio/flac": b"fLaC\x00\x00\x00\x22" + b"\x00" * 60,
    "audio/mp4": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 40,
    "audio/webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 40,
}
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 60  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
NOT_AUDIO = {
    "pdf": b"%PDF-1.7\n" + b"\x00" * 60,
    "html": b"<!DOCTYPE html><script>alert(1)</script>",
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 60,
    "zip": b"PK\x03\x04" + b"\x00" * 60,
    "matroska video": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 40,
    "aac adts (not mp3)": b"\xff\xf1\x50\x80" + b"\x00" * 60,
    "mp4 video brand": b"\x00\x00\x00\x20ftypqt  " + b"\x00" * 60,
    "text": b"hello",
    "empty": b"",
}


@pytest.mark.parametrize("content_type", sorted(AUDIO))
def test_each_supported_audio_format_is_recognised(content_type):
    assert sniff_audio(io.BytesIO(AUDIO[content_type])) == content_type


def test_an_mp3_without_id3_tag_is_recognised_by_its_frame_header():
    assert sniff_audio(io.BytesIO(MP3_FRAME)) == "audio/mpeg"


@pytest.mark.parametrize("name", sorted(NOT_AUDIO))
def test_other_content_is_not_audio(name):
    assert sniff_audio(io.BytesIO(NOT_AUDIO[name])) is None


def test_sniffing_leaves_the_file_position_alone():
    fileobj = io.BytesIO(AUDIO["audio/ogg"])
    fileobj.seek(3)
    sniff_audio(fileobj)
    assert fileobj.tell() == 3


def test_a_pdf_named_and_labelled_as_mp3_is_refused():
    upload = SimpleUploadedFile("call.mp3", NOT_AUDIO["pdf"], content_type="audio/mpeg")
    with pytest.raises(UnsupportedUpload) as error:
        require_audio(upload, limit=1000)
    assert error.value.status_code == 415


def test_require_audio_returns_the_sniffed_type_not_the_declared_one():
    upload = SimpleUploadedFile("call.bin", AUDIO["audio/flac"], content_type="application/octet-stream")
    assert require_audio(upload, limit=1000) == "audio/flac"


def test_size_limits():
    assert check_size(io.BytesIO(b"x" * 10), 10) == 10
    with pytest.raises(UploadTooLarge) as error:
        check_size(io.BytesIO(b"x" * 11), 10)
    assert error.value.status_code == 413
    with pytest.raises(UploadError) as empty:
        check_size(io.BytesIO(b""), 10)
    assert empty.value.status_code == 400


def test_size_of_a_spooled_upload_comes_from_the_file():
    upload = TemporaryUploadedFile("big.wav", "audio/wav", 0, None)
    upload.write(AUDIO["audio/wav"])
    upload.flush()
    upload.size = None  # as if the client sent no size
    assert check_size(upload, 10_000) == len(AUDIO["audio/wav"])
    upload.close()


def test_declared_content_length_is_checked_before_reading():
    class FakeRequest:
        META = {"CONTENT_LENGTH": "2000"}

    with pytest.raises(UploadTooLarge):
        check_content_length(FakeRequest(), 1000)
    FakeRequest.META = {"CONTENT_LENGTH": "abc"}
    with pytest.raises(UploadError):
        check_content_length(FakeRequest(), 1000)


@api_view(["POST"])
@parser_classes([MultiPartParser])
def recording_probe(request):
    content_type = require_audio(request.FILES["file"], limit=1000)
    return Response({"content_type": content_type}, status=201)


@api_view(["POST"])
def raw_probe(request):
    return Response({"size": len(request.body)}, status=201)


urlpatterns = [path("probe/recording", recording_probe), path("probe/raw", raw_probe)]


@override_settings(ROOT_URLCONF=__name__)
def test_the_api_answers_415_413_and_201(api_as, agent):
    client = api_as(agent)
    ok = client.post("/probe/recording", {"file": SimpleUploadedFile("a.wav", AUDIO["audio/wav"][:900])})
    assert ok.status_code == 201 and ok.json() == {"content_type": "audio/wav"}
    wrong = client.post("/probe/recording", {"file": SimpleUploadedFile("a.wav", NOT_AUDIO["html"])})
    assert wrong.status_code == 415 and wrong.json()["code"] == "unsupported_media_type"
    big = client.post("/probe/recording", {"file": SimpleUploadedFile("a.wav", AUDIO["audio/wav"] + b"\x00" * 1000)})
    assert big.status_code == 413 and big.json()["code"] == "too_large"


@override_settings(ROOT_URLCONF=__name__, DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_a_body_above_the_memory_limit_is_413_not_500(api_as, agent):
    client = api_as(agent)
    response = client.post("/probe/raw", data=b"x" * 101, content_type="message/rfc822")
    assert response.status_code == 413
    assert client.post("/probe/raw", data=b"x" * 100, content_type="message/rfc822").status_code == 201


def test_upload_settings_are_sane():
    from django.conf import settings

    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert settings.INBOUND_EMAIL_MAX_BYTES <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 100
