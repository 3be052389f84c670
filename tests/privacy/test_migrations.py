"""Data migrations of the privacy app, run forward over rows written by the schema before them."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("privacy", "0002_export_heartbeat_and_resume")]
AFTER = [("privacy", "0003_request_identifiers")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_requests_keep_their_addresses_and_numbers_each_as_an_identifier(isannointi, dpo):
    old = _migrate(BEFORE)
    try:
        PrivacyRequest = old.get_model("privacy", "PrivacyRequest")
        day = dt.date(2026, 3, 15)
        checked = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        by_email = PrivacyRequest.objects.create(
            controller_id=isannointi.pk,
            kind="access",
            status="verified",
            email="maija@example.fi",
            phone="+358401234567",
            other_emails=["maija@koti.fi"],
            other_phones=["+358501112222"],
            due_at=day,
            original_due_at=day,
            identity_method="email_on_file",
            identity_verified_at=checked,
            identity_verified_by_id=dpo.pk,
            discovered_at=checked,
            matches_reviewed_at=checked,
        )
        unchecked = PrivacyRequest.objects.create(
            controller_id=isannointi.pk, kind="erasure", phone="+358401234567", due_at=day, original_due_at=day
        )
        new = _migrate(AFTER)
        Identifier = new.get_model("privacy", "RequestIdentifier")
        rows = {(i.kind, i.value): i for i in Identifier.objects.filter(request_id=by_email.pk).order_by("id")}
        assert list(rows) == [
            ("email", "maija@example.fi"),
            ("email", "maija@koti.fi"),
            ("phone", "+358401234567"),
            ("phone", "+358501112222"),
        ]
        # The reply came from the first address: that one is verified, nothing else.
        assert rows[("email", "maija@example.fi")].verified_at == checked
        assert rows[("email", "maija@example.fi")].verification_method == "email_on_file"
        assert [key for key, row in rows.items() if row.verified_at] == [("email", "maija@example.fi")]
        assert Identifier.objects.filter(request_id=unchecked.pk, verified_at__isnull=True).count() == 1
        # Open requests are searched afresh: their matches do not say what they were found through.
        migrated = new.get_model("privacy", "PrivacyRequest").objects.get(pk=by_email.pk)
        assert migrated.discovered_at is None and migrated.matches_reviewed_at is None
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
