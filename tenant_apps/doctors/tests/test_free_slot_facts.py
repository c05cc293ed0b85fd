"""The directory's free-slot facts (DoctorDay, DoctorEntry.next_available_*): right after every write that moves a
doctor's free slots, and after time passes (the periodic refresh)."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.directory.models import DoctorEntry
from shared_apps.hospitals.policy import last_bookable_date
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.services import appointment_book, appointment_cancel, appointment_reschedule
from tenant_apps.appointments.tests.helpers import bookable_doctor, future_day
from tenant_apps.doctors.services import doctor_update, schedule_set, time_off_add, time_off_remove
from tenant_apps.doctors.services.facts import doctor_facts_refresh_due, hospital_policy_change
from tenant_apps.doctors.tests.factories import admin_of, make_doctor, open_day
from tenant_apps.doctors.tests.helpers import assert_exact, stored
from tenant_apps.waitlist.tests.helpers import full_doctor, join, match

pytestmark = pytest.mark.django_db
REAL_NOW = timezone.now


def weekly(hospital, doctor, *rows):
    with hospital_context(hospital):
        schedule_set(actor=admin_of(hospital), hospital=hospital, doctor=doctor, weekly_hours=list(rows))


def hours(weekday, start="09:00", end="11:00"):
    return {"weekday": weekday, "start_time": dt.time.fromisoformat(start), "end_time": dt.time.fromisoformat(end)}


def book_at(hospital, doctor, day, time="09:00", patient=None):
    with hospital_context(hospital):
        return appointment_book(
            actor=patient or PatientFactory().user,
            hospital=hospital,
            doctor=doctor,
            date=day,
            time=dt.time.fromisoformat(time),
        )


def test_a_dated_window_gives_a_day_fact_and_next_available(alpha):
    doctor, day = bookable_doctor(alpha, start="09:00", end="10:00")  # 2 slots of 30 minutes

    facts = stored(doctor)
    assert list(facts["days"]) == [day]
    assert facts["days"][day][0] == 2
    entry = DoctorEntry.objects.get(doctor_id=doctor.pk)
    assert (entry.next_available_date, entry.next_available_time) == (day, dt.time(9))
    assert entry.next_available_at == dt.datetime.combine(day, dt.time(9), tzinfo=alpha.zone)


def test_weekly_hours_fill_every_matching_day_of_the_horizon(alpha):
    doctor = make_doctor(alpha)
    weekly(alpha, doctor, hours(0), hours(3, "14:00", "15:00"))

    facts = stored(doctor)
    assert {d.weekday() for d in facts["days"]} == {0, 3}
    assert len(facts["days"]) >= 2 * (alpha.booking_horizon_days // 7)
    assert_exact(alpha, doctor)


def test_booking_the_last_free_slot_of_a_day_removes_the_day_and_moves_next_available(alpha):
    doctor, day = bookable_doctor(alpha, start="09:00", end="09:30")
    later = future_day(alpha, 5)
    open_day(alpha, doctor, later, "10:00", "11:00")
    assert stored(doctor)["next"] == dt.datetime.combine(day, dt.time(9), tzinfo=alpha.zone)

    appointment = book_at(alpha, doctor, day)

    facts = stored(doctor)
    assert day not in facts["days"]
    assert facts["next"] == dt.datetime.combine(later, dt.time(10), tzinfo=alpha.zone)
    assert_exact(alpha, doctor)

    with hospital_context(alpha):
        appointment_cancel(actor=appointment.patient, hospital=alpha, appointment=appointment)
    assert stored(doctor)["days"][day][0] == 1
    assert_exact(alpha, doctor)


def test_a_reschedule_gives_back_the_old_day_and_takes_the_new_one(alpha):
    doctor, day = bookable_doctor(alpha, start="09:00", end="09:30")
    later = future_day(alpha, 5)
    open_day(alpha, doctor, later, "10:00", "10:30")
    appointment = book_at(alpha, doctor, day)
    assert list(stored(doctor)["days"]) == [later]

    with hospital_context(alpha):
        appointment_reschedule(
            actor=appointment.patient, hospital=alpha, appointment=appointment, date=later, time=dt.time(10)
        )

    assert list(stored(doctor)["days"]) == [day]
    assert_exact(alpha, doctor)


def test_time_off_takes_its_days_out_and_removing_it_gives_them_back(alpha):
    doctor = make_doctor(alpha)
    weekly(alpha, doctor, *(hours(weekday) for weekday in range(7)))
    first, last = future_day(alpha, 2), future_day(alpha, 4)
    with hospital_context(alpha):
        time_off, _ = time_off_add(
            actor=admin_of(alpha), hospital=alpha, doctor=doctor, start_date=first, end_date=last
        )
    assert not {first, first + dt.timedelta(days=1), last} & set(stored(doctor)["days"])
    assert_exact(alpha, doctor)

    with hospital_context(alpha):
        time_off_remove(actor=admin_of(alpha), hospital=alpha, doctor=doctor, time_off=time_off)
    assert {first, last} <= set(stored(doctor)["days"])
    assert_exact(alpha, doctor)


def test_a_waitlist_hold_takes_the_slot_and_its_release_gives_it_back(alpha, patient):
    doctor, day, (taken, _) = full_doctor(alpha)
    join(alpha, patient, doctor, day)
    with hospital_context(alpha):
        appointment_cancel(actor=taken.patient, hospital=alpha, appointment=taken)
    assert day in stored(doctor)["days"]  # free until the matching runs (after commit)

    (entry,) = match(alpha, doctor)

    assert day not in stored(doctor)["days"]  # held for the waiting patient
    from tenant_apps.waitlist.services import waitlist_decline

    with hospital_context(alpha):
        waitlist_decline(actor=patient, hospital=alpha, entry=entry)
    assert stored(doctor)["days"][day][0] == 1
    assert_exact(alpha, doctor)


def test_a_shorter_horizon_drops_the_days_past_it(alpha):
    doctor = make_doctor(alpha)
    weekly(alpha, doctor, *(hours(weekday) for weekday in range(7)))
    with hospital_context(alpha):
        hospital_policy_change(actor=admin_of(alpha), hospital=alpha, booking_horizon_days=7)
    alpha.refresh_from_db()

    today = timezone.now().astimezone(alpha.zone).date()
    assert max(stored(doctor)["days"]) == today + dt.timedelta(days=7)
    assert_exact(alpha, doctor)


def test_a_deactivated_doctor_has_no_facts_and_reactivation_restores_them(alpha):
    doctor, day = bookable_doctor(alpha)
    with hospital_context(alpha):
        doctor_update(actor=admin_of(alpha), hospital=alpha, doctor=doctor, status="inactive")
    assert stored(doctor) == {"days": {}, "next": None}
    assert DoctorEntry.objects.get(doctor_id=doctor.pk).facts_refresh_at is None

    with hospital_context(alpha):
        doctor_update(actor=admin_of(alpha), hospital=alpha, doctor=doctor, status="active")
    assert list(stored(doctor)["days"]) == [day]


def test_a_new_slot_length_recomputes_every_day(alpha):
    doctor, day = bookable_doctor(alpha, start="09:00", end="10:00")
    with hospital_context(alpha):
        doctor_update(actor=admin_of(alpha), hospital=alpha, doctor=doctor, slot_minutes=15)
    assert stored(doctor)["days"][day][0] == 4


@pytest.fixture
def clock():
    """clock.at(moment) freezes django.utils.timezone.now (what the services read) at `moment`."""

    class Clock:
        now = REAL_NOW()

        def at(self, moment):
            self.now = moment

    frozen = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: frozen.now):
        yield frozen


def test_the_periodic_refresh_moves_next_available_past_slots_inside_the_notice(alpha, clock):
    doctor, day = bookable_doctor(alpha, start="09:00", end="10:00")
    first = dt.datetime.combine(day, dt.time(9), tzinfo=alpha.zone)
    notice = dt.timedelta(minutes=alpha.min_booking_notice_minutes)
    clock.at(dt.datetime.combine(day, dt.time(0, 30), tzinfo=alpha.zone))
    assert doctor_facts_refresh_due() == 1  # the midnight refresh of the slot's day
    assert DoctorEntry.objects.get(doctor_id=doctor.pk).facts_refresh_at == first - notice

    clock.at(first - notice - dt.timedelta(seconds=1))
    assert doctor_facts_refresh_due() == 0  # not due: nothing read, nothing written
    clock.at(first - notice + dt.timedelta(seconds=1))
    assert doctor_facts_refresh_due() == 1

    facts = stored(doctor)
    assert facts["days"][day][0] == 1
    assert facts["next"] == first + dt.timedelta(minutes=30)
    assert_exact(alpha, doctor)


def test_at_local_midnight_the_refresh_adds_the_day_the_horizon_gained(alpha, clock):
    doctor = make_doctor(alpha)
    weekly(alpha, doctor, *(hours(weekday) for weekday in range(7)))
    today = timezone.now().astimezone(alpha.zone).date()
    horizon_end = last_bookable_date(alpha, today)
    assert max(stored(doctor)["days"]) == horizon_end

    clock.at(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0, 1), tzinfo=alpha.zone))
    assert doctor_facts_refresh_due() == 1

    days = stored(doctor)["days"]
    assert max(days) == horizon_end + dt.timedelta(days=1)
    assert min(days) == today + dt.timedelta(days=1)  # yesterday's fact is gone
    assert_exact(alpha, doctor)


def test_the_refresh_reads_only_due_doctors(alpha, beta, clock, django_assert_max_num_queries):
    make_doctor(alpha)
    make_doctor(beta)
    DoctorEntry.objects.update(facts_refresh_at=None)
    with django_assert_max_num_queries(2):  # the search path, the due query; no hospital visited
        assert doctor_facts_refresh_due() == 0


def test_a_booking_before_the_midnight_refresh_still_adds_the_day_the_horizon_gained(alpha, clock):
    """At midnight the facts of the new last day are due; a booking that locks the doctor first (the refresh then
    skips the doctor) must add that day itself, or no refresh would until the next midnight."""
    doctor = make_doctor(alpha)
    weekly(alpha, doctor, *(hours(weekday) for weekday in range(7)))
    today = timezone.now().astimezone(alpha.zone).date()
    horizon_end = last_bookable_date(alpha, today)
    clock.at(dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0, 1), tzinfo=alpha.zone))

    book_at(alpha, doctor, today + dt.timedelta(days=3))

    assert max(stored(doctor)["days"]) == horizon_end + dt.timedelta(days=1)
    assert_exact(alpha, doctor)


def test_the_refresh_moves_next_available_past_a_slot_that_entered_the_notice_on_a_later_day(alpha, clock):
    """With a booking notice of a day, the first free slot can be tomorrow's: when it enters the notice, the
    refresh must recompute tomorrow, not only today."""
    with hospital_context(alpha):
        alpha = hospital_policy_change(actor=admin_of(alpha), hospital=alpha, min_booking_notice_minutes=1440)
    doctor, day = bookable_doctor(alpha, days=3, start="09:00", end="10:00")
    first = dt.datetime.combine(day, dt.time(9), tzinfo=alpha.zone)
    clock.at(first - dt.timedelta(days=1, seconds=-1))  # the day before, 09:00:01: 09:00 is inside the notice

    doctor_facts_refresh_due()

    assert stored(doctor)["next"] == first + dt.timedelta(minutes=30)
    assert_exact(alpha, doctor)
