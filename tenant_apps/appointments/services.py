"""Booking, cancelling and completing appointments. Callers have entered the hospital's schema."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.audit.services import audit_record
from shared_apps.common.cache_versions import doctor_version_key, patient_bookings_version_key
from shared_apps.common.errors import ApplicationError, Conflict
from shared_apps.common.response_cache import bump_after_commit
from shared_apps.directory.models import BookingEntry
from shared_apps.directory.reminders import reminders_arm, reminders_disarm
from shared_apps.directory.services import booking_entry_create
from shared_apps.hospitals.models import Hospital
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import availability_windows
from tenant_apps.doctors.slots import Window, free_slots, local_datetime, slot_end

CONSTRAINT_ERRORS = {
    "appointments_doctor_no_overlap": ("slot_taken", "This slot has just been booked by someone else."),
    "appointments_patient_no_overlap": ("overlapping_booking", "You already have an appointment at this time."),
}


def _slot_unavailable(message: str = "This time is not a free slot of this doctor.") -> Conflict:
    return Conflict("slot_unavailable", message)


def _check_slot(*, hospital: Hospital, doctor: Doctor, date: dt.date, time: dt.time) -> dt.datetime:
    """The aware start of (date, time) if it is one of the doctor's slots (booked or not); raises otherwise."""
    if not doctor.is_active:
        raise _slot_unavailable("This doctor is not taking appointments.")
    today = timezone.now().astimezone(hospital.zone).date()
    if date > today + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise _slot_unavailable(f"Appointments open at most {settings.BOOKING_HORIZON_DAYS} days ahead.")
    starts_at = local_datetime(date, time, hospital.zone)
    if starts_at is None or starts_at <= timezone.now():
        raise _slot_unavailable("This time is in the past or does not exist on the clock.")
    windows = [
        Window(w.date, w.start_time, w.end_time, w.is_available)
        for w in availability_windows(doctor=doctor, date_from=date, date_to=date)
    ]
    slots = free_slots(windows=windows, slot_minutes=doctor.slot_minutes, zone=hospital.zone, now=timezone.now())
    if not any(slot.time == time for slot in slots):
        raise _slot_unavailable()
    return starts_at


def _check_booking_limit(*, patient: User) -> None:
    User.objects.select_for_update().filter(pk=patient.pk).first()  # one booking at a time per patient
    active = Appointment.objects.filter(
        patient=patient, status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now()
    ).count()
    if active >= settings.MAX_ACTIVE_BOOKINGS_PER_HOSPITAL:
        raise Conflict(
            "booking_limit",
            f"You already hold {active} upcoming appointments at this hospital, the most allowed.",
        )


@transaction.atomic
def appointment_book(
    *, actor: User, hospital: Hospital, doctor: Doctor, date: dt.date, time: dt.time, reason: str = ""
) -> Appointment:
    """Book one free slot of an active doctor for `actor` (a patient).

    The slot must lie on the doctor's grid inside an available window, outside blocked time, in the future and
    within the horizon. The database's exclusion constraints make double booking impossible under any
    concurrency. Raises Conflict (409): slot_unavailable, slot_taken, overlapping_booking, booking_limit.
    Side effects: directory row, reminders armed, audit entry, confirmations (patient email + SMS, doctor email)
    after commit. `overlapping_booking` covers the patient's bookings in every hospital (the directory's exclusion
    constraint, see booking_entry_create).
    """
    starts_at = _check_slot(hospital=hospital, doctor=doctor, date=date, time=time)
    _check_booking_limit(patient=actor)
    appointment = Appointment(
        doctor=doctor,
        patient=actor,
        appointment_date=date,
        appointment_time=time,
        starts_at=starts_at,
        ends_at=slot_end(starts_at, doctor.slot_minutes),
        reason=reason.strip(),
    )
    appointment.full_clean(validate_constraints=False)  # the exclusion constraints are checked by the INSERT
    try:
        with transaction.atomic():
            appointment.save(force_insert=True)
    except IntegrityError as exc:
        raise _conflict_from(exc) from exc
    booking_entry_create(appointment=appointment, hospital=hospital)
    reminders_arm(hospital=hospital, appointment_id=appointment.pk, starts_at=appointment.starts_at)
    _schedule_changed(appointment)
    audit_record(
        actor=actor, action="appointment.booked", entity="appointment", entity_id=appointment.pk, hospital=hospital
    )
    _notify(hospital, appointment, "appointment_booked", recipients=_booking_recipients(appointment))
    return appointment


