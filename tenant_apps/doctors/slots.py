"""Free slots from availability windows, in the hospital's wall-clock time. Pure functions: no database.

A slot starts on the `slot_minutes` grid from the start of an available window, fits inside it, overlaps no
blocked window and no busy interval (booked appointments), starts in the future, and exists on the clock: on a
spring-forward day the skipped hour has no slots; on a fall-back day the repeated hour is offered once.
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


def _local_range(window: Window) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(window.date, window.start_time), dt.datetime.combine(window.date, window.end_time)


def free_slots(
    *,
    windows: list[Window],
    slot_minutes: int,
    zone: ZoneInfo,
    busy: list[tuple[dt.datetime, dt.datetime]] = (),
    now: dt.datetime,
) -> list[Slot]:
    step = dt.timedelta(minutes=slot_minutes)
    blocked = [_local_range(w) for w in windows if not w.is_available]
    busy_utc = [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in busy]
    slots = []
    for window in sorted((w for w in windows if w.is_available), key=lambda w: (w.date, w.start_time)):
        start, end = _local_range(window)
        cursor = start
        while cursor + step <= end:
            slot = _slot(cursor, step, zone, blocked, busy_utc, now)
            if slot is not None:
                slots.append(slot)
            cursor += step
    return slots


def _slot(local_start, step, zone, blocked, busy_utc, now) -> Slot | None:
    local_end = local_start + step
    if any(local_start < b_end and b_start < local_end for b_start, b_end in blocked):
        return None
    starts_at = local_datetime(local_start.date(), local_start.time(), zone)
    if starts_at is None or starts_at <= now:
        return None
    ends_at = slot_end(starts_at, int(step.total_seconds() // 60))
    start_utc, end_utc = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    if any(start_utc < b_end and b_start < end_utc for b_start, b_end in busy_utc):
        return None
    return Slot(date=local_start.date(), time=local_start.time(), starts_at=starts_at, ends_at=ends_at)
