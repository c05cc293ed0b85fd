"""The directory's free-slot facts as stored and as computed afresh, for the tests that compare the two, and the
many patients those tests book for."""

from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.directory.models import DoctorDay, DoctorEntry
from shared_apps.hospitals.policy import last_bookable_date
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import DoctorStatus
from tenant_apps.doctors.selectors import doctor_free_slots


def stored(doctor) -> dict:
    """The facts as stored: {date: (free slots, first free start)}, and next_available."""
    days = DoctorDay.objects.filter(doctor_id=doctor.pk).order_by("date")
    entry = DoctorEntry.objects.get(doctor_id=doctor.pk)
    return {
        "days": {d.date: (d.free_slots, d.first_free_at) for d in days},
        "next": entry.next_available_at,
    }


def recomputed(hospital, doctor) -> dict:
    """The facts computed afresh over the whole horizon, as the availability API would list the slots (none for
    an inactive doctor)."""
    with hospital_context(hospital):
        doctor.refresh_from_db()
        if doctor.status != DoctorStatus.ACTIVE:
            return {"days": {}, "next": None}
        today = timezone.now().astimezone(hospital.zone).date()
        slots = doctor_free_slots(
            hospital=hospital, doctor=doctor, date_from=today, date_to=last_bookable_date(hospital, today)
        )
    days: dict = {}
    for slot in slots:
        count, first = days.get(slot.date, (0, slot.starts_at))
        days[slot.date] = (count + 1, first)
    return {"days": days, "next": slots[0].starts_at if slots else None}


def assert_exact(hospital, doctor):
    assert stored(doctor) == recomputed(hospital, doctor)


def new_patient():
    """A patient who never signs in: no password to hash (Argon2 costs more than the booking itself)."""
    return PatientFactory(user__password=None).user
