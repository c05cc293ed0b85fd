"""A slot on a clock-change day lasts its real length: the end is computed on the UTC timeline, not the wall clock."""

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from tenant_apps.appointments.tests.helpers import book, set_policy
from tenant_apps.doctors.tests.factories import make_doctor, open_day

pytestmark = pytest.mark.django_db


def next_fall_back_day(hospital) -> dt.date:
    """The next first Sunday of November (America/New_York falls back from 02:00 EDT to 01:00 EST)."""
    today = timezone.now().astimezone(hospital.zone).date()
    for year in (today.year, today.year + 1):
        first = dt.date(year, 11, 1)
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
        if sunday > today:
            return sunday
    raise AssertionError("unreachable")


@pytest.fixture
def fall_back_booking(as_user, beta, patient):
    day = next_fall_back_day(beta)
    set_policy(beta, booking_horizon_days=(day - timezone.now().date()).days + 2)
    doctor = make_doctor(beta, slot_minutes=60)
    open_day(beta, doctor, day, "01:00", "02:00")
    response = book(as_user(patient), doctor, day, "01:00")
    assert response.status_code == 201, response.content
    return as_user(patient), response.json()


def test_a_60_minute_slot_on_the_fall_back_night_lasts_60_minutes(fall_back_booking):
    _, body = fall_back_booking
    starts_at, ends_at = (dt.datetime.fromisoformat(body[key]).astimezone(dt.UTC) for key in ("starts_at", "ends_at"))
    assert ends_at - starts_at == dt.timedelta(minutes=60)
    assert (body["starts_at"][-6:], body["ends_at"][-6:]) == ("-04:00", "-05:00")  # 01:00 EDT → 01:00 EST


def test_the_calendar_event_on_the_fall_back_night_lasts_60_minutes(fall_back_booking):
    client, body = fall_back_booking
    response = client.get(f"/api/appointments/{body['id']}/ics/")
    event = next(c for c in Calendar.from_ical(response.content).walk() if c.name == "VEVENT")
    starts_at, ends_at = (event.decoded(key).astimezone(dt.UTC) for key in ("dtstart", "dtend"))
    assert ends_at - starts_at == dt.timedelta(minutes=60)
