"""Writes on the waitlist: join, leave, accept, decline, the admin's removal, and matching (offers, expiry).

Callers have entered the hospital's schema. Lock order, everywhere: the doctor's row (FOR UPDATE when matching, as
schedule writes do; FOR SHARE otherwise, as bookings do), then waitlist entries, then appointment rows, then the
patient's user row (the booking limit): two of these never wait on each other in opposite orders.

A hold is an Appointment with status "held" (tenant_apps.appointments.models.HELD): it takes part in the doctor's
and the patient's exclusion constraints, so a held slot is not free for the slot computation and nobody else can
book it (409 slot_taken), under any concurrency. One slot is therefore never held for two entries; an entry holds
at most one slot (its `hold`), and only the matcher, under the doctor's FOR UPDATE lock, creates holds.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.audit.services import audit_record
from shared_apps.common.cache_versions import patient_waitlist_version_key
from shared_apps.common.errors import Conflict
from shared_apps.common.response_cache import bump_after_commit
from shared_apps.directory.models import BookingEntry, WaitlistListing
from shared_apps.events.services import event_record
from shared_apps.hospitals.models import Hospital
from shared_apps.notifications.models import Channel
from shared_apps.notifications.services import notification_queue
from tenant_apps.appointments.models import HELD, Appointment, AppointmentStatus
from tenant_apps.appointments.selectors import booking_limit_refusal, no_show_limit_refusal
from tenant_apps.appointments.services import appointment_book_held
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctor_free_slots, doctor_lock_shared
from tenant_apps.doctors.services.facts import doctor_slots_changed
from tenant_apps.doctors.slots import Slot
from tenant_apps.waitlist.backfill import waitlist_slots_changed
from tenant_apps.waitlist.models import ACTIVE, WaitlistEntry, WaitlistStatus
from tenant_apps.waitlist.selectors import offer_shape

logger = logging.getLogger(__name__)


def _local_today(hospital: Hospital) -> dt.date:
    return timezone.now().astimezone(hospital.zone).date()


def _join_errors(*, hospital: Hospital, date_from, date_to, time_from, time_to) -> dict:
    errors = {}
    today = _local_today(hospital)
    last = today + dt.timedelta(days=hospital.booking_horizon_days)
    if date_from < today:
        errors["date_from"] = ["The date is in the past."]
    elif date_from > last:
        errors["date_from"] = [f"Appointments open at most {hospital.booking_horizon_days} days ahead."]
    if date_to < date_from:
        errors["date_to"] = ["Must not be before date_from."]
    elif date_to > last:
        errors["date_to"] = [f"Appointments open at most {hospital.booking_horizon_days} days ahead ({last})."]
    if (time_from is None) != (time_to is None):
        errors["time_to" if time_to is None else "time_from"] = ["Give both time_from and time_to, or neither."]
    elif time_from is not None and time_to <= time_from:
        errors["time_to"] = ["Must be after time_from."]
    return errors


@transaction.atomic
def waitlist_join(
    *,
    actor: User,
    hospital: Hospital,
    doctor: Doctor,
    date_from: dt.date,
    date_to: dt.date,
    time_from: dt.time | None = None,
    time_to: dt.time | None = None,
) -> WaitlistEntry:
    """Put `actor` (a patient) on `doctor`'s waitlist for a slot between two local dates (inclusive), optionally
    only from `time_from` to `time_to` of each day.

    Raises ValidationError (400; fields date_from, date_to, time_from, time_to, doctor_id) for a past start, a date
    past the hospital's booking horizon, an end before the start, one time only, time_to ≤ time_from, or an
    inactive doctor; Conflict("already_waiting", 409) when the patient already has an active entry for the doctor
    (a partial unique constraint backs it); Conflict("booking_limit" / "no_show_limit", 409) when the patient could
    not book this hospital now. Side effects: directory row, audit entry; matching after commit (a
    slot free now is offered at once).
    """
    errors = _join_errors(hospital=hospital, date_from=date_from, date_to=date_to, time_from=time_from, time_to=time_to)
    doctor_lock_shared(doctor=doctor)
    doctor.refresh_from_db(fields=["status"])
    if not doctor.is_active:
        errors["doctor_id"] = ["This doctor is not taking appointments."]
    if errors:
        raise ValidationError(errors)
    refusal = _cannot_book(hospital, actor)  # an offer they could not accept would only hold the slot from others
    if refusal is not None:
        raise refusal
    entry = WaitlistEntry(
        doctor=doctor, patient=actor, date_from=date_from, date_to=date_to, time_from=time_from, time_to=time_to
    )
    entry.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict("already_waiting", "You are already on this doctor's waitlist.") from exc
    WaitlistListing.objects.create(
        entry_id=entry.pk,
        hospital=hospital,
        doctor_id=doctor.pk,
        patient=actor,
        date_from=date_from,
        date_to=date_to,
        time_from=time_from,
        time_to=time_to,
        status=entry.status,
        created_at=entry.created_at,
    )
    bump_after_commit(patient_waitlist_version_key(actor.pk))
    audit_record(actor=actor, action="waitlist.joined", entity="waitlist_entry", entity_id=entry.pk, hospital=hospital)
    _notify_change(hospital, entry, "joined")
    waitlist_slots_changed(hospital=hospital, doctor=doctor)
    return entry


def _lock_entry(entry: WaitlistEntry) -> WaitlistEntry:
    return WaitlistEntry.objects.select_for_update(of=("self",)).select_related("doctor", "patient").get(pk=entry.pk)


def _sync_listing(entry: WaitlistEntry) -> None:
    hold = entry.hold if entry.status == WaitlistStatus.OFFERED else None
    WaitlistListing.objects.filter(entry_id=entry.pk).update(
        status=entry.status,
        offer_date=hold.appointment_date if hold else None,
        offer_time=hold.appointment_time if hold else None,
        offer_starts_at=entry.offer_starts_at if hold else None,
        offer_expires_at=entry.offer_expires_at if hold else None,
        updated_at=timezone.now(),
    )
    bump_after_commit(patient_waitlist_version_key(entry.patient_id))


def _release_hold(
    hospital: Hospital, entry: WaitlistEntry, *, status: str, decline: bool = False, lapsed: bool = False
) -> None:
    """Drop the entry's held slot (deleted: it was never an appointment) and move the entry to `status`. A lapsed
    offer keeps its times on the entry (until the next offer), so accepting it later still answers offer_expired."""
    hold_id = entry.hold_id
    if decline and entry.offer_starts_at is not None:
        entry.declined_starts = [*entry.declined_starts, entry.offer_starts_at]
    entry.hold = None
    if not lapsed:
        entry.offer_starts_at = entry.offer_expires_at = None
    entry.status = status
    if status not in ACTIVE:
        entry.ended_at = timezone.now()
    entry.save(update_fields=["hold", "offer_starts_at", "offer_expires_at", "declined_starts", "status", "ended_at"])
    if hold_id is not None:  # after the entry lets go of it (its FK would be nulled under an "offered" status)
        hold = Appointment.objects.filter(pk=hold_id, status=HELD).first()
        if hold is not None:
            hold.delete()
            doctor_slots_changed(hospital=hospital, doctor=entry.doctor, dates=[hold.appointment_date])  # free again
    _sync_listing(entry)


def _offer_lapsed(entry: WaitlistEntry, now: dt.datetime) -> bool:
    return entry.status == WaitlistStatus.OFFERED and entry.offer_expires_at <= now


def _check_offer(entry: WaitlistEntry) -> None:
    """Raises Conflict: offer_expired (the last offer lapsed, whether or not the sweep has released it yet) or
    no_offer."""
    now = timezone.now()
    last_offer_lapsed = entry.offer_expires_at is not None and entry.offer_expires_at <= now
    if _offer_lapsed(entry, now) or (entry.status != WaitlistStatus.OFFERED and last_offer_lapsed):
        raise Conflict("offer_expired", "This offer has expired; the slot went to the next patient in line.")
    if entry.status != WaitlistStatus.OFFERED:
        raise Conflict("no_offer", "There is no slot on offer for this entry.")


@transaction.atomic
def waitlist_accept(*, actor: User, hospital: Hospital, entry: WaitlistEntry) -> Appointment:
    """Book the slot on offer for `actor`'s entry: the hold becomes the booked appointment (appointment_book_held,
    the booking's own checks and records). The entry ends as "booked".

    Raises Conflict (409): offer_expired (checked here, whatever the sweep has done), no_offer, and the booking's
    slot_unavailable / booking_limit. Side effects: the booking's (directory row, audit, confirmations), directory
    row of the entry, audit entry "waitlist.accepted".
    """
    doctor_lock_shared(doctor=entry.doctor)
    entry = _lock_entry(entry)
    _check_offer(entry)
    hold = Appointment.objects.select_for_update().select_related("doctor", "patient").get(pk=entry.hold_id)
    appointment = appointment_book_held(actor=actor, hospital=hospital, hold=hold)
    entry.status = WaitlistStatus.BOOKED
    entry.ended_at = timezone.now()
    entry.save(update_fields=["status", "ended_at"])
    _sync_listing(entry)
    audit_record(
        actor=actor,
        action="waitlist.accepted",
        entity="waitlist_entry",
        entity_id=entry.pk,
        hospital=hospital,
        metadata={"appointment_id": str(appointment.pk)},
    )
    return appointment


@transaction.atomic
def waitlist_decline(*, actor: User, hospital: Hospital, entry: WaitlistEntry) -> WaitlistEntry:
    """Turn down the slot on offer: the entry waits again (that slot is never offered to it again; another one
    may be) and the slot goes to the next entry in line.

    Raises Conflict (409): offer_expired, no_offer. Side effects: the hold is deleted, directory row, audit entry
    "waitlist.declined", matching after commit.
    """
    doctor_lock_shared(doctor=entry.doctor)
    entry = _lock_entry(entry)
    _check_offer(entry)
    starts_at = entry.offer_starts_at
    _release_hold(hospital, entry, status=WaitlistStatus.WAITING, decline=True)
    audit_record(
        actor=actor,
        action="waitlist.declined",
        entity="waitlist_entry",
        entity_id=entry.pk,
        hospital=hospital,
        metadata={"starts_at": starts_at.isoformat()},
    )
    _notify_change(hospital, entry, "declined")
    waitlist_slots_changed(hospital=hospital, doctor=entry.doctor)
    return entry


def _end(*, actor: User, hospital: Hospital, entry: WaitlistEntry, action: str) -> WaitlistEntry:
    doctor_lock_shared(doctor=entry.doctor)
    entry = _lock_entry(entry)
    if entry.status not in ACTIVE:
        raise Conflict("invalid_state", f"This waitlist entry is already {entry.status}.")
    was_offered = entry.status == WaitlistStatus.OFFERED
    _release_hold(hospital, entry, status=WaitlistStatus.LEFT)
    audit_record(actor=actor, action=action, entity="waitlist_entry", entity_id=entry.pk, hospital=hospital)
    _notify_change(hospital, entry, action.removeprefix("waitlist."))
    if was_offered:
        waitlist_slots_changed(hospital=hospital, doctor=entry.doctor)
    return entry


@transaction.atomic
def waitlist_leave(*, actor: User, hospital: Hospital, entry: WaitlistEntry) -> WaitlistEntry:
    """The patient leaves the waitlist (status "left"); a slot held for them goes to the next in line.

    Raises Conflict("invalid_state", 409) unless waiting or offered. Side effects: hold deleted, directory row,
    audit entry "waitlist.left", matching after commit when a slot was held.
    """
    return _end(actor=actor, hospital=hospital, entry=entry, action="waitlist.left")


@transaction.atomic
def waitlist_remove(*, actor: User, hospital: Hospital, entry: WaitlistEntry) -> WaitlistEntry:
    """A hospital admin takes an entry off the queue (status "left"), e.g. the patient called to say so.

    Raises and releases what waitlist_leave does; audit entry "waitlist.removed".
    """
    return _end(actor=actor, hospital=hospital, entry=entry, action="waitlist.removed")


# --- matching ---------------------------------------------------------------------------------------------------


def _lock_doctor(doctor: Doctor) -> Doctor:
    return Doctor.objects.select_for_update().get(pk=doctor.pk)


def _offer_not_before(hospital: Hospital, now: dt.datetime) -> dt.datetime:
    """The earliest start an offer may have: still bookable (minimum notice) when the offer lapses."""
    minutes = settings.WAITLIST_OFFER_MINUTES + hospital.min_booking_notice_minutes
    return now + dt.timedelta(minutes=minutes)


@transaction.atomic
def waitlist_match(*, hospital: Hospital, doctor: Doctor) -> list[WaitlistEntry]:
    """Bring one doctor's waitlist up to date, under the doctor's FOR UPDATE lock (schedule writes take it too;
    bookings take FOR SHARE, so none commits meanwhile): end lapsed offers and entries past `date_to`, withdraw
    holds that left the doctor's schedule, then offer free slots — the one slot computation, holds and bookings
    excluded — to waiting entries in the order they joined, each the earliest free slot inside its range that it
    has not declined and when its patient is free. Returns the entries offered a slot.

    Idempotent: run twice (a retry, a second worker, the beat sweep) it offers nothing twice — a slot is held by
    one row (the exclusion constraint) and an entry holds at most one. Side effects: holds created/deleted,
    directory rows, audit entries (waitlist.offered, waitlist.offer_expired, waitlist.expired,
    waitlist.offer_withdrawn), offer notices (email, SMS) after commit.
    """
    doctor = _lock_doctor(doctor)
    now = timezone.now()
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("patient", "hold")
        .filter(doctor=doctor, status__in=ACTIVE)
        .order_by("created_at", "id")
    )
    if not entries:
        return []
    today = _local_today(hospital)
    in_schedule = _schedule_starts(
        hospital, doctor, [e.hold for e in entries if e.status == WaitlistStatus.OFFERED and e.hold is not None]
    )
    waiting = []
    for entry in entries:
        if entry.status == WaitlistStatus.OFFERED and entry.offer_expires_at <= now:
            # An unanswered offer is a decline: the slot goes to the next in line, the entry waits again (that
            # slot never offered to it again); the entry itself ends only after date_to.
            _release_hold(hospital, entry, status=WaitlistStatus.WAITING, decline=True, lapsed=True)
            _audit_system(hospital, entry, "waitlist.offer_expired")
            _waitlist_event(hospital, entry, "waitlist.expired")
            _notify_change(hospital, entry, "offer_expired")
            if entry.date_to >= today:
                waiting.append(entry)
            else:
                _release_hold(hospital, entry, status=WaitlistStatus.EXPIRED)
                _audit_system(hospital, entry, "waitlist.expired")
                _waitlist_event(hospital, entry, "waitlist.expired", offer=False)
                _notify_change(hospital, entry, "expired")
        elif entry.date_to < today:
            _release_hold(hospital, entry, status=WaitlistStatus.EXPIRED)
            _audit_system(hospital, entry, "waitlist.expired")
            _waitlist_event(hospital, entry, "waitlist.expired", offer=False)
            _notify_change(hospital, entry, "expired")
        elif entry.status == WaitlistStatus.OFFERED and (entry.hold is None or entry.hold.starts_at not in in_schedule):
            _release_hold(hospital, entry, status=WaitlistStatus.WAITING)
            _audit_system(hospital, entry, "waitlist.offer_withdrawn")
            waiting.append(entry)
        elif entry.status == WaitlistStatus.WAITING:
            waiting.append(entry)
    if not waiting or not doctor.is_active:
        return []
    date_from = max(today, min(e.date_from for e in waiting))
    date_to = min(max(e.date_to for e in waiting), today + dt.timedelta(days=hospital.booking_horizon_days))
    if date_to < date_from:
        return []
    not_before = _offer_not_before(hospital, now)
    free = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=date_from, date_to=date_to)
    free = [s for s in free if s.starts_at >= not_before]
    offered = []
    for entry in waiting:
        if not free:
            break
        slot = _offer_first_fit(hospital, doctor, entry, free, now)
        if slot is not None:
            free.remove(slot)
            offered.append(entry)
    return offered


def _schedule_starts(hospital: Hospital, doctor: Doctor, holds: list[Appointment]) -> set:
    """The starts of the held slots that are still slots of the doctor's schedule (one slot computation, holds and
    bookings not subtracted): a hold outside it (time off, new hours, an inactive doctor) is withdrawn."""
    if not holds or not doctor.is_active:
        return set()
    days = [h.appointment_date for h in holds]
    slots = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=min(days), date_to=max(days), busy=[])
    return {s.starts_at for s in slots}


def _fits(entry: WaitlistEntry, slot: Slot, zone) -> bool:
    """Whether the slot lies inside the entry's dates (and wholly inside its daily times) and was not declined."""
    if not entry.date_from <= slot.date <= entry.date_to or slot.starts_at in entry.declined_starts:
        return False
    if entry.time_from is None:
        return True
    end = slot.ends_at.astimezone(zone).replace(tzinfo=None)
    return entry.time_from <= slot.time and end <= dt.datetime.combine(slot.date, entry.time_to)


