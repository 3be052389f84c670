"""Each email address and phone number of a request becomes a RequestIdentifier with its own
verification, and each match records the identifiers it was found through.

Existing requests: their addresses and numbers become identifiers; the first address counts as
verified when the identity was checked by a reply from it, the first number when by a call-back.
Open requests are searched afresh (their matches do not yet say through which identifier they
were found), so their discovery and review are cleared: execution asks for both again.
"""

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def identifiers_from_request_fields(apps, schema_editor):
    PrivacyRequest = apps.get_model("privacy", "PrivacyRequest")
    RequestIdentifier = apps.get_model("privacy", "RequestIdentifier")
    rows = []
    for request in PrivacyRequest.objects.order_by("pk").iterator():
        given = [("email", v) for v in [request.email, *(request.other_emails or [])] if v]
        given += [("phone", v) for v in [request.phone, *(request.other_phones or [])] if v]
        seen = set()
        for kind, value in given:
            if (kind, value) in seen:
                continue
            seen.add((kind, value))
            proven = (kind == "email" and value == request.email and request.identity_method == "email_on_file") or (
                kind == "phone" and value == request.phone and request.identity_method == "callback_on_file"
            )
            rows.append(
                RequestIdentifier(
                    request_id=request.pk,
                    controller_id=request.controller_id,
                    kind=kind,
                    value=value,
                    added_at=request.created_at,
                    added_by_id=request.created_by_id,
                    verification_method=request.identity_method if proven and request.identity_verified_at else "",
                    verification_note=request.identity_note if proven and request.identity_verified_at else "",
                    verified_at=request.identity_verified_at if proven else None,
                    verified_by_id=request.identity_verified_by_id if proven else None,
                )
            )
    RequestIdentifier.objects.bulk_create(rows, batch_size=1000)
    PrivacyRequest.objects.filter(status__in=["received", "verified", "in_progress"]).update(
        discovered_at=None, matches_reviewed_at=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_references_without_triggers"),
        ("privacy", "0002_export_heartbeat_and_resume"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="requestmatch",
            name="may_belong_to_someone_else",
            field=models.BooleanField(default=False, verbose_name="may belong to someone else"),
        ),
        migrations.CreateModel(
            name="RequestIdentifier",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("email", "Email address"), ("phone", "Phone number")],
                        max_length=5,
                        verbose_name="kind",
                    ),
                ),
                ("value", models.CharField(max_length=254, verbose_name="value")),
                ("added_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="added at")),
                (
                    "verification_method",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("email_on_file", "Reply from the email address on file"),
                            ("callback_on_file", "Call-back to the phone number on file"),
                            ("strong_electronic", "Strong electronic identification"),
                            ("document_seen", "Identity document seen"),
                            ("other", "Other (explained in the note)"),
                        ],
                        max_length=30,
                        verbose_name="verified by method",
                    ),
                ),
                ("verification_note", models.TextField(blank=True, verbose_name="verification note")),
                ("verified_at", models.DateTimeField(blank=True, null=True, verbose_name="verified at")),
                (
                    "added_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="added by",
                    ),
                ),
                (
                    "controller",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.controller",
                        verbose_name="controller",
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="identifiers",
                        to="privacy.privacyrequest",
                        verbose_name="request",
                    ),
                ),
                (
                    "verified_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="verified by",
                    ),
                ),
            ],
            options={
                "verbose_name": "identifier of a request",
                "verbose_name_plural": "identifiers of requests",
                "ordering": ["request", "id"],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("all_controllers", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name="requestmatch",
            name="via",
            field=models.ManyToManyField(
                blank=True, related_name="matches", to="privacy.requestidentifier", verbose_name="found through"
            ),
        ),
        migrations.AddConstraint(
            model_name="requestidentifier",
            constraint=models.UniqueConstraint(
                fields=("request", "kind", "value"), name="privacy_requestidentifier_unique_value"
            ),
        ),
        migrations.AddConstraint(
            model_name="requestidentifier",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("verification_method", ""), ("verified_at__isnull", True)),
                    models.Q(("verified_at__isnull", False), models.Q(("verification_method", ""), _negated=True)),
                    _connector="OR",
                ),
                name="privacy_requestidentifier_verified_with_method",
            ),
        ),
        migrations.RunPython(identifiers_from_request_fields, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="privacyrequest",
            name="other_emails",
        ),
        migrations.RemoveField(
            model_name="privacyrequest",
            name="other_phones",
        ),
    ]
