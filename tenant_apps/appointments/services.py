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
from shared_apps.hospitals.models import Hospital
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue
from tenant_apps.appointments.models import HELD, Appointment, AppointmentStatus
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_free_slots, doctor_lock_shared
from tenant_apps.doctors.slots import local_datetime, slot_end
from tenant_apps.waitlist.backfill import waitlist_slot_freed

CONSTRAINT_ERRORS = {
    "appointments_doctor_no_overlap": ("slot_taken", "This slot has just been booked by someone else."),
    "appointments_patient_no_overlap": ("overlapping_booking", "You already have an appointment at this time."),
}


def _slot_unavailable(message: str = "This time is not a free slot of this doctor.") -> Conflict:
    return Conflict("slot_unavailable", message)


def _check_slot(*, hospital: Hospital, doctor: Doctor, date: dt.date, time: dt.time) -> dt.datetime:
    """The aware start of (date, time) if it is one of the doctor's slots (booked or not); raises otherwise.

    Takes a share lock on the doctor's row first, so a schedule change or time off (which lock it for update)
    cannot commit between this check and the booking's commit.
    """
    doctor_lock_shared(doctor=doctor)
    doctor.refresh_from_db(fields=["status", "slot_minutes"])
    if not doctor.is_active:
        raise _slot_unavailable("This doctor is not taking appointments.")
    today = timezone.now().astimezone(hospital.zone).date()
    if date > today + dt.timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise _slot_unavailable(f"Appointments open at most {settings.BOOKING_HORIZON_DAYS} days ahead.")
    starts_at = local_datetime(date, time, hospital.zone)
    if starts_at is None or starts_at <= timezone.now():
        raise _slot_unavailable("This time is in the past or does not exist on the clock.")
    # Booked slots count here: a taken slot is the database's to refuse (slot_taken), not a slot that never was.
    slots = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=date, date_to=date, busy=[])
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
    Side effects: directory row, audit entry, confirmations (patient email + SMS, doctor email) after commit.
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
    _booking_recorded(actor=actor, hospital=hospital, appointment=appointment)
    return appointment


@transaction.atomic
def appointment_book_held(*, actor: User, hospital: Hospital, hold: Appointment) -> Appointment:
    """Book the slot a waitlist hold keeps for `actor` (its patient): the held row becomes the booked appointment in
    place, checked and recorded as `appointment_book` does (the caller, waitlist_accept, has locked the hold).

    Raises Conflict (409): slot_unavailable (the slot left the doctor's schedule), booking_limit, invalid_state
    unless `hold` is `actor`'s hold. Side effects: those of appointment_book (directory row, audit, confirmations).
    """
    if hold.status != HELD or hold.patient_id != actor.pk:
        raise Conflict("invalid_state", "This slot is not held for you.")
    _check_slot(hospital=hospital, doctor=hold.doctor, date=hold.appointment_date, time=hold.appointment_time)
    _check_booking_limit(patient=actor)
    hold.status = AppointmentStatus.BOOKED
    hold.hold_expires_at = None
    hold.created_at = timezone.now()
    hold.save(update_fields=["status", "hold_expires_at", "created_at"])
    _booking_recorded(actor=actor, hospital=hospital, appointment=hold)
    return hold


def _booking_recorded(*, actor: User, hospital: Hospital, appointment: Appointment) -> None:
    """What every new booking writes besides its row: directory row, caches, audit, confirmations."""
    BookingEntry.objects.create(
        appointment_id=appointment.pk,
        hospital=hospital,
        doctor_id=appointment.doctor_id,
        patient=actor,
        appointment_date=appointment.appointment_date,
        appointment_time=appointment.appointment_time,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        status=appointment.status,
    )
    _schedule_changed(appointment)
    audit_record(
        actor=actor, action="appointment.booked", entity="appointment", entity_id=appointment.pk, hospital=hospital
    )
    _notify(hospital, appointment, "appointment_booked", recipients=_booking_recipients(appointment))


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