def _patient_busy(entry: WaitlistEntry, date_from: dt.date, date_to: dt.date) -> list[tuple]:
    """The patient's booked appointments in every hospital (directory) and holds here, around those dates."""
    margin = dt.timedelta(days=1)
    booked = BookingEntry.objects.filter(
        patient_id=entry.patient_id,
        status=AppointmentStatus.BOOKED,
        appointment_date__gte=date_from - margin,
        appointment_date__lte=date_to + margin,
    ).values_list("starts_at", "ends_at")
    held = Appointment.objects.filter(patient_id=entry.patient_id, status=HELD).values_list("starts_at", "ends_at")
    return [*booked, *held]


def _cannot_book(hospital: Hospital, patient: User):
    """The Conflict a booking by `patient` here would get from the hospital's limits (booking_limit,
    no_show_limit), or None."""
    return booking_limit_refusal(patient=patient) or no_show_limit_refusal(hospital=hospital, patient=patient)


def _offer_first_fit(hospital, doctor, entry: WaitlistEntry, free: list[Slot], now) -> Slot | None:
    fitting = [s for s in free if _fits(entry, s, hospital.zone)]
    if not fitting or _cannot_book(hospital, entry.patient):  # they could not accept it: it goes to the next
        return None
    busy = _patient_busy(entry, fitting[0].date, fitting[-1].date)
    for slot in fitting:
        if any(start < slot.ends_at and slot.starts_at < end for start, end in busy):
            continue
        if _hold(hospital, doctor, entry, slot, now):
            return slot
    return None


