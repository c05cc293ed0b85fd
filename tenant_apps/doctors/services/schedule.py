"""Writes on a doctor's schedule: weekly hours and time off. Callers have entered the hospital's schema.

Each write locks the doctor's row FOR UPDATE; bookings hold it FOR SHARE (doctor_lock_shared), so a booking and a
schedule change never both commit on the strength of what the other had not written yet.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.audit.services import audit_record
from shared_apps.common.errors import Conflict
from shared_apps.hospitals.models import Hospital
from tenant_apps.doctors.models import Doctor, TimeOff, Weekday, WeeklyHours
from tenant_apps.doctors.selectors import AVAILABILITY_MAX_DAYS_AWAY, current_hours, doctor_lock_for_update
from tenant_apps.doctors.services.facts import doctor_slots_changed
from tenant_apps.doctors.slots import dates_between
from tenant_apps.waitlist.backfill import waitlist_slots_changed

MAX_WEEKLY_ROWS = 50
MAX_TIME_OFF_DAYS = 366


def _local_today(hospital: Hospital) -> dt.date:
    return timezone.now().astimezone(hospital.zone).date()


def _row_label(n: int, row: dict) -> str:
    return f"Row {n} ({Weekday(row['weekday']).label} {row['start_time']:%H:%M}–{row['end_time']:%H:%M})"


def _weekly_errors(rows: list[dict], ended: list[WeeklyHours], today: dt.date) -> list[str]:
    errors = []
    if len(rows) > MAX_WEEKLY_ROWS:
        errors.append(f"At most {MAX_WEEKLY_ROWS} rows of weekly hours.")
    reach = dt.timedelta(days=AVAILABILITY_MAX_DAYS_AWAY)
    for n, row in enumerate(rows, start=1):
        if row["start_time"] >= row["end_time"]:
            errors.append(f"{_row_label(n, row)}: the start must be before the end.")
        until = row["valid_until"]
        if until is not None and until < row["valid_from"]:
            errors.append(f"{_row_label(n, row)}: valid_until is before valid_from.")
        if until is not None and until < today:
            errors.append(f"{_row_label(n, row)}: valid_until is in the past.")
        if any(day is not None and not today - reach <= day <= today + reach for day in (row["valid_from"], until)):
            errors.append(f"{_row_label(n, row)}: dates must be within {AVAILABILITY_MAX_DAYS_AWAY} days of today.")
    return errors + _weekly_overlaps(rows, ended)


def _overlap(a: dict, b: dict) -> bool:
    far = dt.date.max
    same_day = a["weekday"] == b["weekday"]
    valid_together = a["valid_from"] <= (b["valid_until"] or far) and b["valid_from"] <= (a["valid_until"] or far)
    return same_day and valid_together and a["start_time"] < b["end_time"] and b["start_time"] < a["end_time"]


def _weekly_overlaps(rows: list[dict], ended: list[WeeklyHours]) -> list[str]:
    numbered = list(enumerate(rows, start=1))
    errors = [
        f"{_row_label(i, a)} overlaps row {_row_label(j, b).removeprefix('Row ')} in the same validity period."
        for i, a in numbered
        for j, b in numbered
        if i < j and _overlap(a, b)
    ]
    for n, row in numbered:
        for old in ended:
            kept = {f: getattr(old, f) for f in ("weekday", "start_time", "end_time", "valid_from", "valid_until")}
            if _overlap(row, kept):
                errors.append(
                    f"{_row_label(n, row)} overlaps hours that ended on {old.valid_until} (valid_from too early)."
                )
    return errors


@transaction.atomic
def schedule_set(*, actor: User, hospital: Hospital, doctor: Doctor, weekly_hours: list[dict]) -> list[WeeklyHours]:
    """Replace the doctor's current and future weekly hours (those not ended before today) by `weekly_hours`
    (each: weekday, start_time, end_time, valid_from — default the hospital's today —, valid_until or None), in one
    transaction. Hours that ended before today are history: kept, and not listed by `schedule_body`, so what GET
    answers can be PUT back unchanged.

    Raises ValidationError (400, field `weekly_hours`) for more than MAX_WEEKLY_ROWS rows, start ≥ end, a validity
    range that ends before it starts or in the past, dates more than AVAILABILITY_MAX_DAYS_AWAY days from today, or
    two rows of one weekday that overlap in time while both are valid (kept history included); the database's
    exclusion constraint backs the last rule (a breach that slips past: Conflict("availability_conflict", 409)).
    Side effects: audit entry; the doctor's availability cache is bumped after commit.
    """
    today = _local_today(hospital)
    rows = [
        {**row, "valid_from": row.get("valid_from") or today, "valid_until": row.get("valid_until")}
        for row in weekly_hours
    ]
    doctor_lock_for_update(doctor=doctor)
    ended = list(WeeklyHours.objects.filter(doctor=doctor, valid_until__lt=today))
    errors = _weekly_errors(rows, ended, today)
    if errors:
        raise ValidationError({"weekly_hours": errors})
    current_hours(doctor=doctor, today=today).delete()
    try:
        with transaction.atomic():
            created = WeeklyHours.objects.bulk_create(WeeklyHours(doctor=doctor, **row) for row in rows)
    except IntegrityError as exc:
        raise Conflict("availability_conflict", "The schedule changed meanwhile; reload and try again.") from exc
    doctor_slots_changed(hospital=hospital, doctor=doctor)
    waitlist_slots_changed(hospital=hospital, doctor=doctor)
    audit_record(
        actor=actor,
        action="schedule.updated",
        entity="doctor",
        entity_id=doctor.pk,
        hospital=hospital,
        metadata={"weekly_rows": len(created)},
    )
    return sorted(created, key=lambda r: (r.weekday, r.start_time, r.valid_from))


def _time_off_errors(leave: dict, today: dt.date) -> dict:
    errors = {}
    start, end = leave["start_date"], leave["end_date"]
    if start < today:
        errors["start_date"] = ["The date is in the past."]
    elif (start - today).days > AVAILABILITY_MAX_DAYS_AWAY:
        errors["start_date"] = [f"Must be within {AVAILABILITY_MAX_DAYS_AWAY} days of today."]
    if end < start:
        errors["end_date"] = ["Must not be before start_date."]
    elif (end - start).days >= MAX_TIME_OFF_DAYS:
        errors["end_date"] = [f"Time off covers at most {MAX_TIME_OFF_DAYS} days at once."]
    start_time, end_time = leave.get("start_time"), leave.get("end_time")
    if (start_time is None) != (end_time is None):
        errors["end_time" if end_time is None else "start_time"] = [
            "Give both start_time and end_time, or neither (whole days)."
        ]
    elif start_time is not None and start_time >= end_time:
        errors["end_time"] = ["Must be after start_time."]
    return errors


@transaction.atomic
def time_off_add(
    *,
    actor: User,
    hospital: Hospital,
    doctor: Doctor,
    start_date: dt.date,
    end_date: dt.date,
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    reason: str = "",
    cancel_appointments: bool = False,
) -> tuple[TimeOff, list]:
    """Take the doctor off every day from `start_date` to `end_date` (local dates), wholly or from `start_time` to
    `end_time` of each day. Returns the time off and the ids of the appointments it cancelled.

    Booked appointments that have not started and fall inside it: raises Conflict("appointments_in_time_off",
    409, fields.appointment_ids) unless `cancel_appointments`; then each is cancelled by the hospital in this same
    transaction (directory row, audit row, a notice to the patient naming the doctor's next free slots).
    Raises ValidationError (400) for a past start, end before start, more than MAX_TIME_OFF_DAYS days, only one of
    the two times, or start_time ≥ end_time.
    Side effects: audit entry; the doctor's availability cache is bumped after commit.
    """
    from tenant_apps.appointments.selectors import appointments_in_time_off  # appointments build on doctors
    from tenant_apps.appointments.services import appointment_cancel_for_time_off

    leave = {"start_date": start_date, "end_date": end_date, "start_time": start_time, "end_time": end_time}
    errors = _time_off_errors(leave, _local_today(hospital))
    if errors:
        raise ValidationError(errors)
    doctor_lock_for_update(doctor=doctor)
    time_off = TimeOff(doctor=doctor, reason=reason.strip(), **leave)
    time_off.full_clean()
    affected = appointments_in_time_off(hospital=hospital, time_off=time_off)
    if affected and not cancel_appointments:
        raise Conflict(
            "appointments_in_time_off",
            f"{len(affected)} booked appointment(s) fall inside this time off. Send cancel_appointments: true to "
            "cancel them and tell the patients.",
            fields={"appointment_ids": [str(a.pk) for a in affected]},
        )
    time_off.save(force_insert=True)
    for appointment in affected:
        appointment_cancel_for_time_off(actor=actor, hospital=hospital, appointment=appointment)
    cancelled = [a.pk for a in affected]
    doctor_slots_changed(hospital=hospital, doctor=doctor, dates=dates_between(start_date, end_date))
    waitlist_slots_changed(hospital=hospital, doctor=doctor)  # withdraws offers of slots the time off took
    audit_record(
        actor=actor,
        action="time_off.added",
        entity="doctor",
        entity_id=doctor.pk,
        hospital=hospital,
        metadata={
            "time_off_id": str(time_off.pk),
            "start_date": str(start_date),
            "end_date": str(end_date),
            "cancelled_appointments": len(cancelled),
        },
    )
    return time_off, cancelled


@transaction.atomic
def time_off_remove(*, actor: User, hospital: Hospital, doctor: Doctor, time_off: TimeOff) -> None:
    """Delete one of the doctor's time off entries: its slots are free again (appointments it cancelled stay
    cancelled). Side effects: audit entry; the doctor's availability cache is bumped after commit.
    """
    doctor_lock_for_update(doctor=doctor)
    TimeOff.objects.filter(pk=time_off.pk, doctor=doctor).delete()
    doctor_slots_changed(hospital=hospital, doctor=doctor, dates=dates_between(time_off.start_date, time_off.end_date))
    waitlist_slots_changed(hospital=hospital, doctor=doctor)
    audit_record(
        actor=actor,
        action="time_off.removed",
        entity="doctor",
        entity_id=doctor.pk,
        hospital=hospital,
        metadata={"time_off_id": str(time_off.pk)},
    )