def appointment_reminders_queue() -> int:
    """Queue a reminder (patient email, and SMS with a phone number) for every booked appointment that starts
    within REMINDER_HOURS_BEFORE hours and has none yet. Returns how many were queued.

    Reads the public directory (one query across all hospitals). Each reminder is claimed by a conditional update
    of its directory row in the transaction that writes its outbox rows, so concurrent or repeated runs queue it
    once. Side effects: outbox rows, sent after commit.
    """
    now = timezone.now()
    due = BookingEntry.objects.filter(
        status=AppointmentStatus.BOOKED,
        reminder_queued_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(hours=settings.REMINDER_HOURS_BEFORE),
    ).select_related("patient")
    queued = 0
    for entry in due.iterator():
        with transaction.atomic():
            claimed = BookingEntry.objects.filter(pk=entry.pk, reminder_queued_at__isnull=True).update(
                reminder_queued_at=now
            )
            if not claimed:
                continue
            recipients = [(Channel.EMAIL, entry.patient.email, "patient")]
            if entry.patient.phone_number:
                recipients.append((Channel.SMS, entry.patient.phone_number, "patient"))
            _queue_messages(entry.hospital_id, entry.appointment_id, "appointment_reminder", recipients)
        queued += 1
    return queued


def _lock_booked(appointment: Appointment) -> Appointment:
    appointment = Appointment.objects.select_for_update().select_related("doctor", "patient").get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict("invalid_state", f"This appointment is {appointment.status}.")
    return appointment


@transaction.atomic
def appointment_cancel(
    *,
    actor: User,
    hospital: Hospital,
    appointment: Appointment,
    reason: str = "",
    patient_notice: str = "appointment_cancelled",
) -> Appointment:
    """Cancel a booked appointment, as its patient or as staff who may see it; its slot is free again at once.

    The patient may cancel only before the start time; staff always can. Raises Conflict("invalid_state", 409)
    unless booked, or when the patient is too late. Side effects: directory row, audit entry, notice to the
    other party; the freed slot is offered to the waitlist after commit (waitlist_slot_freed).
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
    _schedule_changed(appointment)
    waitlist_slot_freed(hospital=hospital, doctor=appointment.doctor, starts_at=appointment.starts_at)
    audit_record(
        actor=actor, action="appointment.cancelled", entity="appointment", entity_id=appointment.pk, hospital=hospital
    )
    if by_patient:
        recipients = [(Channel.EMAIL, appointment.doctor.email, "doctor")]
    else:
        recipients = [(Channel.EMAIL, appointment.patient.email, "patient")]
        if appointment.patient.phone_number:
            recipients.append((Channel.SMS, appointment.patient.phone_number, "patient"))
    _notify(hospital, appointment, "appointment_cancelled" if by_patient else patient_notice, recipients=recipients)
    return appointment


def appointment_cancel_for_time_off(*, actor: User, hospital: Hospital, appointment: Appointment) -> Appointment:
    """Cancel a booked appointment because its doctor takes time off: cancelled by the hospital, and the patient's
    notice names the doctor's next free slots and a link to rebook. Raises and records what appointment_cancel does.
    """
    return appointment_cancel(
        actor=actor,
        hospital=hospital,
        appointment=appointment,
        reason="The doctor is not available at this time.",
        patient_notice="appointment_cancelled_time_off",
    )


@transaction.atomic
def appointment_complete(*, actor: User, hospital: Hospital, appointment: Appointment) -> Appointment:
    """Mark a booked appointment completed, as staff who may see it, not before its start time.

    Raises ApplicationError("permission_denied", 403) for the appointment's own patient, and
    Conflict("invalid_state", 409) unless booked and started. Side effects: directory row, audit entry.
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
    _schedule_changed(appointment)
    audit_record(
        actor=actor, action="appointment.completed", entity="appointment", entity_id=appointment.pk, hospital=hospital
    )
    return appointment