def _hold(hospital: Hospital, doctor: Doctor, entry: WaitlistEntry, slot: Slot, now: dt.datetime) -> bool:
    expires_at = now + dt.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
    hold = Appointment(
        doctor=doctor,
        patient=entry.patient,
        appointment_date=slot.date,
        appointment_time=slot.time,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=HELD,
        hold_expires_at=expires_at,
    )
    try:
        with transaction.atomic():
            hold.save(force_insert=True)
    except IntegrityError:  # the patient booked elsewhere in this hospital meanwhile (their exclusion constraint)
        return False
    entry.hold = hold
    entry.status = WaitlistStatus.OFFERED
    entry.offer_starts_at = slot.starts_at
    entry.offer_expires_at = expires_at
    entry.save(update_fields=["hold", "status", "offer_starts_at", "offer_expires_at"])
    _sync_listing(entry)
    doctor_slots_changed(hospital=hospital, doctor=doctor, dates=[slot.date])
    _audit_system(hospital, entry, "waitlist.offered", starts_at=slot.starts_at.isoformat())
    _waitlist_event(hospital, entry, "waitlist.offered")
    _notify_offer(hospital, entry)
    return True


def _audit_system(hospital: Hospital, entry: WaitlistEntry, action: str, **metadata) -> None:
    audit_record(
        actor=None,
        action=action,
        entity="waitlist_entry",
        entity_id=entry.pk,
        hospital=hospital,
        metadata={"patient_id": entry.patient_id, **metadata},
    )


