import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from shared_apps.accounts.access import StaffAccess
from shared_apps.common.errors import NotFound
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.policy import earliest_bookable, last_bookable_date
from tenant_apps.doctors.models import Doctor, DoctorAvailability, TimeOff, WeeklyHours
from tenant_apps.doctors.slots import Leave, Schedule, Slot, WeeklyRule, Window, dates_between, day_plan, free_slots

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


def doctor_lock_shared(*, doctor: Doctor) -> None:
    """Lock the doctor's row FOR SHARE until the transaction ends: bookings take it (they do not block each other);
    schedule changes and time off lock it FOR UPDATE, so each waits for the other to commit and then sees it.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Doctor._meta.db_table} WHERE id = %s FOR SHARE", [doctor.pk])  # noqa: S608


def doctor_slot_lock(*, doctor: Doctor, starts_at: dt.datetime) -> None:
    """Take the transaction-scoped advisory lock of one slot of the doctor: writers claiming the same slot (a
    booking, a reschedule onto it) queue here instead of racing into the exclusion constraint.

    The constraint alone is correct but not calm: concurrent INSERTs of one slot each write their index entry, then
    each waits for the others' transactions, and PostgreSQL breaks those cycles by aborting one with a deadlock
    (an OperationalError, a 503 to the client). Queued, the next writer sees the winner's committed row and gets the
    constraint's violation (409 slot_taken). Key: (hash of the doctor, the start in minutes since the epoch); a hash
    collision only makes two slots queue together.
    """
    minutes = int(starts_at.timestamp() // 60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [f"slot:{doctor.pk}", minutes])


def doctor_lock_for_update(*, doctor: Doctor) -> None:
    """Lock the doctor's row FOR UPDATE until the transaction ends: every schedule write does (weekly hours, dated
    windows, time off), so it waits for bookings in flight and bookings after it see what it wrote.
    """
    Doctor.objects.select_for_update().filter(pk=doctor.pk).values_list("pk", flat=True).first()


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


def _weekly_rules(rows) -> tuple[WeeklyRule, ...]:
    return tuple(WeeklyRule(r.weekday, r.start_time, r.end_time, r.valid_from, r.valid_until) for r in rows)


def _leaves(rows) -> tuple[Leave, ...]:
    return tuple(Leave(r.start_date, r.end_date, r.start_time, r.end_time) for r in rows)


def _windows(rows) -> tuple[Window, ...]:
    return tuple(Window(w.date, w.start_time, w.end_time, w.is_available) for w in rows)


def schedules_for(*, doctors: list[Doctor], date_from: dt.date, date_to: dt.date) -> dict:
    """Each doctor's Schedule (weekly hours, dated windows, time off) over two local dates: three queries."""
    ids = [d.pk for d in doctors]
    weekly = WeeklyHours.objects.filter(doctor_id__in=ids, valid_from__lte=date_to).exclude(valid_until__lt=date_from)
    windows = DoctorAvailability.objects.filter(doctor_id__in=ids, date__gte=date_from, date__lte=date_to)
    leave = TimeOff.objects.filter(doctor_id__in=ids, start_date__lte=date_to, end_date__gte=date_from)
    by_doctor = {pk: {"weekly": [], "windows": [], "leave": []} for pk in ids}
    for kind, rows in (("weekly", weekly), ("windows", windows), ("leave", leave)):
        for row in rows:
            by_doctor[row.doctor_id][kind].append(row)
    return {
        pk: Schedule(
            weekly_hours=_weekly_rules(rows["weekly"]),
            windows=_windows(rows["windows"]),
            time_off=_leaves(rows["leave"]),
        )
        for pk, rows in by_doctor.items()
    }


def doctor_schedule(*, doctor: Doctor, date_from: dt.date, date_to: dt.date) -> Schedule:
    return schedules_for(doctors=[doctor], date_from=date_from, date_to=date_to)[doctor.pk]


def doctor_free_slots(
    *,
    hospital: Hospital,
    doctor: Doctor,
    date_from: dt.date,
    date_to: dt.date,
    schedule: Schedule | None = None,
    busy: list | None = None,
) -> list[Slot]:
    """The doctor's free slots between two local dates: the one computation (tenant_apps/doctors/slots.py) over
    their schedule, minus booked appointments, minus what the hospital's policy does not let patients book
    (inside the booking notice, past the horizon), so every slot offered is bookable. `schedule` and `busy` when
    the caller has them.
    """
    from tenant_apps.appointments.selectors import busy_intervals  # appointments build on doctors

    now = timezone.now()
    date_to = min(date_to, last_bookable_date(hospital, now.astimezone(hospital.zone).date()))
    if date_to < date_from:
        return []
    if schedule is None:
        schedule = doctor_schedule(doctor=doctor, date_from=date_from, date_to=date_to)
    if busy is None:
        busy = busy_intervals(doctor=doctor, date_from=date_from, date_to=date_to)
    return free_slots(
        schedule=schedule,
        date_from=date_from,
        date_to=date_to,
        slot_minutes=doctor.slot_minutes,
        zone=hospital.zone,
        busy=busy,
        not_before=earliest_bookable(hospital, now),
    )


