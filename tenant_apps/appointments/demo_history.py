"""Demo data only: invented past appointments for `manage.py load_demo`. Never called by the product.

A booking service cannot make history: it refuses a start in the past, and a real past appointment was booked,
then completed, cancelled or missed, by people, at the time. The demo still needs a few weeks of it so a first
`scripts/run` shows a hospital with a past. This module writes such rows directly, and says so: it runs only with
debug on, writes no audit rows (nobody did these things) and queues no notices (nobody is told about the past).
Everything else a booking writes is written as a booking would have: the appointment in the hospital's schema and
its directory row, on a slot the one slot computation offers on that date (ignoring the clock), with the
timestamps the lifecycle would have left.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.common.cache_versions import patient_bookings_version_key
from shared_apps.common.response_cache import bump_after_commit
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.models import Hospital
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_schedule
from tenant_apps.doctors.slots import free_slots

PAST_OUTCOMES = (AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
# Slots are looked up "as if it were long ago", so slots already passed are still offered.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def demo_past_slots(*, hospital: Hospital, doctor: Doctor, date: dt.date) -> list:
    """The slots the one slot computation gives `doctor` on a past local `date` (weekly hours, dated windows,
    time off; appointments other than cancelled ones taken out), whatever the clock says now.
    """
    schedule = doctor_schedule(doctor=doctor, date_from=date, date_to=date)
    taken = Appointment.objects.filter(doctor=doctor, appointment_date=date).exclude(status=AppointmentStatus.CANCELLED)
    return free_slots(
        schedule=schedule,
        date_from=date,
        date_to=date,
        slot_minutes=doctor.slot_minutes,
        zone=hospital.zone,
        busy=[(a.starts_at, a.ends_at) for a in taken],
        not_before=_EPOCH,
    )


@transaction.atomic
def demo_past_appointment_record(
    *,
    hospital: Hospital,
    doctor: Doctor,
    patient: User,
    date: dt.date,
    time: dt.time,
    status: str,
    booked_days_before: int = 7,
    cancelled_by: User | None = None,
    reason: str = "",
    cancellation_reason: str = "",
) -> Appointment:
    """Write one past appointment of `patient` with `doctor` (demo data), already `status` (completed, cancelled
    or no_show), with its directory row. A cancellation names who cancelled (`cancelled_by`: the patient or
    hospital staff) and happened a day before the start; a completion at the end.

    Raises RuntimeError with debug off, and ValueError for a status that is not a past outcome, a slot that has
    not ended, a time that is not a free slot of the doctor's schedule on that date, or (unless cancelled) a
    patient already seen (in any hospital) at that time.
    Side effects: the patient's cached booking lists refresh after commit. No audit rows, no notices.
    """
    if not settings.DEBUG:
        raise RuntimeError("Invented past appointments are demo data: debug only.")
    if status not in PAST_OUTCOMES:
        raise ValueError(f"A past demo appointment is completed, cancelled or no_show, not {status!r}.")
    if (status == AppointmentStatus.CANCELLED) != (cancelled_by is not None):
        raise ValueError("A cancelled appointment names who cancelled it, and only a cancelled one does.")
    slot = next((s for s in demo_past_slots(hospital=hospital, doctor=doctor, date=date) if s.time == time), None)
    if slot is None:
        raise ValueError(f"{date} {time:%H:%M} is not a free slot of {doctor}.")
    if slot.ends_at > timezone.now():
        raise ValueError("Demo history ends before now: book upcoming appointments through appointment_book.")
    seen_elsewhere = (  # in any hospital: the directory holds every booking
        BookingEntry.objects.filter(patient=patient, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at)
        .exclude(status=AppointmentStatus.CANCELLED)
        .exists()
    )
    if seen_elsewhere and status != AppointmentStatus.CANCELLED:
        raise ValueError(f"{patient} already has an appointment at {slot.starts_at}.")

    booked_at = slot.starts_at - dt.timedelta(days=booked_days_before)
    appointment = Appointment(
        doctor=doctor,
        patient=patient,
        appointment_date=date,
        appointment_time=time,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=status,
        reason=reason.strip(),
        created_at=booked_at,
    )
    if status == AppointmentStatus.CANCELLED:
        appointment.cancelled_at = slot.starts_at - dt.timedelta(days=1)
        appointment.cancelled_by = cancelled_by
        appointment.cancellation_reason = cancellation_reason.strip()
    elif status == AppointmentStatus.COMPLETED:
        appointment.completed_at = slot.ends_at
    appointment.full_clean(validate_constraints=False)  # the exclusion constraints only hold booked rows
    appointment.save(force_insert=True)
    BookingEntry.objects.create(
        appointment_id=appointment.pk,
        hospital=hospital,
        doctor_id=doctor.pk,
        patient=patient,
        appointment_date=date,
        appointment_time=time,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        status=status,
        updated_at=appointment.cancelled_at or appointment.completed_at or appointment.ends_at,
    )
    bump_after_commit(patient_bookings_version_key(patient.pk))
    return appointment
