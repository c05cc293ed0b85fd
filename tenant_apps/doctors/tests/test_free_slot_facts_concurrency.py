"""The directory's free-slot facts under real parallel transactions (threads, each with its own connection,
committed data): writes that move one doctor's slots at once leave facts equal to a computation from scratch.

Like tenant_apps/doctors/tests/test_schedule_concurrency.py, these run outside pytest-django's per-test
transaction and leave their hospital deactivated afterwards.
"""

import contextlib
import datetime as dt
import time
import uuid
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from shared_apps.common.errors import Conflict
from shared_apps.common.tests.parallel import in_parallel
from shared_apps.directory.models import DoctorDay, DoctorEntry
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.services import appointment_book
from tenant_apps.doctors.services import facts, schedule_set
from tenant_apps.doctors.services.facts import doctor_facts_refresh_due
from tenant_apps.doctors.tests.factories import admin_of, make_doctor, open_day
from tenant_apps.doctors.tests.helpers import new_patient, recomputed, stored

SLOTS = 4  # 09:00 to 11:00 in 30-minute slots
ROUNDS = 3
SLOW = 0.2  # seconds each recompute of the facts takes in these tests


@pytest.fixture(scope="module")
def ward(django_db_setup, django_db_blocker):
    from shared_apps.accounts.tests.factories import SuperadminFactory
    from shared_apps.hospitals.services import hospital_set_active
    from shared_apps.hospitals.tests.factories import approved_hospital

    with django_db_blocker.unblock():
        hospital = approved_hospital(
            name="Facts Race", slug=f"facts-{uuid.uuid4().hex[:6]}", timezone_name="Europe/London"
        )
        yield {"hospital": hospital, "admin": admin_of(hospital)}
        hospital_set_active(actor=SuperadminFactory(), hospital=hospital, active=False)


@contextlib.contextmanager
def slow_recompute(seconds=SLOW):
    """Each recompute of the facts takes `seconds` longer, so that racing writes are all inside it at once: without
    the directory row's lock each would count the others' slots as still free, or insert the same day's row."""
    real = facts.doctor_free_slots

    def slow(**kwargs):
        slots = real(**kwargs)
        time.sleep(seconds)
        return slots

    with mock.patch.object(facts, "doctor_free_slots", slow):
        yield


def booking(hospital, doctor, day, at, *, after=0.0):
    """A booking by a new patient (made here: factories are not for threads), `after` seconds into the race."""
    who = new_patient()

    def call():
        time.sleep(after)
        with hospital_context(hospital):
            return appointment_book(actor=who, hospital=hospital, doctor=doctor, date=day, time=at)

    return call


def nine(day, hospital, minutes=0):
    return dt.datetime.combine(day, dt.time(9), tzinfo=hospital.zone) + dt.timedelta(minutes=minutes)


def test_parallel_bookings_of_one_day_leave_its_exact_count_and_move_next_available(ward, django_db_blocker):
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        today = timezone.now().astimezone(hospital.zone).date()
        doctor = make_doctor(hospital)
        days = [today + dt.timedelta(days=3 + n) for n in range(ROUNDS)]
        for day in days:
            open_day(hospital, doctor, day, "09:00", "11:00")
        slots = [(dt.datetime(2000, 1, 1, 9) + dt.timedelta(minutes=30 * n)).time() for n in range(SLOTS)]  # noqa: DTZ001

        rounds = [  # day, bookings at once, then that day's free slots and next_available
            (days[0], SLOTS, None, nine(days[1], hospital)),
            (days[1], SLOTS - 1, 1, nine(days[1], hospital, 90)),
            (days[2], SLOTS, None, nine(days[1], hospital, 90)),
        ]
        for day, racers, left, next_available in rounds:
            with slow_recompute():
                results = in_parallel([booking(hospital, doctor, day, at) for at in slots[:racers]])

            assert all(isinstance(r, Appointment) for r in results), results
            assert stored(doctor)["days"].get(day, (None,))[0] == left
            assert stored(doctor)["next"] == next_available
            assert stored(doctor) == recomputed(hospital, doctor)
        connection.close()


def test_a_booking_racing_new_weekly_hours_commits_or_fails_cleanly_and_the_facts_stay_exact(ward, django_db_blocker):
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        today = timezone.now().astimezone(hospital.zone).date()
        for n in range(ROUNDS):
            doctor = make_doctor(hospital)
            day = today + dt.timedelta(days=3 + n)
            hours = {"weekday": day.weekday(), "start_time": dt.time(9), "end_time": dt.time(11)}
            with hospital_context(hospital):
                schedule_set(actor=ward["admin"], hospital=hospital, doctor=doctor, weekly_hours=[hours])
            later = {**hours, "start_time": dt.time(10), "end_time": dt.time(12)}  # 09:00 is no slot any more

            def new_hours(doctor=doctor, later=later):
                with hospital_context(hospital):
                    return schedule_set(actor=ward["admin"], hospital=hospital, doctor=doctor, weekly_hours=[later])

            with slow_recompute():
                booked, schedule = in_parallel([booking(hospital, doctor, day, dt.time(9), after=0.05 * n), new_hours])

            assert isinstance(schedule, list), schedule
            if not isinstance(booked, Appointment):  # the new hours committed first
                assert isinstance(booked, Conflict), booked
                assert booked.code == "slot_unavailable"
            assert stored(doctor) == recomputed(hospital, doctor)
            assert stored(doctor)["days"][day][0] == 4  # 10:00 to 12:00; a booking at 09:00 takes none of them
        connection.close()


def test_a_booking_racing_the_midnight_refresh_leaves_the_days_the_horizon_gained(ward, django_db_blocker):
    """Whichever takes the doctor's row first — the refresh, or the booking (the refresh then skips the doctor) —
    the day that entered the horizon at midnight gets its facts."""
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        today = timezone.now().astimezone(hospital.zone).date()
        # Who holds the row first: the refresh; the booking (the refresh starts while it recomputes); either.
        for booking_after, refresh_after in ((0.3, 0.0), (0.0, 0.3), (0.0, 0.0)):
            doctor = make_doctor(hospital)
            every_day = [{"weekday": d, "start_time": dt.time(9), "end_time": dt.time(11)} for d in range(7)]
            with hospital_context(hospital):
                schedule_set(actor=ward["admin"], hospital=hospital, doctor=doctor, weekly_hours=every_day)
            last = max(stored(doctor)["days"])
            # As the facts were before midnight: one day fewer, and due.
            DoctorDay.objects.filter(doctor_id=doctor.pk, date=last).delete()
            DoctorEntry.objects.filter(doctor_id=doctor.pk).update(
                facts_until=last - dt.timedelta(days=1), facts_refresh_at=timezone.now() - dt.timedelta(seconds=1)
            )
            day = today + dt.timedelta(days=3)

            def refresh(after=refresh_after):
                time.sleep(after)
                return doctor_facts_refresh_due()

            with slow_recompute(0.5):
                booked, refreshed = in_parallel(
                    [booking(hospital, doctor, day, dt.time(9), after=booking_after), refresh]
                )

            assert isinstance(booked, Appointment), booked
            assert isinstance(refreshed, int), refreshed
            assert last in stored(doctor)["days"]
            assert stored(doctor) == recomputed(hospital, doctor)
        connection.close()
