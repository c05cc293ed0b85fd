import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from shared_apps.accounts.access import StaffAccess
from shared_apps.common.errors import NotFound
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import earliest_bookable, last_bookable_date
from tenant_apps.doctors.models import Doctor, DoctorAvailability
from tenant_apps.doctors.slots import Window, free_slots

# Availability is read at most this far from today, either way: far enough for any schedule, and far from the
# calendar's ends (date arithmetic overflows at year 1 and 9999).
AVAILABILITY_MAX_DAYS_AWAY = 3660


def doctor_get_for_staff(*, access: StaffAccess, doctor_id, manage: bool) -> Doctor:
    """In the hospital's schema: the doctor, for its hospital's admin, or (unless `manage`) for the doctor themself.
    NotFound for anyone else, as if missing.
    """
    doctor = Doctor.objects.filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound()
    if access.is_admin or (not manage and doctor.user_id is not None and doctor.user_id == access.user.pk):
        return doctor
    raise NotFound()


def doctors_for_staff(*, access: StaffAccess, status: str = "") -> QuerySet[Doctor]:
    """The doctors `access` may see: every doctor for the admin, their own record for a doctor."""
    doctors = doctor_list(status=status)
    return doctors if access.is_admin else doctors.filter(user=access.user)


def doctor_list(*, status: str = "") -> QuerySet[Doctor]:
    doctors = Doctor.objects.all()
    if status:
        doctors = doctors.filter(status=status)
    return doctors.order_by("name", "id")


def availability_windows(*, doctor: Doctor, date_from: dt.date, date_to: dt.date) -> QuerySet[DoctorAvailability]:
    return DoctorAvailability.objects.filter(doctor=doctor, date__gte=date_from, date__lte=date_to).order_by(
        "date", "start_time", "is_available"
    )


def availability_range(
    *, hospital: Hospital, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The local dates an availability read covers: `date_from` defaults to the hospital's today, `date_to` to
    six days later.

    Raises ValidationError (400, fields `from`/`to`) for a date more than AVAILABILITY_MAX_DAYS_AWAY days from
    today, `to` before `from`, or a range longer than AVAILABILITY_MAX_RANGE_DAYS (also when only `to` is given).
    """
    today = timezone.now().astimezone(hospital.zone).date()
    reach = dt.timedelta(days=AVAILABILITY_MAX_DAYS_AWAY)
    for name, value in (("from", date_from), ("to", date_to)):
        if value is not None and not today - reach <= value <= today + reach:
            raise ValidationError({name: [f"Must be within {AVAILABILITY_MAX_DAYS_AWAY} days of today."]})
    date_from = date_from or today
    date_to = date_to or date_from + dt.timedelta(days=6)
    if date_to < date_from:
        raise ValidationError({"to": ["Must not be before `from`."]})
    if (date_to - date_from).days >= settings.AVAILABILITY_MAX_RANGE_DAYS:
        raise ValidationError({"to": [f"The range is capped at {settings.AVAILABILITY_MAX_RANGE_DAYS} days."]})
    return date_from, date_to


def doctor_free_slots(
    *, hospital: Hospital, doctor: Doctor, windows: list[DoctorAvailability], date_from: dt.date, date_to: dt.date
) -> list:
    """The doctor's free slots between two local dates, from their `windows` over that range, minus bookings,
    minus what the hospital's policy does not let patients book: inside the booking notice or past the horizon.
    """
    from tenant_apps.appointments.selectors import busy_intervals  # appointments build on doctors

    now = timezone.now()
    last_date = last_bookable_date(hospital, now.astimezone(hospital.zone).date())
    slots = free_slots(
        windows=[Window(w.date, w.start_time, w.end_time, w.is_available) for w in windows],
        slot_minutes=doctor.slot_minutes,
        zone=hospital.zone,
        busy=busy_intervals(doctor=doctor, date_from=date_from, date_to=date_to),
        now=earliest_bookable(hospital, now),
    )
    return [slot for slot in slots if slot.date <= last_date]


def availability_body(*, hospital: Hospital, doctor: Doctor, date_from: dt.date, date_to: dt.date) -> dict:
    """Windows and free slots of one doctor as JSON-ready data (inside the hospital's schema).

    Built by hand rather than through AvailabilityApi.OutputSerializer (which documents it): a week holds
    hundreds of slots. The contract tests validate the body against the schema.
    """
    windows = list(availability_windows(doctor=doctor, date_from=date_from, date_to=date_to))
    slots = doctor_free_slots(hospital=hospital, doctor=doctor, windows=windows, date_from=date_from, date_to=date_to)
    return {
        "doctor_id": str(doctor.pk),
        "timezone": hospital.timezone,
        "windows": [window_row(w) for w in windows],
        "slots": [
            {
                "date": slot.date.isoformat(),
                "time": slot.time.strftime("%H:%M"),
                "starts_at": slot.starts_at.isoformat(timespec="seconds"),
                "ends_at": slot.ends_at.isoformat(timespec="seconds"),
            }
            for slot in slots
        ],
    }


def window_row(window: DoctorAvailability) -> dict:
    return {
        "date": window.date.isoformat(),
        "start_time": window.start_time.strftime("%H:%M"),
        "end_time": window.end_time.strftime("%H:%M"),
        "is_available": window.is_available,
    }
