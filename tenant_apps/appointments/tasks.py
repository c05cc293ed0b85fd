from celery import shared_task

from tenant_apps.appointments.services import appointment_reminders_queue


@shared_task(ignore_result=True)
def appointment_reminders() -> int:
    """Periodic (beat): queue the reminders that have come due. Safe to run twice: each is claimed once."""
    return appointment_reminders_queue()
