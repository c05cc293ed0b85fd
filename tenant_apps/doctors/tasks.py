from celery import shared_task

from tenant_apps.doctors.services.facts import doctor_facts_refresh_due


@shared_task(ignore_result=True)
def doctor_facts_refresh_all() -> int:
    """Periodic (beat): recompute the directory's free-slot facts that time made stale (doctor_facts_refresh_due)."""
    return doctor_facts_refresh_due()
