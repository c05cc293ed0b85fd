"""Triggers: a doctor's free slots may have changed, so the waitlist may have a slot to offer.

Called inside the transaction that freed the slot (a cancellation, a reschedule away, time off removed, new
weekly hours or dated windows, a declined or lapsed offer). They queue `waitlist_match` for the doctor after
commit, and only when someone waits for that doctor: the task locks the doctor, runs the one slot computation and
offers (see services.waitlist_match). If the task is lost (broker down, worker killed), the beat sweep
(tasks.waitlist_sweep) runs the same matching a minute later; matching is idempotent, so it offers once.
Imports nothing from the appointments services, which call these.
"""

import datetime as dt
import logging

from django.db import transaction

from shared_apps.common.cache import RedisOutage
from shared_apps.hospitals.models import Hospital
from tenant_apps.doctors.models import Doctor
from tenant_apps.waitlist.models import ACTIVE, WaitlistEntry, WaitlistStatus

logger = logging.getLogger(__name__)
BROKER_OUTAGE = RedisOutage("waitlist matching queue (the beat sweep matches meanwhile)")


def waitlist_slot_freed(*, hospital: Hospital, doctor: Doctor, starts_at: dt.datetime) -> bool:
    """The slot of `doctor` starting at `starts_at` is free again (inside the freeing transaction): if a waiting
    entry's date range holds its local date, match the doctor's waitlist after commit. Returns whether queued.
    The lead's reschedule calls this for the slot it leaves.
    """
    day = starts_at.astimezone(hospital.zone).date()
    waiting = WaitlistEntry.objects.filter(
        doctor_id=doctor.pk, status=WaitlistStatus.WAITING, date_from__lte=day, date_to__gte=day
    )
    if not waiting.exists():
        return False
    _match_after_commit(hospital.pk, doctor.pk)
    return True


def waitlist_slots_changed(*, hospital: Hospital, doctor: Doctor) -> bool:
    """Any of `doctor`'s slots may have changed (schedule, windows, time off, a declined or withdrawn offer): if
    anyone waits for the doctor or holds an offer (which may have left the schedule), match after commit.
    """
    if not WaitlistEntry.objects.filter(doctor_id=doctor.pk, status__in=ACTIVE).exists():
        return False
    _match_after_commit(hospital.pk, doctor.pk)
    return True


def _match_after_commit(hospital_id: int, doctor_id) -> None:
    transaction.on_commit(lambda: queue_match(hospital_id=hospital_id, doctor_id=doctor_id))


def queue_match(*, hospital_id: int, doctor_id) -> None:
    """Send the matching task for one doctor (ids only); a broker outage is left to the beat sweep."""
    from tenant_apps.waitlist.tasks import waitlist_match_doctor

    try:
        waitlist_match_doctor.apply_async(args=[hospital_id, str(doctor_id)])
    except Exception as exc:
        BROKER_OUTAGE.failed(exc)
    else:
        BROKER_OUTAGE.recovered()