def _conflict_from(exc: IntegrityError) -> Conflict:
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    code, message = CONSTRAINT_ERRORS.get(constraint, ("slot_taken", "This slot is no longer free."))
    return Conflict(code, message)


def _booking_recipients(appointment: Appointment) -> list[tuple[str, str, str]]:
    patient = appointment.patient
    recipients = [(Channel.EMAIL, patient.email, "patient")]
    if patient.phone_number:
        recipients.append((Channel.SMS, patient.phone_number, "patient"))
    recipients.append((Channel.EMAIL, appointment.doctor.email, "doctor"))
    return recipients


def _schedule_changed(appointment: Appointment) -> None:
    bump_after_commit(doctor_version_key(appointment.doctor_id), patient_bookings_version_key(appointment.patient_id))


def _notify(hospital: Hospital, appointment: Appointment, template: str, *, recipients) -> None:
    _queue_messages(hospital.pk, appointment.pk, template, recipients)


def _queue_messages(hospital_id: int, appointment_id, template: str, recipients) -> None:
    for channel, address, audience in recipients:
        notification_queue(
            channel=channel,
            recipient=address,
            template=template,
            context={"appointment_id": str(appointment_id), "hospital_id": hospital_id, "audience": audience},
            hospital=hospital_id,
        )


def _lock_booked(appointment: Appointment) -> Appointment:
    appointment = Appointment.objects.select_for_update().select_related("doctor", "patient").get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict("invalid_state", f"This appointment is {appointment.status}.")
    return appointment


@transaction.atomic
def appointment_cancel(*, actor: User, hospital: Hospital, appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel a booked appointment, as its patient or as staff who may see it; its slot is free again at once.

    The patient may cancel only before the start time; staff always can. Raises Conflict("invalid_state", 409)
    unless booked, or when the patient is too late. Side effects: directory row, reminders disarmed, audit entry,
    notice to the other party.
    """
    appointment = _lock_booked(appointment)
    by_patient = appointment.patient_id == actor.pk
    if by_patient and appointment.starts_at <= timezone.now():
        raise Conflict("invalid_state", "This appointment has already started; contact the hospital.")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = actor
    appointment.cancellation_reason = reason.strip()
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancellation_reason"])
    BookingEntry.objects.filter(appointment_id=appointment.pk).update(
        status=appointment.status, updated_at=timezone.now()
    )
    reminders_disarm(appointment_id=appointment.pk)
    _schedule_changed(appointment)
    audit_record(
        actor=actor, action="appointment.cancelled", entity="appointment", entity_id=appointment.pk, hospital=hospital
    )
    if by_patient:
        recipients = [(Channel.EMAIL, appointment.doctor.email, "doctor")]
    else:
        recipients = [(Channel.EMAIL, appointment.patient.email, "patient")]
        if appointment.patient.phone_number:
            recipients.append((Channel.SMS, appointment.patient.phone_number, "patient"))
    _notify(hospital, appointment, "appointment_cancelled", recipients=recipients)
    return appointment


@transaction.atomic
def appointment_complete(*, actor: User, hospital: Hospital, appointment: Appointment) -> Appointment:
    """Mark a booked appointment completed, as staff who may see it, not before its start time.

    Raises ApplicationError("permission_denied", 403) for the appointment's own patient, and
    Conflict("invalid_state", 409) unless booked and started. Side effects: directory row, reminders disarmed,
    audit entry.
    """
    if appointment.patient_id == actor.pk:
        raise ApplicationError("permission_denied", "Only the hospital can complete an appointment.", status=403)
    appointment = _lock_booked(appointment)
    if appointment.starts_at > timezone.now():
        raise Conflict("invalid_state", "An appointment cannot be completed before it starts.")
    appointment.status = AppointmentStatus.COMPLETED
    appointment.completed_at = timezone.now()
    appointment.save(update_fields=["status", "completed_at"])
    BookingEntry.objects.filter(appointment_id=appointment.pk).update(
        status=appointment.status, updated_at=timezone.now()
    )
    reminders_disarm(appointment_id=appointment.pk)
    _schedule_changed(appointment)
    audit_record(
        actor=actor, action="appointment.completed", entity="appointment", entity_id=appointment.pk, hospital=hospital
    )
    return appointment
