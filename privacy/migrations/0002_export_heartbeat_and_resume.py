"""A sign of life on copies being built, and the periodic job that queues again the copies whose
task was lost (every ten minutes; editable afterwards in the admin, django-celery-beat)."""

from django.db import migrations, models

RESUME = "privacy: resume stalled access copies"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _created = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=RESUME, defaults={"task": "privacy.resume_stalled_exports", "interval": interval}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=RESUME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="requestexport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last progress at"),
        ),
        migrations.RunPython(schedule, unschedule),
    ]
