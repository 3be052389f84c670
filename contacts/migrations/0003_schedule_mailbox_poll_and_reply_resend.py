"""The periodic jobs of the contacts app, editable afterwards in the admin (django-celery-beat):
poll the IMAP mailboxes every two minutes, queue unsent replies again every ten."""

from django.db import migrations

JOBS = [
    ("contacts: poll IMAP mailboxes", "contacts.tasks.mailboxes_poll", 2),
    ("contacts: send unsent replies again", "contacts.tasks.replies_resend_unsent", 10),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in JOBS:
        interval, _created = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _minutes in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_ingestion"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
