import datetime as dt

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from shared_apps.accounts.access import StaffAccess, staff_access
from shared_apps.accounts.models import User
from shared_apps.common.errors import Conflict, NotFound
from shared_apps.directory.models import BookingEntry, hospital_is_open
from shared_apps.directory.selectors import doctor_entry_get
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import no_show_window_start
from tenant_apps.appointments.models import HELD, OCCUPYING_SLOT, Appointment, AppointmentStatus
from tenant_apps.doctors.models import Doctor, TimeOff
from tenant_apps.doctors.slots import Leave

PATIENT, ADMIN, DOCTOR = "patient", "admin", "doctor"


def hospital_of_bookable_doctor(*, doctor_id) -> Hospital:
    """The hospital of a doctor patients may try to book: one of an open hospital (the booking service then checks
    the doctor and the slot). NotFound ("No such doctor.") otherwise. Read in the public schema.
    """
    entry = doctor_entry_get(doctor_id=doctor_id)
    if entry is None or not hospital_is_open(entry.hospital):
        raise NotFound("No such doctor.")
    return entry.hospital


def hospital_of_appointment_for(*, user: User, appointment_id) -> tuple[Hospital, StaffAccess | None]:
    """The hospital of an appointment that `user` may see (its patient, or staff there) and the user's staff access
    there (None for the patient); NotFound otherwise.

    Read in the public schema; `appointment_get_for` then finishes the check inside the hospital's schema.
    """
    entry = BookingEntry.objects.select_related("hospital").filter(appointment_id=appointment_id).first()
    if entry is None:
        raise NotFound()
    access = staff_access(user, entry.hospital)
    if access is None and entry.patient_id != user.pk:
        raise NotFound()
    return entry.hospital, access


def appointment_get_for(*, user: User, access: StaffAccess | None, appointment_id) -> tuple[Appointment, str]:
    """Inside the hospital's schema: the appointment and the capacity in which `user` sees it (patient, admin or
    doctor), given the user's staff access there. NotFound for anyone else: another patient, another doctor.
    """
    appointment = (
        Appointment.objects.select_related("doctor", "patient").exclude(status=HELD).filter(pk=appointment_id).first()
    )
    if appointment is None:  # a waitlist hold is not an appointment until it is accepted
        raise NotFound()
    if appointment.patient_id == user.pk:
        return appointment, PATIENT
    if access is not None and access.is_admin:
        return appointment, ADMIN
    if access is not None and appointment.doctor.user_id == user.pk:
        return appointment, DOCTOR
    raise NotFound()


def appointment_list_for_staff(
    *,
    access: StaffAccess,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    doctor_id=None,
    status: str = "",
) -> QuerySet[Appointment]:
    """Inside the hospital's schema: all appointments for its admins, only their own for a doctor (waitlist holds
    are not appointments: never listed)."""
    appointments = Appointment.objects.select_related("doctor", "patient").exclude(status=HELD)
    if not access.is_admin:
        appointments = appointments.filter(doctor__user=access.user)
    if date_from:
        appointments = appointments.filter(appointment_date__gte=date_from)
    if date_to:
        appointments = appointments.filter(appointment_date__lte=date_to)
    if doctor_id:
        appointments = appointments.filter(doctor_id=doctor_id)
    if status:
        appointments = appointments.filter(status=status)
    return appointments.order_by("starts_at", "id")


def booking_list_for_patient(
    *, user: User, when: str = "", updated_since: dt.datetime | None = None
) -> QuerySet[BookingEntry]:
    """The patient's appointments in every hospital, from the directory: one query whatever the hospital count.

    `updated_since`: only the rows changed after that instant, in the order they changed (delta sync)."""
    entries = BookingEntry.objects.filter(patient=user).select_related("hospital", "doctor")
    if updated_since is not None:
        return _when(entries.filter(updated_at__gt=updated_since), when).order_by("updated_at", "appointment_id")
    return _when(entries, when)


