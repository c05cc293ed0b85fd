"""The one free-slot computation, in the hospital's wall-clock time. Pure functions: no database.

A doctor's open time on a date comes from, in order:
1. weekly hours (a weekday's hours, effective from `valid_from` to `valid_until`);
2. dated windows: if the date has *available* dated windows they replace its weekly hours; *blocked* dated
   windows always subtract;
3. minus time off (whole days of a date range, or a time range of each of its days);
4. minus busy intervals (booked appointments, held slots).
A slot starts on the `slot_minutes` grid from the start of an open window, fits inside it, overlaps nothing
subtracted, starts after `not_before`, and exists on the clock: on a spring-forward day the skipped hour has no
slots; on a fall-back day the repeated hour is offered once. Its `ends_at` is `slot_minutes` later in real time.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True)
class Window:
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    is_available: bool


@dataclass(frozen=True)
class WeeklyRule:
    weekday: int  # 0 = Monday
    start_time: dt.time
    end_time: dt.time
    valid_from: dt.date
    valid_until: dt.date | None = None

    def applies_on(self, date: dt.date) -> bool:
        in_force = self.valid_from <= date and (self.valid_until is None or date <= self.valid_until)
        return in_force and date.weekday() == self.weekday


@dataclass(frozen=True)
class Leave:
    start_date: dt.date
    end_date: dt.date
    start_time: dt.time | None = None  # None: the whole of each day
    end_time: dt.time | None = None

    def range_on(self, date: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The local wall-clock range this leave takes out of `date`, or None."""
        if not self.start_date <= date <= self.end_date:
            return None
        if self.start_time is None:
            midnight = dt.datetime.combine(date, dt.time())
            return midnight, midnight + dt.timedelta(days=1)
        return dt.datetime.combine(date, self.start_time), dt.datetime.combine(date, self.end_time)


@dataclass(frozen=True)
class Schedule:
    """Everything that decides a doctor's open time over some dates (busy intervals aside)."""

    weekly_hours: tuple[WeeklyRule, ...] = ()
    windows: tuple[Window, ...] = ()  # dated windows, available or blocked
    time_off: tuple[Leave, ...] = ()


@dataclass(frozen=True)
class DayPlan:
    """One date of a schedule: its open windows, and what is taken out of them (local wall-clock ranges)."""

    date: dt.date
    open: list[tuple[dt.time, dt.time]]
    from_weekly_hours: bool
    blocked: list[tuple[dt.datetime, dt.datetime]]
    time_off: list[tuple[dt.datetime, dt.datetime]]


@dataclass(frozen=True)
class Slot:
    date: dt.date
    time: dt.time
    starts_at: dt.datetime  # aware, in the hospital's zone
    ends_at: dt.datetime


def local_datetime(date: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The aware instant of a wall-clock time, or None when that time does not exist (DST gap)."""
    naive = dt.datetime.combine(date, time)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return aware


def slot_end(starts_at: dt.datetime, minutes: int) -> dt.datetime:
    """The real end of a slot: `minutes` later on the UTC timeline (wall-clock arithmetic is off by the clock
    change on a DST day), shown in the start's zone.
    """
    return (starts_at.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(starts_at.tzinfo)


def day_plan(schedule: Schedule, date: dt.date) -> DayPlan:
    """Rules 1–3 for one date: dated available windows replace the weekly hours; blocks and time off subtract."""
    dated = sorted((w.start_time, w.end_time) for w in schedule.windows if w.date == date and w.is_available)
    weekly = sorted((r.start_time, r.end_time) for r in schedule.weekly_hours if r.applies_on(date))
    blocked = [
        (dt.datetime.combine(date, w.start_time), dt.datetime.combine(date, w.end_time))
        for w in schedule.windows
        if w.date == date and not w.is_available
    ]
    leave = [r for r in (leave.range_on(date) for leave in schedule.time_off) if r is not None]
    return DayPlan(
        date=date, open=dated or weekly, from_weekly_hours=not dated, blocked=sorted(blocked), time_off=sorted(leave)
    )


def dates_between(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    return [date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def free_slots(
    *,
    schedule: Schedule,
    date_from: dt.date,
    date_to: dt.date,
    slot_minutes: int,
    zone: ZoneInfo,
    busy: list[tuple[dt.datetime, dt.datetime]] = (),
    not_before: dt.datetime,
) -> list[Slot]:
    """The free slots between two local dates (both included), in time order."""
    step = dt.timedelta(minutes=slot_minutes)
    busy_utc = [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in busy]
    slots = []
    for date in dates_between(date_from, date_to):
        plan = day_plan(schedule, date)
        taken = plan.blocked + plan.time_off
        for start_time, end_time in plan.open:
            cursor, end = dt.datetime.combine(date, start_time), dt.datetime.combine(date, end_time)
            while cursor + step <= end:
                slot = _slot(cursor, step, zone, taken, busy_utc, not_before)
                if slot is not None:
                    slots.append(slot)
                cursor += step
    return sorted(slots, key=lambda slot: slot.starts_at)


def _slot(local_start, step, zone, taken, busy_utc, not_before) -> Slot | None:
    local_end = local_start + step
    if any(local_start < t_end and t_start < local_end for t_start, t_end in taken):
        return None
    starts_at = local_datetime(local_start.date(), local_start.time(), zone)
    if starts_at is None or starts_at <= not_before:
        return None
    ends_at = slot_end(starts_at, int(step.total_seconds() // 60))
    start_utc, end_utc = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if any(start_utc < b_end and b_start < end_utc for b_start, b_end in busy_utc):
        return None
    return Slot(date=local_start.date(), time=local_start.time(), starts_at=starts_at, ends_at=ends_at)
