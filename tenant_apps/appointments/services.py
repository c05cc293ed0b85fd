"""Booking, rescheduling, cancelling, completing appointments and recording no-shows. Callers have entered the
hospital's schema."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.audit.services import audit_record
from shared_apps.common.cache_versions import patient_bookings_version_key
from shared_apps.common.errors import ApplicationError, Conflict
from shared_apps.common.response_cache import bump_after_commit
from shared_apps.directory.models import BookingEntry
from shared_apps.directory.reminders import reminders_arm, reminders_disarm
from shared_apps.directory.services import booking_entry_create, booking_entry_move
from shared_apps.events.services import event_record
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import cancellation_deadline, earliest_bookable, last_bookable_date
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue
from tenant_apps.appointments.models import HELD, Appointment, AppointmentStatus
from tenant_apps.appointments.selectors import booking_limit_refusal, no_show_limit_refusal
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_free_slots, doctor_lock_shared, doctor_slot_lock
from tenant_apps.doctors.services.facts import doctor_slots_changed
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
    cannot commit between this check and the booking's commit; then the slot's own lock, so writers claiming it
    take turns (doctor_slot_lock).
    """
    doctor_lock_shared(doctor=doctor)
    doctor.refresh_from_db(fields=["status", "slot_minutes"])
    if not doctor.is_active:
        raise _slot_unavailable("This doctor is not taking appointments.")
    now = timezone.now()
    today = now.astimezone(hospital.zone).date()
    if date > last_bookable_date(hospital, today):
        raise _slot_unavailable(f"Appointments open at most {hospital.booking_horizon_days} days ahead.")
    starts_at = local_datetime(date, time, hospital.zone)
    if starts_at is None or starts_at <= now:
        raise _slot_unavailable("This time is in the past or does not exist on the clock.")
    earliest = earliest_bookable(hospital, now)
    if starts_at <= earliest:
        raise _slot_unavailable(
            f"Appointments must be booked at least {hospital.min_booking_notice_minutes} minutes ahead."
        )
    # Booked slots count here: a taken slot is the database's to refuse (slot_taken), not a slot that never was.
    slots = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=date, date_to=date, busy=[])
    if not any(slot.time == time for slot in slots):
        raise _slot_unavailable()
    doctor_slot_lock(doctor=doctor, starts_at=starts_at)
    return starts_at


def _check_booking_limit(*, patient: User) -> None:
    User.objects.select_for_update().filter(pk=patient.pk).first()  # one booking at a time per patient
    refusal = booking_limit_refusal(patient=patient)
    if refusal is not None:
        raise refusal


def _check_no_show_limit(*, hospital: Hospital, patient: User) -> None:
    refusal = no_show_limit_refusal(hospital=hospital, patient=patient)
    if refusal is not None:
        raise refusal


def _check_cancellation_window(*, hospital: Hospital, appointment: Appointment, verb: str) -> None:
    """For the patient: refuse a change within the hospital's cancellation notice of the start."""
    deadline = cancellation_deadline(hospital, appointment.starts_at)
    if timezone.now() > deadline:
        local = deadline.astimezone(hospital.zone)
        raise Conflict(
            "cancellation_window_closed",
            f"This appointment could be {verb} online until {local:%a %d %b %Y %H:%M} ({hospital.timezone}), "
            f"{hospital.cancellation_notice_hours} hours before it starts. Please call the hospital at "
            f"{hospital.phone_number}.",
        )


