"""`scripts/run` loads demo data with `manage.py load_demo`: it must work on the current models, and twice.

A first run must show a hospital that is already running: weekly hours, leave, a dated override, a logo, a past
with every outcome and upcoming bookings made through the booking service.
"""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from shared_apps.accounts.models import User
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.models import Hospital, HospitalStatus
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.dashboard.management.commands.load_demo import DEMO_PATIENTS, ON_LEAVE
from tenant_apps.doctors.models import Doctor, DoctorAvailability, TimeOff, WeeklyHours

pytestmark = pytest.mark.django_db


def load():
    call_command("load_demo", stdout=io.StringIO())


def snapshot(demo) -> dict:
    """Everything load_demo writes, by identity and state, so a second run that rewrote anything shows."""
    with hospital_context(demo):
        tenant = {
            "doctors": set(Doctor.objects.values_list("id", "updated_at")),
            "weekly": set(WeeklyHours.objects.values_list("id", "doctor_id", "weekday", "start_time", "valid_from")),
            "windows": set(DoctorAvailability.objects.values_list("id", "date", "start_time", "is_available")),
            "time_off": set(TimeOff.objects.values_list("id", "start_date", "end_date")),
            "appointments": set(Appointment.objects.values_list("id", "status", "starts_at", "cancelled_at")),
        }
    return tenant | {
        "bookings": set(BookingEntry.objects.values_list("appointment_id", "status", "updated_at")),
        "users": set(User.objects.values_list("id", "password")),
        "hospitals": set(Hospital.objects.values_list("id", "status", "logo", "brand_color")),
        "audit": AuditLog.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_demo_data_loads_and_loading_it_again_changes_nothing(settings):
    settings.DEBUG = True
    load()
    demo = Hospital.objects.get(slug="demo")
    before = snapshot(demo)

    load()

    assert snapshot(demo) == before
    assert demo.status == HospitalStatus.APPROVED
    assert Hospital.objects.filter(slug="lakeside", status=HospitalStatus.APPROVED).count() == 1
    assert Hospital.objects.filter(slug="northside", status=HospitalStatus.PENDING).count() == 1
    with hospital_context(demo):
        assert Doctor.objects.count() == 3


def test_the_demo_hospital_runs_on_weekly_hours_with_leave_and_an_override(settings, api):
    settings.DEBUG = True
    load()
    demo = Hospital.objects.get(slug="demo")
    today = timezone.now().astimezone(demo.zone).date()
    with hospital_context(demo):
        for doctor in Doctor.objects.all():
            rows = WeeklyHours.objects.filter(doctor=doctor)
            assert rows.count() >= 4, doctor.name
            assert all(r.valid_from <= today - dt.timedelta(days=20) for r in rows)  # the history lies on them
        leave = TimeOff.objects.get()
        assert leave.doctor.name == ON_LEAVE
        assert leave.start_date > today
        assert leave.is_whole_day
        assert leave.reason
        override = DoctorAvailability.objects.get()
        assert override.is_available
        assert override.date > today
        assert WeeklyHours.objects.filter(doctor=override.doctor, weekday=override.date.weekday()).exists()
    day = str(override.date)
    body = api.get(f"/api/doctors/{override.doctor_id}/availability/", {"from": day, "to": day}).json()
    assert body["windows"] == [{"date": day, "start_time": "14:00", "end_time": "20:00", "is_available": True}]
    leave_day = str(leave.start_date + dt.timedelta(days=1))
    body = api.get(f"/api/doctors/{leave.doctor_id}/availability/", {"from": leave_day, "to": leave_day}).json()
    assert body["slots"] == []


def test_the_demo_hospital_has_a_logo_that_is_a_png(settings):
    settings.DEBUG = True
    load()
    demo = Hospital.objects.get(slug="demo")
    assert demo.logo.name.startswith("logos/")
    assert demo.logo.name.endswith(".png")
    with demo.logo.open("rb") as file:
        image = Image.open(file)
        assert image.format == "PNG"
        assert image.size == (128, 128)
    assert demo.brand_color


def test_the_demo_has_a_past_with_every_outcome_and_upcoming_bookings_by_several_patients(settings):
    settings.DEBUG = True
    load()
    demo = Hospital.objects.get(slug="demo")
    admin = User.objects.get(email="admin@demo-hospital.example.com")
    patients = set(User.objects.filter(email__in=[p[0] for p in DEMO_PATIENTS]).values_list("pk", flat=True))
    now = timezone.now()
    with hospital_context(demo):
        past = list(Appointment.objects.filter(starts_at__lt=now))
        upcoming = list(Appointment.objects.filter(starts_at__gt=now))
        leave = TimeOff.objects.get()

    assert len(past) >= 12
    assert all(a.ends_at <= now and a.status != AppointmentStatus.BOOKED for a in past)
    past_days = {a.appointment_date for a in past}
    assert len(past_days) >= 8
    assert (max(past_days) - min(past_days)).days >= 14
    outcomes = [(a.status, a.cancelled_by_id == a.patient_id if a.cancelled_by_id else None) for a in past]
    assert (AppointmentStatus.COMPLETED, None) in outcomes
    assert (AppointmentStatus.CANCELLED, True) in outcomes  # by the patient
    assert (AppointmentStatus.CANCELLED, False) in outcomes  # by the hospital
    assert any(a.cancelled_by_id == admin.pk for a in past)
    assert sum(a.status == AppointmentStatus.NO_SHOW for a in past) >= 2
    assert all(a.completed_at == a.ends_at for a in past if a.status == AppointmentStatus.COMPLETED)
    assert all(a.created_at < a.cancelled_at < a.starts_at for a in past if a.status == AppointmentStatus.CANCELLED)

    assert len(upcoming) >= 6
    assert all(a.status == AppointmentStatus.BOOKED for a in upcoming)
    assert max(a.appointment_date for a in upcoming) - min(a.appointment_date for a in upcoming) >= dt.timedelta(
        days=10
    )
    on_leave = [a for a in upcoming if a.doctor_id == leave.doctor_id]
    assert not [a for a in on_leave if leave.start_date <= a.appointment_date <= leave.end_date]
    assert len({a.patient_id for a in past}) >= 3
    assert len({a.patient_id for a in upcoming}) >= 3
    assert {a.patient_id for a in past + upcoming} <= patients

    entries = {e.appointment_id: e for e in BookingEntry.objects.filter(hospital=demo)}
    assert set(entries) == {a.pk for a in past + upcoming}
    for a in past + upcoming:
        entry = entries[a.pk]
        assert (entry.status, entry.starts_at, entry.patient_id, entry.doctor_id) == (
            a.status,
            a.starts_at,
            a.patient_id,
            a.doctor_id,
        )
