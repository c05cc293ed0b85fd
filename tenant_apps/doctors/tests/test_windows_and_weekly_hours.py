"""Dated windows entered before weekly hours existed keep working unchanged, next to weekly hours, at the API
(GET /api/doctors/{id}/availability/); and a hospital can run for a month on weekly hours alone.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.tests.helpers import book, set_policy
from tenant_apps.doctors.models import DoctorAvailability
from tenant_apps.doctors.tests.factories import make_doctor, open_day
from tenant_apps.doctors.tests.test_schedule_api import hours, local_today, next_weekday, put_schedule

pytestmark = pytest.mark.django_db
UTC = dt.UTC


# --- The availability computation as it was before weekly hours (2feada6, tenant_apps/doctors/slots.py and
# availability_body), copied unchanged as the oracle: a doctor with only dated windows must get exactly this.
def _old_local_datetime(date, time, zone):
    naive = dt.datetime.combine(date, time)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return aware


def _old_slot_end(starts_at, minutes):
    return (starts_at.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(starts_at.tzinfo)


def _old_free_slots(*, windows, slot_minutes, zone, busy, now):
    step = dt.timedelta(minutes=slot_minutes)

    def local_range(w):
        return dt.datetime.combine(w.date, w.start_time), dt.datetime.combine(w.date, w.end_time)

    blocked = [local_range(w) for w in windows if not w.is_available]
    busy_utc = [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in busy]
    slots = []
    for window in sorted((w for w in windows if w.is_available), key=lambda w: (w.date, w.start_time)):
        cursor, end = local_range(window)
        while cursor + step <= end:
            local_end = cursor + step
            starts_at = _old_local_datetime(cursor.date(), cursor.time(), zone)
            if not any(cursor < b_end and b_start < local_end for b_start, b_end in blocked) and (
                starts_at is not None and starts_at > now
            ):
                ends_at = _old_slot_end(starts_at, slot_minutes)
                s, e = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
                if not any(s < b_end and b_start < e for b_start, b_end in busy_utc):
                    slots.append((cursor.date(), cursor.time(), starts_at, ends_at))
            cursor += step
    return slots


def old_availability_body(hospital, doctor, date_from, date_to, busy=()) -> dict:
    with hospital_context(hospital):
        windows = list(
            DoctorAvailability.objects.filter(doctor=doctor, date__gte=date_from, date__lte=date_to).order_by(
                "date", "start_time", "is_available"
            )
        )
    slots = _old_free_slots(
        windows=windows, slot_minutes=doctor.slot_minutes, zone=hospital.zone, busy=busy, now=timezone.now()
    )
    return {
        "doctor_id": str(doctor.pk),
        "timezone": hospital.timezone,
        "windows": [
            {
                "date": w.date.isoformat(),
                "start_time": w.start_time.strftime("%H:%M"),
                "end_time": w.end_time.strftime("%H:%M"),
                "is_available": w.is_available,
            }
            for w in windows
        ],
        "slots": [
            {
                "date": d.isoformat(),
                "time": t.strftime("%H:%M"),
                "starts_at": s.isoformat(timespec="seconds"),
                "ends_at": e.isoformat(timespec="seconds"),
            }
            for d, t, s, e in slots
        ],
    }


# ---


def availability(api, doctor, date_from, date_to) -> dict:
    response = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(date_from), "to": str(date_to)})
    assert response.status_code == 200, response.content
    return response.json()


def times_by_date(body) -> dict:
    out = {}
    for slot in body["slots"]:
        out.setdefault(slot["date"], []).append(slot["time"])
    return out


def next_clock_change(zone: ZoneInfo, after: dt.date) -> dt.date:
    day = after
    while True:
        day += dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        if start.utcoffset() != (start + dt.timedelta(days=1)).utcoffset():
            return day


def test_a_doctor_with_only_dated_windows_gets_exactly_the_slots_they_got_before(api, as_user, alpha, patient):
    set_policy(alpha, booking_horizon_days=365)  # the clock-change night may be months away
    doctor = make_doctor(alpha, slot_minutes=45)  # not a divisor of an hour: windows end off the grid
    today = local_today(alpha)
    day1, day2, day3 = (today + dt.timedelta(days=n) for n in (2, 3, 5))
    open_day(alpha, doctor, day1, "09:00", "12:00", blocked=[("10:00", "10:30")])
    with hospital_context(alpha):
        DoctorAvailability.objects.create(doctor=doctor, date=day1, start_time=dt.time(14), end_time=dt.time(15))
        DoctorAvailability.objects.create(doctor=doctor, date=day2, start_time=dt.time(8), end_time=dt.time(9, 40))
        DoctorAvailability.objects.create(
            doctor=doctor, date=day3, start_time=dt.time(9), end_time=dt.time(10), is_available=False
        )
        # a clock-change night, entered directly as rows of the old table (beyond what the editor allows today)
        change = next_clock_change(alpha.zone, today + dt.timedelta(days=7))
        DoctorAvailability.objects.create(doctor=doctor, date=change, start_time=dt.time(0), end_time=dt.time(4))
    booked = book(as_user(patient), doctor, day1, "11:15")
    assert booked.status_code == 201, booked.content
    busy = [
        (dt.datetime.fromisoformat(booked.json()["starts_at"]), dt.datetime.fromisoformat(booked.json()["ends_at"]))
    ]

    week = availability(api, doctor, today, today + dt.timedelta(days=6))
    night = availability(api, doctor, change, change)

    assert week == old_availability_body(alpha, doctor, today, today + dt.timedelta(days=6), busy)
    assert night == old_availability_body(alpha, doctor, change, change)
    assert times_by_date(week) == {
        str(day1): ["09:00", "10:30", "14:00"],  # 09:45 overlaps the block, 11:15 is booked
        str(day2): ["08:00", "08:45"],  # 09:30 would end after 09:40
    }
    assert night["slots"]  # and on the clock-change night, the skipped or repeated hour exactly as before


def test_a_date_with_dated_windows_ignores_that_weekdays_weekly_hours(api, as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha, slot_minutes=60)
    assert put_schedule(as_user(alpha_admin), doctor, hours(0, "09:00", "12:00")).status_code == 200
    monday1, monday2, monday3 = (next_weekday(alpha, 0, weeks) for weeks in (1, 2, 3))
    open_day(alpha, doctor, monday1, "14:00", "16:00")  # an available dated window: replaces the weekly hours
    with hospital_context(alpha):  # only a blocked dated window: the weekly hours stay, minus the block
        DoctorAvailability.objects.create(
            doctor=doctor, date=monday3, start_time=dt.time(10), end_time=dt.time(11), is_available=False
        )

    body = availability(api, doctor, monday1, monday3)

    assert times_by_date(body) == {
        str(monday1): ["14:00", "15:00"],
        str(monday2): ["09:00", "10:00", "11:00"],
        str(monday3): ["09:00", "11:00"],
    }
    assert [w for w in body["windows"] if w["date"] == str(monday1)] == [
        {"date": str(monday1), "start_time": "14:00", "end_time": "16:00", "is_available": True}
    ]
    assert [w for w in body["windows"] if w["date"] == str(monday2)] == [
        {"date": str(monday2), "start_time": "09:00", "end_time": "12:00", "is_available": True}
    ]


def test_a_hospital_runs_for_a_month_from_weekly_hours_alone(api, as_user, alpha, alpha_admin, patient):
    doctor = make_doctor(alpha, slot_minutes=30)
    working = {0, 2, 4}  # Monday, Wednesday, Friday
    response = put_schedule(as_user(alpha_admin), doctor, *(hours(day, "09:00", "12:00") for day in working))
    assert response.status_code == 200, response.content
    today = local_today(alpha)
    first, second = (
        availability(api, doctor, today + dt.timedelta(days=start), today + dt.timedelta(days=start + 14))
        for start in (0, 15)
    )

    by_date = times_by_date(first) | times_by_date(second)
    grid = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    month = [today + dt.timedelta(days=n) for n in range(1, 30)]  # today's morning may be over already
    assert {str(d): by_date.get(str(d)) for d in month} == {
        str(d): (grid if d.weekday() in working else None) for d in month
    }
    with hospital_context(alpha):
        assert not DoctorAvailability.objects.filter(doctor=doctor).exists()

    day = max(d for d in month if d.weekday() in working)  # four weeks out
    assert (day - today).days >= 27
    booked = book(as_user(patient), doctor, day, "10:30")

    assert booked.status_code == 201, booked.content
    assert booked.json()["date"] == str(day)
    assert times_by_date(availability(api, doctor, day, day))[str(day)] == [t for t in grid if t != "10:30"]
