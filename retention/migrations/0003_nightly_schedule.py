"""The nightly jobs as django-celery-beat periodic tasks, editable in the admin afterwards:
the purge at 02:30 Helsinki time, the file sweep at 03:30."""

from zoneinfo import ZoneInfo

from django.db import migrations

PURGE = "Nightly purge of personal data past its retention"
SWEEP = "Nightly sweep of orphaned and tombstoned files"


def forward(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    helsinki = ZoneInfo("Europe/Helsinki")
    for name, task, hour in ((PURGE, "retention.purge_expired", "2"), (SWEEP, "retention.sweep_files", "3")):
        schedule, _created = CrontabSchedule.objects.get_or_create(
            minute="30", hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone=helsinki
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "kwargs": "{}", "enabled": True}
        )


def backward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[PURGE, SWEEP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0002_purge_runs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(forward, backward)]