@transaction.atomic
def appointment_book(
    *, actor: User, hospital: Hospital, doctor: Doctor, date: dt.date, time: dt.time, reason: str = ""
) -> Appointment:
    """Book one free slot of an active doctor for `actor` (a patient).

    The slot must lie on the doctor's grid inside an available window, outside blocked time, in the future and
    within the horizon. The database's exclusion constraints make double booking impossible under any
    concurrency. Raises Conflict (409): slot_unavailable (also inside the hospital's booking notice or past its
    horizon), slot_taken, overlapping_booking (the patient's bookings in every hospital: the directory's exclusion
    constraint, see booking_entry_create), booking_limit, no_show_limit (the patient's no-shows here in the last 90
    days reached the hospital's limit).
    Side effects: directory row, reminders armed, audit entry, confirmations (patient email + SMS, doctor email)
    after commit.
    """
    starts_at = _check_slot(hospital=hospital, doctor=doctor, date=date, time=time)
    _check_booking_limit(patient=actor)
    _check_no_show_limit(hospital=hospital, patient=actor)
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

    Raises Conflict (409): slot_unavailable (the slot left the doctor's schedule), booking_limit, no_show_limit,
    overlapping_booking (booked elsewhere meanwhile), invalid_state
    unless `hold` is `actor`'s hold. Side effects: those of appointment_book (directory row, audit, confirmations).
    """
    if hold.status != HELD or hold.patient_id != actor.pk:
        raise Conflict("invalid_state", "This slot is not held for you.")
    _check_slot(hospital=hospital, doctor=hold.doctor, date=hold.appointment_date, time=hold.appointment_time)
    _check_booking_limit(patient=actor)
    _check_no_show_limit(hospital=hospital, patient=actor)
    hold.status = AppointmentStatus.BOOKED
    hold.hold_expires_at = None
    hold.created_at = timezone.now()
    hold.save(update_fields=["status", "hold_expires_at", "created_at"])
    _booking_recorded(actor=actor, hospital=hospital, appointment=hold)
    return hold


def _booking_recorded(*, actor: User, hospital: Hospital, appointment: Appointment) -> None:
    """What every new booking writes besides its row: directory row (overlapping_booking across hospitals),
    reminders, caches, audit, confirmations."""
    booking_entry_create(appointment=appointment, hospital=hospital)
    reminders_arm(hospital=hospital, appointment_id=appointment.pk, starts_at=appointment.starts_at)
    _slots_changed(hospital, appointment, appointment.appointment_date)
    _appointment_changed(actor, hospital, appointment, "booked")
    _notify(hospital, appointment, "appointment_booked", recipients=_booking_recipients(appointment))


def _appointment_changed(
    actor: User, hospital: Hospital, appointment: Appointment, name: str, metadata: dict | None = None
) -> None:
    """What every change of an appointment's state records in its transaction: the audit entry
    (`appointment.<name>`) and the live event for its patient, its doctor and the hospital's admins."""
    action = f"appointment.{name}"
    audit_record(
        actor=actor, action=action, entity="appointment", entity_id=appointment.pk, hospital=hospital, metadata=metadata
    )
    event_record(
        type=action,
        hospital_id=hospital.pk,
        patient_id=appointment.patient_id,
        doctor_user_id=appointment.doctor.user_id,
        data={
            "id": str(appointment.pk),
            "hospital_id": hospital.pk,
            "doctor_id": str(appointment.doctor_id),
            "status": appointment.status,
            "starts_at": appointment.starts_at.astimezone(hospital.zone).isoformat(timespec="seconds"),
        },
    )


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


def _bookings_changed(appointment: Appointment) -> None:
    bump_after_commit(patient_bookings_version_key(appointment.patient_id))


def _slots_changed(hospital: Hospital, appointment: Appointment, *dates: dt.date) -> None:
    """The appointment took or gave back its doctor's slots on `dates`: the directory's facts, the caches."""
    doctor_slots_changed(hospital=hospital, doctor=appointment.doctor, dates=dates)
    _bookings_changed(appointment)


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
    # Only the appointment's row: FOR UPDATE on the joined doctor row would block every concurrent booking's
    # foreign-key check on that doctor, and a reschedule waiting on such a booking's slot would then deadlock.
    appointment = (
        Appointment.objects.select_for_update(of=("self",)).select_related("doctor", "patient").get(pk=appointment.pk)
    )
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

    The patient may cancel until the hospital's `cancellation_notice_hours` before the start; staff always can.
    Raises Conflict (409): invalid_state unless booked; cancellation_window_closed when the patient is too late
    (the message says until when it was possible). Side effects: directory row (with `cancelled_by`), reminders
    disarmed, audit entry, notice to the other party; the freed slot is offered to the waitlist after commit
    (waitlist_slot_freed).
    """
    appointment = _lock_booked(appointment)
    by_patient = appointment.patient_id == actor.pk
    if by_patient:
        _check_cancellation_window(hospital=hospital, appointment=appointment, verb="cancelled")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.cancelled_by = actor
    appointment.cancellation_reason = reason.strip()
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancellation_reason"])
    BookingEntry.objects.filter(appointment_id=appointment.pk).update(
        status=appointment.status, cancelled_by=appointment.cancelled_by_party, updated_at=timezone.now()
    )
    reminders_disarm(appointment_id=appointment.pk)
    _slots_changed(hospital, appointment, appointment.appointment_date)
    waitlist_slot_freed(hospital=hospital, doctor=appointment.doctor, starts_at=appointment.starts_at)
    _appointment_changed(actor, hospital, appointment, "cancelled")
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
    _bookings_changed(appointment)  # its slot is in the past: no free slot moved
    _appointment_changed(actor, hospital, appointment, "completed")
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, actor: User, hospital: Hospital, appointment: Appointment, date: dt.date, time: dt.time
) -> Appointment:
    """Move a booked appointment to another free slot of its doctor, as its patient or as staff who may see it.

    The same row (same id) takes the new slot, so its old slot is free again in the same transaction and the
    patient never holds none or two; `rescheduled_from_*` records where it was. The new slot is checked as a
    booking is (grid, windows, notice, horizon) and claimed under the same exclusion constraints. The patient may
    reschedule until the hospital's `cancellation_notice_hours` before the current start; staff always can.
    Raises Conflict (409), with nothing changed: invalid_state (not booked, or already at that time),
    cancellation_window_closed, slot_unavailable, slot_taken, overlapping_booking.
    Side effects: directory row, audit entry (`appointment.rescheduled`, with the old and new start), reminders
    re-armed, "rescheduled" notice with the new .ics to both parties after commit, cached reads refreshed; the
    old slot is offered to the waitlist after commit (waitlist_slot_freed).
    """
    appointment = _lock_booked(appointment)
    if appointment.patient_id == actor.pk:
        _check_cancellation_window(hospital=hospital, appointment=appointment, verb="rescheduled")
    if (date, time) == (appointment.appointment_date, appointment.appointment_time):
        raise Conflict("invalid_state", "The appointment is already at this time.")
    doctor = appointment.doctor
    starts_at = _check_slot(hospital=hospital, doctor=doctor, date=date, time=time)
    old_starts_at = appointment.starts_at
    appointment.rescheduled_from_date = appointment.appointment_date
    appointment.rescheduled_from_time = appointment.appointment_time
    appointment.rescheduled_from_starts_at = old_starts_at
    appointment.rescheduled_at = timezone.now()
    appointment.appointment_date, appointment.appointment_time = date, time
    appointment.starts_at, appointment.ends_at = starts_at, slot_end(starts_at, doctor.slot_minutes)
    appointment.full_clean(validate_constraints=False)  # the exclusion constraints are checked by the UPDATE
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=[
                    "appointment_date",
                    "appointment_time",
                    "starts_at",
                    "ends_at",
                    "rescheduled_from_date",
                    "rescheduled_from_time",
                    "rescheduled_from_starts_at",
                    "rescheduled_at",
                ]
            )
            booking_entry_move(appointment=appointment)  # overlapping_booking across hospitals
    except IntegrityError as exc:
        raise _conflict_from(exc) from exc
    _slots_changed(hospital, appointment, appointment.rescheduled_from_date, date)
    reminders_disarm(appointment_id=appointment.pk)
    reminders_arm(hospital=hospital, appointment_id=appointment.pk, starts_at=appointment.starts_at)
    waitlist_slot_freed(hospital=hospital, doctor=doctor, starts_at=old_starts_at)
    _appointment_changed(
        actor,
        hospital,
        appointment,
        "rescheduled",
        metadata={"from": old_starts_at.isoformat(), "to": appointment.starts_at.isoformat()},
    )
    _notify(hospital, appointment, "appointment_rescheduled", recipients=_booking_recipients(appointment))
    return appointment


@transaction.atomic
def appointment_mark_no_show(*, actor: User, hospital: Hospital, appointment: Appointment) -> Appointment:
    """Record that the patient did not come to a booked appointment, as staff who may see it, after its start.

    No-shows count against the hospital's `no_show_limit` for 90 days. Raises ApplicationError
    ("permission_denied", 403) for the appointment's own patient, and Conflict("invalid_state", 409) unless booked
    and started. Side effects: directory row, audit entry (`appointment.no_show`), reminders disarmed, cached
    reads refreshed.
    """
    if appointment.patient_id == actor.pk:
        raise ApplicationError("permission_denied", "Only the hospital can record a no-show.", status=403)
    appointment = _lock_booked(appointment)
    if appointment.starts_at > timezone.now():
        raise Conflict("invalid_state", "A no-show can be recorded only once the appointment has started.")
    appointment.status = AppointmentStatus.NO_SHOW
    appointment.no_show_at = timezone.now()
    appointment.save(update_fields=["status", "no_show_at"])
    BookingEntry.objects.filter(appointment_id=appointment.pk).update(
        status=appointment.status, updated_at=timezone.now()
    )
    _bookings_changed(appointment)  # its slot is in the past: no free slot moved
    reminders_disarm(appointment_id=appointment.pk)
    _appointment_changed(actor, hospital, appointment, "no_show")
    return appointment
