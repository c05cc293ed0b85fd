"""The demo-only path that writes past appointments (load_demo's history): only with debug on, only on a slot of
the doctor's schedule that has ended, with its directory row, and without audit rows or notices.
"""

import datetime as dt

import pytest
from django.utils import timezone

from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from tenant_apps.appointments.demo_history import demo_past_appointment_record
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.doctors.services import schedule_set
from tenant_apps.doctors.tests.factories import admin_of, make_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture
def week_ago(alpha):
    return timezone.now().astimezone(alpha.zone).date() - dt.timedelta(days=7)


def with_hours(alpha, doctor, week_ago):
    """Weekly hours 09:00–12:00 on the weekday of a week ago, in force since two weeks ago."""
    row = {
        "weekday": week_ago.weekday(),
        "start_time": dt.time(9),
        "end_time": dt.time(12),
        "valid_from": week_ago - dt.timedelta(days=7),
    }
    with hospital_context(alpha):
        schedule_set(actor=admin_of(alpha), hospital=alpha, doctor=doctor, weekly_hours=[row])
    return doctor


@pytest.fixture
def doctor(alpha, week_ago):
    return with_hours(alpha, make_doctor(alpha, slot_minutes=30), week_ago)


def record(alpha, doctor, patient, day, time="09:30", status=AppointmentStatus.COMPLETED, **extra):
    with hospital_context(alpha):
        return demo_past_appointment_record(
            hospital=alpha,
            doctor=doctor,
            patient=patient,
            date=day,
            time=dt.time.fromisoformat(time),
            status=status,
            **extra,
        )


def test_writes_a_past_visit_and_its_directory_row_without_audit_or_notices(settings, alpha, doctor, patient, week_ago):
    settings.DEBUG = True
    audit, notices = AuditLog.objects.count(), Notification.objects.count()

    appointment = record(alpha, doctor, patient, week_ago)

    assert appointment.status == "completed"
    assert appointment.starts_at == dt.datetime.combine(week_ago, dt.time(9, 30), tzinfo=alpha.zone)
    assert appointment.completed_at == appointment.ends_at
    assert appointment.created_at == appointment.starts_at - dt.timedelta(days=7)
    entry = BookingEntry.objects.get(appointment_id=appointment.pk)
    assert (entry.status, entry.starts_at, entry.patient_id) == ("completed", appointment.starts_at, patient.pk)
    assert (AuditLog.objects.count(), Notification.objects.count()) == (audit, notices)


def test_a_cancellation_names_who_cancelled(settings, alpha, alpha_admin, doctor, patient, week_ago):
    settings.DEBUG = True
    appointment = record(alpha, doctor, patient, week_ago, status="cancelled", cancelled_by=alpha_admin)
    assert appointment.cancelled_by_id == alpha_admin.pk
    assert appointment.created_at < appointment.cancelled_at < appointment.starts_at
    with pytest.raises(ValueError, match="names who cancelled"):
        record(alpha, doctor, patient, week_ago, "10:00", status="cancelled")


def test_refused_with_debug_off(settings, alpha, doctor, patient, week_ago):
    settings.DEBUG = False
    with pytest.raises(RuntimeError):
        record(alpha, doctor, patient, week_ago)
    with hospital_context(alpha):
        assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("days", "time", "status", "why"),
    [
        (0, "09:30", "booked", "completed, cancelled or no_show"),
        (0, "09:10", "completed", "not a free slot"),  # off the grid
        (0, "12:00", "completed", "not a free slot"),  # outside the weekly hours
        (1, "09:30", "completed", "not a free slot"),  # a weekday without hours
        (14, "09:30", "completed", "not a free slot"),  # before the hours were in force
        (-14, "09:30", "completed", "ends before now"),  # a week from today
    ],
)
def test_only_past_slots_of_the_schedule(settings, alpha, doctor, patient, week_ago, days, time, status, why):
    settings.DEBUG = True
    with pytest.raises(ValueError, match=why):
        record(alpha, doctor, patient, week_ago - dt.timedelta(days=days), time, status=status)


def test_one_slot_is_one_visit_and_one_patient_is_in_one_place(settings, alpha, doctor, patient, week_ago):
    settings.DEBUG = True
    other_doctor = with_hours(alpha, make_doctor(alpha), week_ago)
    record(alpha, doctor, patient, week_ago)
    with pytest.raises(ValueError, match="not a free slot"):
        record(alpha, doctor, patient, week_ago, status="no_show")
    with pytest.raises(ValueError, match="already has an appointment"):
        record(alpha, other_doctor, patient, week_ago)
