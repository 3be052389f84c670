"""The channel of a complaint becomes a choice (shown translated); values written freely before
are mapped onto the choices, and anything unrecognised becomes "other"."""

from django.db import migrations, models

KNOWN = ["email", "call", "chat", "letter", "in_person", "web_form", "other"]
SYNONYMS = {"e-mail": "email", "mail": "email", "phone": "call", "telephone": "call", "web": "web_form"}


def channels_onto_choices(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    rows = Complaint._base_manager.exclude(channel="").exclude(channel__in=KNOWN)
    for value in rows.values_list("channel", flat=True).distinct():
        cleaned = value.strip().lower().replace(" ", "_")
        mapped = cleaned if cleaned in KNOWN else SYNONYMS.get(cleaned, "other")
        Complaint._base_manager.filter(channel=value).update(channel=mapped)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0002_legal_hold"),
    ]

    operations = [
        migrations.RunPython(channels_onto_choices, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="complaint",
            name="channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("email", "Email"),
                    ("call", "Call"),
                    ("chat", "Chat"),
                    ("letter", "Letter"),
                    ("in_person", "In person"),
                    ("web_form", "Web form"),
                    ("other", "Other"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AddConstraint(
            model_name="complaint",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("channel", ""),
                    ("channel__in", ["email", "call", "chat", "letter", "in_person", "web_form", "other"]),
                    _connector="OR",
                ),
                name="complaints_complaint_channel_known",
            ),
        ),
    ]
