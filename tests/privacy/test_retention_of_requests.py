"""The privacy app's own records under the purge's deletion code: a completed request goes three
years after completion, with its matches, letters and copies; a copy goes after seven days."""

import datetime as dt

import pytest
from django.utils import timezone

from core.personal_data import registry
from privacy.discovery import request_discover
from privacy.models import Letter, PrivacyRequest, RequestExport, RequestMatch
from privacy.services import request_reject
from retention.deletion import delete_rows
from tests.privacy.factories import make_answered_privacy_request, make_privacy_request

pytestmark = pytest.mark.django_db


def test_a_copy_is_deleted_seven_days_after_it_was_made(isannointi, subject_records):
    request = make_answered_privacy_request(isannointi)
    export = request.exports.get()
    storage, name = export.file.storage, export.file.name
    assert storage.exists(name)
    declaration = registry.get("privacy.requestexport")
    early = delete_rows(
        declaration=declaration, pks=[export.pk], now=timezone.now() + dt.timedelta(days=6), only_due=True
    )
    assert not early.deleted
    with pytest.MonkeyPatch.context():
        result = delete_rows(
            declaration=declaration, pks=[export.pk], now=timezone.now() + dt.timedelta(days=8), only_due=True
        )
    assert result.deleted == {"privacy.requestexport": [export.pk]}
    assert not RequestExport.objects.filter(pk=export.pk).exists()


def test_a_closed_request_goes_three_years_after_completion_with_its_dependents(isannointi, dpo, subject_records):
    request = make_privacy_request(isannointi)
    request_discover(request=request, actor=dpo)
    request_reject(request=request, actor=dpo, reason="excessive", justification="x")
    assert RequestMatch.objects.filter(request=request).exists()
    declaration = registry.get("privacy.privacyrequest")
    kept = delete_rows(
        declaration=declaration, pks=[request.pk], now=timezone.now() + dt.timedelta(days=364), only_due=True
    )
    assert not kept.deleted
    gone = delete_rows(
        declaration=declaration, pks=[request.pk], now=timezone.now() + dt.timedelta(days=3 * 365 + 1), only_due=True
    )
    assert gone.deleted["privacy.privacyrequest"] == [request.pk]
    assert not PrivacyRequest.all_controllers.filter(pk=request.pk).exists()
    assert not Letter.objects.filter(request_id=request.pk).exists()
    assert not RequestMatch.objects.filter(request_id=request.pk).exists()