def doctor_next_free_slots(*, hospital: Hospital, doctor: Doctor, count: int) -> list[Slot]:
    """The doctor's first `count` free slots from now, within the hospital's booking horizon (read a month at a
    time, so a doctor with free time soon costs one read).
    """
    today = timezone.now().astimezone(hospital.zone).date()
    last = last_bookable_date(hospital, today)
    found: list[Slot] = []
    start = today
    while start <= last and len(found) < count:
        end = min(start + dt.timedelta(days=settings.AVAILABILITY_MAX_RANGE_DAYS - 1), last)
        found += doctor_free_slots(hospital=hospital, doctor=doctor, date_from=start, date_to=end)
        start = end + dt.timedelta(days=1)
    return found[:count]


def effective_windows(*, schedule: Schedule, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """The `windows` of the availability response: each date's open windows (its dated available windows, or its
    weekly hours), then what is taken out of them: blocked dated windows as entered, and time off clipped to the
    open windows (is_available false).
    """
    rows = []
    for date in dates_between(date_from, date_to):
        plan = day_plan(schedule, date)
        rows += [_window_dict(date, start, end, True) for start, end in plan.open]
        rows += [_window_dict(date, start.time(), end.time(), False) for start, end in plan.blocked]
        rows += [_window_dict(date, start, end, False) for start, end in _leave_inside(plan)]
    return sorted(rows, key=lambda w: (w["date"], w["start_time"], w["is_available"]))


def _leave_inside(plan) -> list[tuple[dt.time, dt.time]]:
    clipped = []
    for leave_start, leave_end in plan.time_off:
        for open_start, open_end in plan.open:
            start = max(leave_start, dt.datetime.combine(plan.date, open_start))
            end = min(leave_end, dt.datetime.combine(plan.date, open_end))
            if start < end:
                clipped.append((start.time(), end.time()))
    return clipped


def _window_dict(date: dt.date, start: dt.time, end: dt.time, is_available: bool) -> dict:
    return {
        "date": date.isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": end.strftime("%H:%M"),
        "is_available": is_available,
    }


def availability_body(*, hospital: Hospital, doctor: Doctor, date_from: dt.date, date_to: dt.date) -> dict:
    """Windows and free slots of one doctor as JSON-ready data (inside the hospital's schema).

    Built by hand rather than through AvailabilityApi.OutputSerializer (which documents it): a week holds
    hundreds of slots. The contract tests validate the body against the schema.
    """
    schedule = doctor_schedule(doctor=doctor, date_from=date_from, date_to=date_to)
    slots = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=date_from, date_to=date_to, schedule=schedule)
    return {
        "doctor_id": str(doctor.pk),
        "timezone": hospital.timezone,
        "windows": effective_windows(schedule=schedule, date_from=date_from, date_to=date_to),
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


def schedule_body(*, hospital: Hospital, doctor: Doctor) -> dict:
    """GET /api/doctors/{id}/schedule/: the weekly hours and the current and upcoming time off."""
    today = timezone.now().astimezone(hospital.zone).date()
    return {
        "doctor_id": str(doctor.pk),
        "timezone": hospital.timezone,
        "weekly_hours": [
            {
                "weekday": row.weekday,
                "start_time": row.start_time.strftime("%H:%M"),
                "end_time": row.end_time.strftime("%H:%M"),
                "valid_from": row.valid_from.isoformat(),
                "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            }
            for row in current_hours(doctor=doctor, today=today).order_by("weekday", "start_time", "valid_from")
        ],
        "time_off": [time_off_row(row) for row in time_off_list(doctor=doctor, since=today)],
    }


def current_hours(*, doctor: Doctor, today: dt.date) -> QuerySet[WeeklyHours]:
    """The doctor's weekly hours still in force or to come (not ended before `today`)."""
    return WeeklyHours.objects.filter(doctor=doctor).exclude(valid_until__lt=today)


def time_off_list(*, doctor: Doctor, since: dt.date) -> QuerySet[TimeOff]:
    """The doctor's time off that ends on or after `since`, in date order."""
    return doctor.time_off.filter(end_date__gte=since).order_by("start_date", "start_time", "id")


def time_off_row(row: TimeOff) -> dict:
    return {
        "id": str(row.pk),
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        "start_time": row.start_time.strftime("%H:%M") if row.start_time else None,
        "end_time": row.end_time.strftime("%H:%M") if row.end_time else None,
        "reason": row.reason,
    }


def time_off_get(*, doctor: Doctor, time_off_id) -> TimeOff | None:
    """One of `doctor`'s time off entries, or None (another doctor's is as missing as a deleted one)."""
    return doctor.time_off.filter(pk=time_off_id).first()
