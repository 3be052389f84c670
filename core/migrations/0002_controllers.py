"""The two controllers of the privacy policy (P1)."""

from django.db import migrations

CONTROLLERS = [
    {
        "slug": "retta-isannointi",
        "name": "Retta Isännöinti Oy",
        "business_id": "0871684-7",
        "privacy_contact_email": "tietosuoja@retta.fi",
        "address": "",
    },
    {
        "slug": "retta-oy",
        "name": "Retta Oy",
        "business_id": "3434128-4",
        "privacy_contact_email": "tietosuoja@retta.fi",
        "address": "",
    },
]


def create_controllers(apps, schema_editor):
    Controller = apps.get_model("core", "Controller")
    for values in CONTROLLERS:
        Controller.objects.update_or_create(slug=values["slug"], defaults=values)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_controllers, migrations.RunPython.noop)]
