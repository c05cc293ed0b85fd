import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from shared_apps.accounts.models import MembershipRole, User
from shared_apps.accounts.selectors import membership_for
from shared_apps.common.errors import NotFound
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.models import Hospital
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.doctors.models import Doctor

PATIENT, ADMIN, DOCTOR = "patient", "admin", "doctor"


def hospital_of_appointment_for(*, user: User, appointment_id) -> Hospital:
    """The hospital of an appointment that `user` may see (its patient, or staff there); NotFound otherwise.

    Read in the public schema; `appointment_get_for` then finishes the check inside the hospital's schema.
    """
    entry = BookingEntry.objects.select_related("hospital").filter(appointment_id=appointment_id).first()
    if entry is None:
        raise NotFound()
    if entry.patient_id == user.pk:
        return entry.hospital
    membership = membership_for(user)
    if membership is None or membership.hospital_id != entry.hospital_id:
        raise NotFound()
    return entry.hospital


def appointment_get_for(*, user: User, appointment_id, hospital: Hospital) -> tuple[Appointment, str]:
    """Inside the hospital's schema: the appointment and the capacity in which `user` sees it (patient, admin or
    doctor). NotFound for anyone else: another patient, another hospital's staff, another doctor.
    """
    appointment = Appointment.objects.select_related("doctor", "patient").filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFound()
    if appointment.patient_id == user.pk:
        return appointment, PATIENT
    membership = membership_for(user)
    if membership is not None and membership.hospital_id == hospital.pk:
        if membership.role == MembershipRole.HOSPITAL_ADMIN:
            return appointment, ADMIN
        if appointment.doctor.user_id == user.pk:
            return appointment, DOCTOR
    raise NotFound()


def appointment_list_for_staff(
    *,
    user: User,
    hospital: Hospital,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    doctor_id=None,
    status: str = "",
) -> QuerySet[Appointment]:
    """Inside the hospital's schema: all appointments for its admins, only their own for a doctor."""
    appointments = Appointment.objects.select_related("doctor", "patient")
    membership = membership_for(user)
    if membership is None or membership.hospital_id != hospital.pk:
        return appointments.none()
    if membership.role != MembershipRole.HOSPITAL_ADMIN:
        appointments = appointments.filter(doctor__user=user)
    if date_from:
        appointments = appointments.filter(appointment_date__gte=date_from)
    if date_to:
        appointments = appointments.filter(appointment_date__lte=date_to)
    if doctor_id:
        appointments = appointments.filter(doctor_id=doctor_id)
    if status:
        appointments = appointments.filter(status=status)
    return appointments.order_by("starts_at", "id")


def booking_list_for_patient(*, user: User, when: str = "") -> QuerySet[BookingEntry]:
    """The patient's appointments in every hospital, from the directory: one query whatever the hospital count."""
    entries = BookingEntry.objects.filter(patient=user).select_related("hospital", "doctor")
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
    """Booked appointments of the doctor between two local dates (inside the hospital's schema)."""
    return list(
        Appointment.objects.filter(
            doctor=doctor,
            status=AppointmentStatus.BOOKED,
            appointment_date__gte=date_from - dt.timedelta(days=1),
            appointment_date__lte=date_to + dt.timedelta(days=1),
        ).values_list("starts_at", "ends_at")
    )
