from celery import shared_task

from shared_apps.events.services import events_prune, events_publish


@shared_task(name="shared_apps.events.tasks.events_publish_pending")
def events_publish_pending() -> int:
    """Periodic: number and publish events whose after-commit publish was lost (a crash, Redis down)."""
    return events_publish()


@shared_task(name="shared_apps.events.tasks.events_prune_old")
def events_prune_old() -> int:
    return events_prune()
