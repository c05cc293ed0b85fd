import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from shared_apps.common.errors import Conflict
from shared_apps.directory.cache import catalog_changed
from shared_apps.directory.models import (
    BOOKING_PATIENT_NO_OVERLAP,
    BookingEntry,
    DoctorDay,
    DoctorEntry,
    DoctorStatus,
    doctor_is_listed,
    hospital_is_open,
)


def doctor_entry_write(
    *, doctor_id, hospital, name: str, specialization: str, fee, slot_minutes: int, status: str
) -> DoctorEntry:
    """Insert or update the directory row of one doctor, in the caller's (tenant) transaction.

    Side effects: the catalogue cache is invalidated after commit.
    """
    entry, _ = DoctorEntry.objects.update_or_create(
        doctor_id=doctor_id,
        defaults={
            "hospital": hospital,
            "name": name,
            "specialization": specialization,
            "fee": fee,
            "slot_minutes": slot_minutes,
            "status": status,
            "city": hospital.city,
            "listed": doctor_is_listed(status=status, hospital=hospital),
        },
    )
    catalog_changed()
    return entry


def doctor_entries_relist(*, hospital) -> int:
    """Recompute `listed` for every doctor of a hospital after its status or activity changed."""
    from django.db.models import Case, Value, When

    visible = hospital_is_open(hospital)
    return DoctorEntry.objects.filter(hospital=hospital).update(
        listed=Case(When(status=DoctorStatus.ACTIVE, then=Value(visible)), default=Value(False))
    )


def doctor_entry_lock(*, doctor_id) -> dt.date | None:
    """Lock a doctor's directory row until the transaction ends, before its free-slot facts are recomputed: writes
    that move one doctor's slots then recompute one after the other, each seeing what the previous one committed.
    Returns the row's `facts_until` as read under the lock (None: no facts yet, or no row).

    FOR NO KEY UPDATE, not FOR UPDATE: booking entries' foreign keys take FOR KEY SHARE on this row, and two
    bookings of one doctor must not deadlock on it.
    """
    rows = DoctorEntry.objects.select_for_update(no_key=True).filter(doctor_id=doctor_id)
    return rows.values_list("facts_until", flat=True).first()


def doctor_facts_write(
    *,
    doctor_id,
    days: Iterable[DoctorDay],
    spans: Iterable[tuple[dt.date, dt.date]],
    today: dt.date,
    facts_until: dt.date,
    notice: dt.timedelta,
    next_midnight: dt.datetime,
) -> None:
    """Replace one doctor's free-slot facts over `spans` (local date ranges, recomputed into `days`), drop the
    ones before `today` or after `facts_until`, and set the entry's `next_available_*` and `facts_refresh_at`.

    The facts go stale by themselves when the first free slot comes within `notice` of now or at `next_midnight`
    (the horizon grows a day): whichever is first is `facts_refresh_at`. Call under doctor_entry_lock.
    """
    recomputed = Q()
    for first, last in spans:
        recomputed |= Q(date__range=(first, last))
    DoctorDay.objects.filter(
        Q(doctor_id=doctor_id) & (recomputed | Q(date__lt=today) | Q(date__gt=facts_until))
    ).delete()
    DoctorDay.objects.bulk_create(days)
    first_free = DoctorDay.objects.filter(doctor_id=doctor_id).order_by("date").first()
    refresh_at = next_midnight if first_free is None else min(first_free.first_free_at - notice, next_midnight)
    DoctorEntry.objects.filter(doctor_id=doctor_id).update(
        next_available_date=first_free.date if first_free else None,
        next_available_time=first_free.first_free_time if first_free else None,
        next_available_at=first_free.first_free_at if first_free else None,
        facts_until=facts_until,
        facts_refresh_at=refresh_at,
    )


def doctor_facts_clear(*, doctor_id) -> None:
    """A doctor with no bookable slots at all (inactive): no facts, nothing to refresh."""
    DoctorDay.objects.filter(doctor_id=doctor_id).delete()
    DoctorEntry.objects.filter(doctor_id=doctor_id).update(
        next_available_date=None,
        next_available_time=None,
        next_available_at=None,
        facts_until=None,
        facts_refresh_at=None,
    )


def _overlapping_booking() -> Conflict:
    return Conflict("overlapping_booking", "You already have an appointment at this time, at this or another hospital.")


def _violates_patient_overlap(exc: IntegrityError) -> bool:
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) == BOOKING_PATIENT_NO_OVERLAP


def booking_entry_create(*, appointment, hospital) -> BookingEntry:
    """Write the directory row of a just-booked appointment, in the caller's (tenant) transaction.

    Raises Conflict("overlapping_booking", 409) when the patient holds an overlapping booked appointment at any
    hospital (the exclusion constraint BOOKING_PATIENT_NO_OVERLAP; a concurrent booking in another hospital waits
    for this transaction and then fails here). The caller's transaction then rolls back its tenant row too.
    """
    entry = BookingEntry(
        appointment_id=appointment.pk,
        hospital=hospital,
        doctor_id=appointment.doctor_id,
        patient_id=appointment.patient_id,
        appointment_date=appointment.appointment_date,
        appointment_time=appointment.appointment_time,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        status=appointment.status,
    )
    _save_or_conflict(lambda: entry.save(force_insert=True))
    return entry


def booking_entry_move(*, appointment) -> None:
    """Copy an appointment's new date, time, start and end to its directory row (reschedule).

    Raises Conflict("overlapping_booking", 409) like booking_entry_create when the new time overlaps another
    booked appointment of the patient at any hospital.
    """
    fields = {
        "appointment_date": appointment.appointment_date,
        "appointment_time": appointment.appointment_time,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "updated_at": timezone.now(),
    }
    _save_or_conflict(lambda: BookingEntry.objects.filter(appointment_id=appointment.pk).update(**fields))


def _save_or_conflict(write) -> None:
    try:
        with transaction.atomic():
            write()
    except IntegrityError as exc:
        if _violates_patient_overlap(exc):
            raise _overlapping_booking() from exc
        raise