def _waitlist_event(hospital: Hospital, entry: WaitlistEntry, type: str, *, offer: bool = True) -> None:
    """The live event of an offer made or lapsed (`offer`: the slot in question) or of an entry that ended unserved
    (offer null), to its patient and the hospital's admins."""
    shown = None
    if offer and entry.offer_starts_at is not None:
        shown = offer_shape(hospital.zone, entry.offer_starts_at, entry.offer_expires_at)
    event_record(
        type=type, hospital_id=hospital.pk, patient_id=entry.patient_id, data={"id": str(entry.pk), "offer": shown}
    )


def _notify_change(hospital: Hospital, entry: WaitlistEntry, event: str) -> None:
    """Email the patient that their entry changed (`event`: joined, declined, offer_expired, expired, left or
    removed); the offer itself has its own notice (email and SMS), an accepted one the booking's confirmation."""
    notification_queue(
        channel=Channel.EMAIL,
        recipient=entry.patient.email,
        template="waitlist_update",
        context={"entry_id": str(entry.pk), "hospital_id": hospital.pk, "audience": "patient", "event": event},
        hospital=hospital,
    )


def _notify_offer(hospital: Hospital, entry: WaitlistEntry) -> None:
    patient = entry.patient
    recipients = [(Channel.EMAIL, patient.email)]
    if patient.phone_number:
        recipients.append((Channel.SMS, patient.phone_number))
    for channel, address in recipients:
        notification_queue(
            channel=channel,
            recipient=address,
            template="waitlist_offered",
            context={"entry_id": str(entry.pk), "hospital_id": hospital.pk, "audience": "patient"},
            hospital=hospital,
        )


