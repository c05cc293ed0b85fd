"""Celery app. Tasks remember the schema they were queued from (tenant-schemas-celery) and run in it."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("rhms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    "requeue-stale-notifications": {"task": "shared_apps.notifications.tasks.notifications_requeue", "schedule": 60.0},
}
