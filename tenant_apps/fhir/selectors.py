"""What the facade reads: the directory's rows and the one slot computation (no loop over hospitals)."""

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from shared_apps.common.errors import ApplicationError
from shared_apps.directory.models import BookingEntry, DoctorEntry
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.selectors import booking_list_for_patient
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_free_slots, doctor_schedule
from tenant_apps.doctors.slots import Slot

DEFAULT_SLOT_DAYS = 7  # a Slot search without an upper bound: a week from the lower one


def appointment_list(*, user, statuses: list[str] | None = None) -> QuerySet[BookingEntry]:
    """The patient's bookings in every hospital (latest first), optionally only these of our statuses."""
    entries = booking_list_for_patient(user=user)
    return entries.filter(status__in=statuses) if statuses is not None else entries


def slot_range(
    hospital: Hospital, lower: dt.datetime | None, upper: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime, dt.date, dt.date]:
    """The searched instants (default: from now, a week) and the hospital-local dates they span; a span longer
    than AVAILABILITY_MAX_RANGE_DAYS is a 400, as on /availability/."""
    zone = hospital.zone
    lower = lower or timezone.now()
    if upper is None:
        first_day = lower.astimezone(zone).date()
        upper = dt.datetime.combine(first_day + dt.timedelta(days=DEFAULT_SLOT_DAYS), dt.time(), zone)
    date_from = lower.astimezone(zone).date()
    date_to = (upper - dt.timedelta(microseconds=1)).astimezone(zone).date()
    if upper > lower and (date_to - date_from).days >= settings.AVAILABILITY_MAX_RANGE_DAYS:
        message = f"start may span at most {settings.AVAILABILITY_MAX_RANGE_DAYS} days."
        raise ApplicationError("range_too_long", message, fields={"start": [message]})
    return lower, upper, date_from, date_to


def schedule_slots(
    *, entry: DoctorEntry, lower: dt.datetime | None, upper: dt.datetime | None, statuses: set[str]
) -> list[tuple[Slot, str]]:
    """The doctor's slots starting in [lower, upper), each `free` or `busy`, in time order.

    Free: what `doctor_free_slots` offers (what a patient can book now). Busy: the rest of the same grid (the
    schedule and policy with no appointment or hold subtracted), i.e. booked or held slots.
    """
    hospital = entry.hospital
    lower, upper, date_from, date_to = slot_range(hospital, lower, upper)
    if upper <= lower:
        return []
    with hospital_context(hospital):
        doctor = Doctor.objects.get(pk=entry.doctor_id)
        plan = doctor_schedule(doctor=doctor, date_from=date_from, date_to=date_to)
        window = {"hospital": hospital, "doctor": doctor, "date_from": date_from, "date_to": date_to, "schedule": plan}
        free = doctor_free_slots(**window)
        grid = doctor_free_slots(**window, busy=[]) if "busy" in statuses else free
    free_starts = {s.starts_at for s in free}
    found = [(s, "free" if s.starts_at in free_starts else "busy") for s in grid if lower <= s.starts_at < upper]
    return [(s, status) for s, status in found if status in statuses]
