import datetime as dt

from django.utils import timezone

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment
from tenant_apps.doctors.tests.factories import make_doctor, open_day


def future_day(hospital, days=3) -> dt.date:
    return timezone.now().astimezone(hospital.zone).date() + dt.timedelta(days=days)


def bookable_doctor(hospital, *, days=3, start="09:00", end="12:00", **fields):
    """A doctor with one open window `days` ahead; returns (doctor, day)."""
    doctor = make_doctor(hospital, **fields)
    day = future_day(hospital, days)
    open_day(hospital, doctor, day, start, end)
    return doctor, day


def book(client, doctor, day, time="09:00", **extra):
    headers = extra.pop("headers", {})
    body = {"doctor_id": str(doctor.pk), "date": str(day), "time": time, **extra}
    return client.post("/api/appointments/book/", body, format="json", **headers)


def move_start_to_the_past(hospital, appointment_id, hours=1):
    with hospital_context(hospital):
        appointment = Appointment.objects.get(pk=appointment_id)
        shift = appointment.starts_at - (timezone.now() - dt.timedelta(hours=hours))
        Appointment.objects.filter(pk=appointment_id).update(
            starts_at=appointment.starts_at - shift, ends_at=appointment.ends_at - shift
        )


def move_start_to(hospital, appointment_id, starts_at: dt.datetime):
    """Shift an appointment (keeping its length) so that it starts at `starts_at`: how tests set the clock's
    distance to a start without freezing time."""
    with hospital_context(hospital):
        appointment = Appointment.objects.get(pk=appointment_id)
        shift = appointment.starts_at - starts_at
        Appointment.objects.filter(pk=appointment_id).update(
            starts_at=appointment.starts_at - shift, ends_at=appointment.ends_at - shift
        )


def set_policy(hospital, **policy):
    """Change the hospital's policy row directly (rolled back with the test)."""
    from shared_apps.hospitals.models import Hospital

    Hospital.objects.filter(pk=hospital.pk).update(**policy)
    hospital.refresh_from_db()
