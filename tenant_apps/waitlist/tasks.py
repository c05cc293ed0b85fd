from celery import shared_task

from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import Doctor
from tenant_apps.waitlist.services import waitlist_match, waitlist_sweep


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def waitlist_match_doctor(hospital_id: int, doctor_id: str) -> int:
    """Offer one doctor's free slots to their waitlist (queued after a slot is freed). Idempotent: a retry or a
    second worker waits for the doctor's lock and then finds nothing left to offer."""
    hospital = Hospital.objects.filter(pk=hospital_id, is_active=True).first()
    if hospital is None:
        return 0
    with hospital_context(hospital):
        doctor = Doctor.objects.filter(pk=doctor_id).first()
        if doctor is None:
            return 0
        return len(waitlist_match(hospital=hospital, doctor=doctor))


@shared_task(ignore_result=True)
def waitlist_sweep_all() -> int:
    """Periodic (beat): end lapsed offers and past entries, and offer what a lost matching task left unoffered."""
    return waitlist_sweep()
