"""The Celery app `retta_cs`: `celery -A retta_cs worker` and `celery -A retta_cs beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retta_cs.settings")

app = Celery("retta_cs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
