import datetime as dt

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.services import appointment_book
from tenant_apps.appointments.tests.helpers import bookable_doctor
from tenant_apps.waitlist.services import waitlist_join, waitlist_match


def full_doctor(hospital, *, days=3, slots=2, slot_minutes=30):
    """A doctor whose one open window (`slots` slots from 09:00, `days` ahead) is fully booked, each slot by
    another patient. Returns (doctor, day, appointments)."""
    end = (dt.datetime(2000, 1, 1, 9) + dt.timedelta(minutes=slots * slot_minutes)).time()  # noqa: DTZ001
    doctor, day = bookable_doctor(hospital, days=days, end=end.strftime("%H:%M"), slot_minutes=slot_minutes)
    appointments = []
    with hospital_context(hospital):
        for n in range(slots):
            at = (dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=n * slot_minutes)).time()
            appointments.append(
                appointment_book(actor=PatientFactory().user, hospital=hospital, doctor=doctor, date=day, time=at)
            )
    return doctor, day, appointments


def join(hospital, patient, doctor, day, **times):
    with hospital_context(hospital):
        return waitlist_join(actor=patient, hospital=hospital, doctor=doctor, date_from=day, date_to=day, **times)


def match(hospital, doctor):
    """Run what the task queued after commit runs (tests run inside one transaction: no commit fires it)."""
    with hospital_context(hospital):
        return waitlist_match(hospital=hospital, doctor=doctor)