def waitlist_sweep() -> int:
    """Periodic (beat): match every doctor someone waits for or holds an offer of — found in the public
    directory, one query — so lapsed offers and past entries end, and a slot freed while its matching task was
    lost (broker down, worker killed) is offered now, once. Returns how many offers it made.
    """
    from shared_apps.hospitals.tenancy import hospital_context

    pairs = (
        WaitlistListing.objects.filter(status__in=ACTIVE, hospital__is_active=True)
        .values_list("hospital_id", "doctor_id")
        .distinct()
    )
    by_hospital: dict[int, list] = {}
    for hospital_id, doctor_id in pairs:
        by_hospital.setdefault(hospital_id, []).append(doctor_id)
    offered = 0
    for hospital in Hospital.objects.filter(pk__in=by_hospital).order_by("pk"):
        with hospital_context(hospital):
            for doctor in Doctor.objects.filter(pk__in=by_hospital[hospital.pk]).order_by("pk"):
                offered += _sweep_one(hospital, doctor)
    return offered


def _sweep_one(hospital: Hospital, doctor: Doctor) -> int:
    """One doctor's matching in the sweep: a failure is logged and the sweep goes on with the next doctor."""
    try:
        return len(waitlist_match(hospital=hospital, doctor=doctor))
    except Exception:
        logger.exception("Waitlist sweep failed for doctor %s of hospital %s", doctor.pk, hospital.pk)
        return 0
