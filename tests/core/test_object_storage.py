"""Media on S3-compatible object storage (django-storages), proven against a local moto server:
files are saved, read, signed and deleted through Django's default storage exactly as on disk."""

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "retta-media-test"
CREDENTIALS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}  # moto accepts any


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    endpoint, client = s3_endpoint
    options = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "addressing_style": "path",
                "signature_version": "s3v4",
                **CREDENTIALS,
            },
        },
    }
    with override_settings(STORAGES=options):
        yield client


def test_default_storage_saves_reads_and_deletes_on_s3(s3_storage):
    name = default_storage.save("emails/2026/03/message.eml", ContentFile(b"From: a@example.fi\r\n\r\nhello"))
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    assert default_storage.exists(name)
    with default_storage.open(name) as stored:
        assert stored.read() == b"From: a@example.fi\r\n\r\nhello"
    assert default_storage.size(name) == len(b"From: a@example.fi\r\n\r\nhello")
    # It is really in the bucket, private.
    head = s3_storage.head_object(Bucket=BUCKET, Key=name)
    assert head["ContentLength"] > 0
    grants = s3_storage.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]
    assert all(grant["Grantee"].get("URI") is None for grant in grants)  # no AllUsers / AuthenticatedUsers
    default_storage.delete(name)
    assert not default_storage.exists(name)
    assert s3_storage.list_objects_v2(Bucket=BUCKET, Prefix=name).get("KeyCount", 0) == 0


def test_a_second_file_with_the_same_name_never_overwrites(s3_storage):
    first = default_storage.save("recordings/call.wav", ContentFile(b"RIFF one"))
    second = default_storage.save("recordings/call.wav", ContentFile(b"RIFF two"))
    assert first != second
    with default_storage.open(first) as stored:
        assert stored.read() == b"RIFF one"
    default_storage.delete(first)
    default_storage.delete(second)


def test_urls_are_signed_and_short_lived(s3_storage):
    name = default_storage.save("exports/copy.zip", ContentFile(b"PK zip"))
    url = default_storage.url(name)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local test server)
        assert response.read() == b"PK zip"
    default_storage.delete(name)


def test_a_model_file_field_lives_and_dies_in_the_bucket(s3_storage, isannointi):
    from contacts.models import CallRecording, Contact

    contact = Contact.objects.create(controller=isannointi, channel="call", occurred_at=timezone.now())
    recording = CallRecording(controller=isannointi, contact=contact, content_type="audio/wav", size_bytes=8)
    recording.file.save("call.wav", ContentFile(b"RIFFWAVE"), save=True)
    key = recording.file.name
    assert key.startswith("recordings/")
    assert s3_storage.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"RIFFWAVE"
    recording.file.delete(save=False)
    recording.delete()
    assert s3_storage.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) == 0


def _settings_storages(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(DJANGO_SETTINGS_MODULE="retta_cs.settings", SECRET_KEY="x" * 50, DEBUG="false", **env)
    code = "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.STORAGES))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_choose_s3_only_when_a_bucket_is_configured():
    local = _settings_storages()
    assert local["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    s3 = _settings_storages(AWS_STORAGE_BUCKET_NAME="retta-media", AWS_S3_ENDPOINT_URL="http://minio:9000")
    assert s3["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3["default"]["OPTIONS"]
    assert options["bucket_name"] == "retta-media" and options["endpoint_url"] == "http://minio:9000"
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    # Static files stay on WhiteNoise either way.
    assert s3["staticfiles"]["BACKEND"].startswith("whitenoise.")
