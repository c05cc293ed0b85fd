from celery import shared_task

from shared_apps.directory.reminders import reminders_queue_due


@shared_task(ignore_result=True)
def appointment_reminders() -> int:
    """Periodic (beat): queue the reminders that have come due. Safe to run twice: each is claimed once."""
    return reminders_queue_due()
