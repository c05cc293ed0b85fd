"""Celery app. Tasks remember the schema they were queued from (tenant-schemas-celery) and run in it."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("rhms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    # Outbox rows still queued after the grace period (e.g. the broker was down at commit) are sent again.
    "requeue-stale-notifications": {"task": "shared_apps.notifications.tasks.notifications_requeue", "schedule": 60.0},
    # Appointment reminders: a periodic query over armed reminders, not long-delayed tasks (Redis would redeliver
    # those). Every minute: a reminder goes out at most a minute after its time (offsets are 5 minutes or more).
    "queue-appointment-reminders": {"task": "tenant_apps.appointments.tasks.appointment_reminders", "schedule": 60.0},
    # Waitlist: lapsed offers and past entries end; a slot whose matching task was lost is offered now.
    "sweep-waitlist": {"task": "tenant_apps.waitlist.tasks.waitlist_sweep_all", "schedule": 60.0},
    # Free-slot facts of the directory: next_available moves past slots now inside the booking notice, and each
    # local midnight adds the day the horizon gained. Reads only the due doctors (dir_doctor_refresh_idx).
    "refresh-free-slot-facts": {"task": "tenant_apps.doctors.tasks.doctor_facts_refresh_all", "schedule": 60.0},
    # Live updates: events whose after-commit publish was lost get their ids; the log keeps EVENTS_RETENTION_HOURS.
    "publish-pending-events": {"task": "shared_apps.events.tasks.events_publish_pending", "schedule": 60.0},
    "prune-old-events": {"task": "shared_apps.events.tasks.events_prune_old", "schedule": 3600.0},
    # Webhooks: failed deliveries whose backoff has passed are sent again (those whose worker died are settled as
    # failed first); finished ones go after WEBHOOK_DELIVERY_RETENTION_DAYS.
    "send-due-webhooks": {"task": "shared_apps.webhooks.tasks.webhooks_send_due", "schedule": 60.0},
    "prune-old-webhook-deliveries": {"task": "shared_apps.webhooks.tasks.webhooks_prune_old", "schedule": 3600.0},
    "purge-expired-idempotency-keys": {"task": "shared_apps.accounts.tasks.idempotency_keys_purge", "schedule": 3600.0},
}