def _when(entries: QuerySet[BookingEntry], when: str) -> QuerySet[BookingEntry]:
    now = timezone.now()
    if when == "upcoming":
        return entries.filter(starts_at__gte=now, status=AppointmentStatus.BOOKED).order_by(
            "starts_at", "appointment_id"
        )
    if when == "past":
        return entries.exclude(starts_at__gte=now, status=AppointmentStatus.BOOKED).order_by(
            "-starts_at", "appointment_id"
        )
    return entries.order_by("-starts_at", "appointment_id")


def busy_intervals(*, doctor: Doctor, date_from: dt.date, date_to: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """Booked appointments and waitlist holds of the doctor between two local dates (inside the hospital's
    schema): the slots they take are not free."""
    return list(
        Appointment.objects.filter(
            doctor=doctor,
            status__in=OCCUPYING_SLOT,
            appointment_date__gte=date_from - dt.timedelta(days=1),
            appointment_date__lte=date_to + dt.timedelta(days=1),
        ).values_list("starts_at", "ends_at")
    )


def appointments_in_time_off(*, hospital: Hospital, time_off: TimeOff) -> list[Appointment]:
    """The doctor's booked appointments, not yet started, that overlap the time off (in local wall-clock time),
    locked for update, in time order.
    """
    leave = Leave(time_off.start_date, time_off.end_date, time_off.start_time, time_off.end_time)
    candidates = Appointment.objects.select_for_update().filter(
        doctor_id=time_off.doctor_id,
        status=AppointmentStatus.BOOKED,
        starts_at__gt=timezone.now(),
        appointment_date__gte=time_off.start_date - dt.timedelta(days=1),
        appointment_date__lte=time_off.end_date,
    )
    return [a for a in candidates.order_by("starts_at", "id") if _overlaps(a, leave, hospital)]


def _overlaps(appointment: Appointment, leave: Leave, hospital: Hospital) -> bool:
    """In wall-clock time from the local start plus the real length, as the slot computation reads a slot (on a
    clock-change day the local end shown on the clock differs)."""
    start = dt.datetime.combine(appointment.appointment_date, appointment.appointment_time)
    end = start + (appointment.ends_at - appointment.starts_at)
    for day in {start.date(), end.date()}:
        taken = leave.range_on(day)
        if taken is not None and start < taken[1] and taken[0] < end:
            return True
    return False


def _recent_no_shows(now: dt.datetime) -> QuerySet[Appointment]:
    return Appointment.objects.filter(status=AppointmentStatus.NO_SHOW, starts_at__gte=no_show_window_start(now))


def no_show_count(*, patient: User, now: dt.datetime) -> int:
    """Inside the hospital's schema: the patient's no-shows here over the last 90 days (what the limit counts)."""
    return _recent_no_shows(now).filter(patient=patient).count()


def with_patient_no_shows(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """`appointments` with `patient_no_shows`: each patient's no-shows here over the last 90 days (one query)."""
    counts = (
        _recent_no_shows(timezone.now())
        .filter(patient=OuterRef("patient"))
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return appointments.annotate(patient_no_shows=Coalesce(Subquery(counts), Value(0)))


def booking_limit_refusal(*, patient: User) -> Conflict | None:
    """Inside the hospital's schema: Conflict("booking_limit") when the patient already holds the most upcoming
    booked appointments allowed here (MAX_ACTIVE_BOOKINGS_PER_HOSPITAL), else None. Booking and the waitlist
    (joining, and whom an offer goes to) read the same rule."""
    active = Appointment.objects.filter(
        patient=patient, status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now()
    ).count()
    if active < settings.MAX_ACTIVE_BOOKINGS_PER_HOSPITAL:
        return None
    return Conflict(
        "booking_limit", f"You already hold {active} upcoming appointments at this hospital, the most allowed."
    )


def no_show_limit_refusal(*, hospital: Hospital, patient: User) -> Conflict | None:
    """Inside the hospital's schema: Conflict("no_show_limit") when the patient's no-shows here over the last 90 days
    reached the hospital's limit, else None (booking and the waitlist alike)."""
    count = no_show_count(patient=patient, now=timezone.now())
    if count < hospital.no_show_limit:
        return None
    return Conflict(
        "no_show_limit",
        f"You missed {count} appointments at {hospital.name} in the last 90 days, so online booking is closed "
        f"for you there. Please call the hospital at {hospital.phone_number} to book.",
    )
