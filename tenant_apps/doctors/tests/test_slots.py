"""The one slot computation, rule by rule (pure: no database)."""

import datetime as dt
from zoneinfo import ZoneInfo

from tenant_apps.doctors.slots import Leave, Schedule, WeeklyRule, Window, free_slots, local_datetime

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MONDAY = dt.date(2030, 6, 3)


def times(schedule, *, day=MONDAY, to=None, minutes=60, zone=LONDON, busy=(), not_before=LONG_AGO) -> list[str]:
    slots = free_slots(
        schedule=schedule,
        date_from=day,
        date_to=to or day,
        slot_minutes=minutes,
        zone=zone,
        busy=busy,
        not_before=not_before,
    )
    return [f"{s.date:%a} {s.time:%H:%M}" for s in slots]


def weekly(weekday=0, start=9, end=12, valid_from=dt.date(2030, 1, 1), valid_until=None) -> WeeklyRule:
    return WeeklyRule(weekday, dt.time(start), dt.time(end), valid_from, valid_until)


def test_weekly_hours_give_slots_on_their_weekday_only():
    schedule = Schedule(weekly_hours=(weekly(0, 9, 11), weekly(2, 14, 15)))
    assert times(schedule, to=MONDAY + dt.timedelta(days=6)) == ["Mon 09:00", "Mon 10:00", "Wed 14:00"]


def test_weekly_hours_apply_from_valid_from_to_valid_until_inclusive():
    old = weekly(0, 9, 10, valid_from=dt.date(2030, 1, 1), valid_until=MONDAY)
    new = weekly(0, 15, 16, valid_from=MONDAY + dt.timedelta(days=1))
    schedule = Schedule(weekly_hours=(old, new))
    assert times(schedule, day=MONDAY) == ["Mon 09:00"]  # valid_until is the last day
    assert times(schedule, day=MONDAY + dt.timedelta(days=7)) == ["Mon 15:00"]
    not_yet = Schedule(weekly_hours=(weekly(0, 9, 10, valid_from=MONDAY + dt.timedelta(days=1)),))
    assert times(not_yet, day=MONDAY) == []


def test_available_dated_windows_replace_that_dates_weekly_hours():
    override = Window(MONDAY, dt.time(13), dt.time(15), True)
    schedule = Schedule(weekly_hours=(weekly(0, 9, 12),), windows=(override,))
    assert times(schedule) == ["Mon 13:00", "Mon 14:00"]
    assert times(schedule, day=MONDAY + dt.timedelta(days=7)) == ["Mon 09:00", "Mon 10:00", "Mon 11:00"]


def test_a_blocked_dated_window_subtracts_without_replacing_the_weekly_hours():
    block = Window(MONDAY, dt.time(10), dt.time(11), False)
    assert times(Schedule(weekly_hours=(weekly(0, 9, 12),), windows=(block,))) == ["Mon 09:00", "Mon 11:00"]


def test_whole_day_time_off_takes_every_day_of_its_range():
    leave = Leave(MONDAY, MONDAY + dt.timedelta(days=1))
    rules = tuple(weekly(day, 9, 10) for day in range(3))
    schedule = Schedule(weekly_hours=rules, time_off=(leave,))
    assert times(schedule, to=MONDAY + dt.timedelta(days=2)) == ["Wed 09:00"]


def test_partial_day_time_off_takes_its_hours_of_each_day_and_any_slot_it_touches():
    leave = Leave(MONDAY, MONDAY + dt.timedelta(days=1), dt.time(10, 30), dt.time(11))
    rules = (weekly(0, 9, 12), weekly(1, 9, 12))
    schedule = Schedule(weekly_hours=rules, time_off=(leave,))
    assert times(schedule, to=MONDAY + dt.timedelta(days=1)) == ["Mon 09:00", "Mon 11:00", "Tue 09:00", "Tue 11:00"]


def test_time_off_also_takes_out_a_dated_override():
    override = Window(MONDAY, dt.time(13), dt.time(15), True)
    leave = Leave(MONDAY, MONDAY, dt.time(13), dt.time(14))
    assert times(Schedule(windows=(override,), time_off=(leave,))) == ["Mon 14:00"]


def test_busy_intervals_subtract_on_the_real_timeline():
    booked_start = local_datetime(MONDAY, dt.time(10), LONDON)
    busy = [(booked_start, booked_start + dt.timedelta(minutes=30))]
    assert times(Schedule(weekly_hours=(weekly(0, 9, 12),)), busy=busy) == ["Mon 09:00", "Mon 11:00"]


def test_slots_start_on_the_grid_from_the_start_of_the_window_and_fit_inside_it():
    schedule = Schedule(weekly_hours=(WeeklyRule(0, dt.time(9, 15), dt.time(10, 45), dt.date(2030, 1, 1)),))
    assert times(schedule, minutes=30) == ["Mon 09:15", "Mon 09:45", "Mon 10:15"]


def test_slots_before_not_before_are_not_offered():
    not_before = local_datetime(MONDAY, dt.time(10, 15), LONDON)
    assert times(Schedule(weekly_hours=(weekly(0, 9, 12),)), not_before=not_before) == ["Mon 11:00"]


def test_weekly_hours_on_the_spring_forward_day_skip_the_missing_hour():
    day = dt.date(2030, 3, 31)  # a Sunday: 01:00 GMT jumps to 02:00 BST
    schedule = Schedule(weekly_hours=(weekly(6, 0, 3),))
    slots = free_slots(schedule=schedule, date_from=day, date_to=day, slot_minutes=30, zone=LONDON, not_before=LONG_AGO)
    assert [s.time.isoformat("minutes") for s in slots] == ["00:00", "00:30", "02:00", "02:30"]
    assert [s.starts_at.utcoffset() for s in slots] == [dt.timedelta(0)] * 2 + [dt.timedelta(hours=1)] * 2
    real = [s.ends_at.astimezone(dt.UTC) - s.starts_at.astimezone(dt.UTC) for s in slots]
    assert real == [dt.timedelta(minutes=30)] * 4
    assert slots[1].ends_at.time() == dt.time(2)  # 00:30 GMT + 30 minutes is 02:00 BST


def test_weekly_hours_on_the_fall_back_day_offer_the_repeated_hour_once_with_real_ends():
    day = dt.date(2030, 11, 3)  # a Sunday: 02:00 EDT falls back to 01:00 EST
    schedule = Schedule(weekly_hours=(weekly(6, 0, 3),))
    slots = free_slots(
        schedule=schedule, date_from=day, date_to=day, slot_minutes=60, zone=NEW_YORK, not_before=LONG_AGO
    )
    assert [s.time.hour for s in slots] == [0, 1, 2]
    starts_utc = [s.starts_at.astimezone(dt.UTC) for s in slots]
    assert len(set(starts_utc)) == 3
    assert all(s.ends_at.astimezone(dt.UTC) - s.starts_at.astimezone(dt.UTC) == dt.timedelta(hours=1) for s in slots)
    assert starts_utc[1] == dt.datetime(2030, 11, 3, 5, tzinfo=dt.UTC)  # 01:00 EDT, the first of the two
