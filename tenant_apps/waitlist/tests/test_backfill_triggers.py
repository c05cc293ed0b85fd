"""Every write that may free a slot queues the doctor's matching after commit (when someone waits), and the
matching then offers what the one slot computation finds free."""

import datetime as dt

import pytest

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.services import availability_set, schedule_set, time_off_add, time_off_remove
from tenant_apps.doctors.tests.factories import admin_of, make_doctor
from tenant_apps.waitlist.tests.helpers import join, match

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("tenant_apps.waitlist.backfill.queue_match", lambda **kw: calls.append(kw))
    return calls


def _day(hospital, days=4):
    from django.utils import timezone

    return timezone.now().astimezone(hospital.zone).date() + dt.timedelta(days=days)


def test_new_weekly_hours_are_offered_to_the_waitlist(alpha, patient, queued, django_capture_on_commit_callbacks):
    doctor, day = make_doctor(alpha), _day(alpha)
    entry = join(alpha, patient, doctor, day)
    assert match(alpha, doctor) == []  # no hours yet
    queued.clear()
    weekly = {"weekday": day.weekday(), "start_time": dt.time(9), "end_time": dt.time(10)}

    with django_capture_on_commit_callbacks(execute=True), hospital_context(alpha):
        schedule_set(actor=admin_of(alpha), hospital=alpha, doctor=doctor, weekly_hours=[weekly])

    assert queued == [{"hospital_id": alpha.pk, "doctor_id": doctor.pk}]
    assert [e.pk for e in match(alpha, doctor)] == [entry.pk]


def test_dated_windows_and_removed_time_off_queue_matching(alpha, patient, queued, django_capture_on_commit_callbacks):
    doctor, day = make_doctor(alpha), _day(alpha)
    admin = admin_of(alpha)
    join(alpha, patient, doctor, day)
    window = {"date": day, "start_time": dt.time(9), "end_time": dt.time(10), "is_available": True}
    with hospital_context(alpha):
        time_off, _ = time_off_add(actor=admin, hospital=alpha, doctor=doctor, start_date=day, end_date=day)
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True), hospital_context(alpha):
        availability_set(actor=admin, hospital=alpha, doctor=doctor, windows=[window])
    with django_capture_on_commit_callbacks(execute=True), hospital_context(alpha):
        time_off_remove(actor=admin, hospital=alpha, doctor=doctor, time_off=time_off)

    assert queued == [{"hospital_id": alpha.pk, "doctor_id": doctor.pk}] * 2


def test_nobody_waiting_queues_nothing(alpha, queued, django_capture_on_commit_callbacks):
    doctor, day = make_doctor(alpha), _day(alpha)
    weekly = {"weekday": day.weekday(), "start_time": dt.time(9), "end_time": dt.time(10)}

    with django_capture_on_commit_callbacks(execute=True), hospital_context(alpha):
        schedule_set(actor=admin_of(alpha), hospital=alpha, doctor=doctor, weekly_hours=[weekly])

    assert queued == []


def test_a_doctor_change_of_status_or_slot_length_queues_matching(
    alpha, patient, queued, django_capture_on_commit_callbacks
):
    from tenant_apps.doctors.services import doctor_update

    doctor, day = make_doctor(alpha), _day(alpha)
    join(alpha, patient, doctor, day)
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True), hospital_context(alpha):
        doctor_update(actor=admin_of(alpha), hospital=alpha, doctor=doctor, fee=12)
        assert queued == []  # a fee frees no slot
        doctor_update(actor=admin_of(alpha), hospital=alpha, doctor=doctor, slot_minutes=20)
    assert queued == [{"hospital_id": alpha.pk, "doctor_id": doctor.pk}]


def test_a_reschedule_away_offers_the_old_slot_to_the_waitlist(
    alpha, patient, queued, django_capture_on_commit_callbacks
):
    from shared_apps.accounts.tests.factories import PatientFactory
    from tenant_apps.appointments.services import appointment_reschedule
    from tenant_apps.waitlist.tests.helpers import full_doctor

    doctor, day, (first, _) = full_doctor(alpha, slots=2)
    with hospital_context(alpha):
        availability_set(
            actor=admin_of(alpha),
            hospital=alpha,
            doctor=doctor,
            windows=[{"date": day, "start_time": dt.time(9), "end_time": dt.time(10, 30), "is_available": True}],
        )
    entry = join(alpha, PatientFactory().user, doctor, day, time_from=dt.time(9), time_to=dt.time(9, 30))
    queued.clear()

    with django_capture_on_commit_callbacks(execute=True), hospital_context(alpha):
        appointment_reschedule(actor=admin_of(alpha), hospital=alpha, appointment=first, date=day, time=dt.time(10))

    assert queued == [{"hospital_id": alpha.pk, "doctor_id": doctor.pk}]
    assert [e.pk for e in match(alpha, doctor)] == [entry.pk]
    with hospital_context(alpha):
        entry.refresh_from_db()
        assert entry.hold.starts_at == first.starts_at  # the 09:00 it left
