"""The lifecycle services and the reminders, wired through the real API: a reschedule re-arms for the new time and
is refused across hospitals like a booking; a no-show disarms; a policy change re-arms upcoming bookings."""

import datetime as dt

import pytest

from shared_apps.directory.models import BookingEntry, Reminder
from shared_apps.hospitals.services import hospital_update_policy
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past
from tenant_apps.doctors.tests.factories import make_doctor, open_day

pytestmark = pytest.mark.django_db


def armed(appointment_id) -> list[tuple[int, dt.datetime]]:
    rows = Reminder.objects.filter(booking_id=appointment_id).order_by("-offset_minutes")
    return list(rows.values_list("offset_minutes", "due_at"))


def test_a_reschedule_through_the_api_rearms_every_offset_for_the_new_time(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha, days=5, start="09:00", end="12:00")
    client = as_user(patient)
    appointment = book(client, doctor, day, "09:00").json()

    moved = client.post(f"/api/appointments/{appointment['id']}/reschedule/", {"date": str(day), "time": "11:00"})

    assert moved.status_code == 200, moved.content
    starts_at = dt.datetime.fromisoformat(moved.json()["starts_at"])
    assert armed(appointment["id"]) == [
        (1440, starts_at - dt.timedelta(minutes=1440)),
        (120, starts_at - dt.timedelta(minutes=120)),
    ]


def test_a_reschedule_onto_a_time_booked_in_another_hospital_is_overlapping_booking(as_user, alpha, beta, patient):
    doctor_b, day = bookable_doctor(beta, days=6, start="09:00", end="10:00")  # New York 09:00 is London 14:00
    client = as_user(patient)
    assert book(client, doctor_b, day, "09:00").status_code == 201
    doctor_a = make_doctor(alpha)
    open_day(alpha, doctor_a, day, "08:00", "16:00")
    appointment = book(client, doctor_a, day, "09:00").json()

    refused = client.post(f"/api/appointments/{appointment['id']}/reschedule/", {"date": str(day), "time": "14:00"})

    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["code"] == "overlapping_booking"
    entry = BookingEntry.objects.get(appointment_id=appointment["id"])
    assert (entry.appointment_time, entry.status) == (dt.time(9), "booked")


def test_a_no_show_disarms_the_reminders(as_user, alpha, alpha_admin, patient):
    doctor, day = bookable_doctor(alpha, days=5)
    appointment = book(as_user(patient), doctor, day, "09:00").json()
    move_start_to_the_past(alpha, appointment["id"])

    assert as_user(alpha_admin).post(f"/api/appointments/{appointment['id']}/no-show/").status_code == 200
    assert armed(appointment["id"]) == []


def test_a_policy_change_rearms_upcoming_bookings(as_user, alpha, alpha_admin, patient):
    doctor, day = bookable_doctor(alpha, days=5)
    appointment = book(as_user(patient), doctor, day, "09:00").json()

    hospital_update_policy(actor=alpha_admin, hospital=alpha, reminder_offsets_minutes=[60])

    assert [offset for offset, _ in armed(appointment["id"])] == [60]
