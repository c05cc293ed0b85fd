"""A patient may cancel or reschedule until `cancellation_notice_hours` before the start; staff always can.

The clock is not frozen: the appointment is moved to start one minute either side of the window's edge, as the
other lifecycle tests move starts into the past.
"""

import datetime as dt

import pytest
from django.utils import timezone

from shared_apps.directory.models import BookingEntry
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to, set_policy

pytestmark = pytest.mark.django_db
NOTICE_HOURS = 4  # the contract's default


@pytest.fixture
def booked(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha, start="09:00", end="12:00")
    appointment = book(as_user(patient), doctor, day, "09:00").json()
    return {"appointment": appointment, "doctor": doctor, "day": day}


def starts_in(alpha, booked, delta: dt.timedelta):
    move_start_to(alpha, booked["appointment"]["id"], timezone.now() + delta)


def cancel(client, booked):
    return client.post(f"/api/appointments/{booked['appointment']['id']}/cancel/")


def reschedule(client, booked):
    body = {"date": str(booked["day"]), "time": "11:00"}
    return client.post(f"/api/appointments/{booked['appointment']['id']}/reschedule/", body, format="json")


@pytest.mark.parametrize("action", [cancel, reschedule])
def test_one_minute_before_the_window_closes_the_patient_still_can(as_user, alpha, patient, booked, action):
    starts_in(alpha, booked, dt.timedelta(hours=NOTICE_HOURS, minutes=1))
    assert action(as_user(patient), booked).status_code == 200


@pytest.mark.parametrize(("action", "verb"), [(cancel, "cancelled"), (reschedule, "rescheduled")])
def test_one_minute_after_it_closed_the_patient_gets_a_409_saying_until_when(
    as_user, alpha, patient, booked, action, verb
):
    starts_in(alpha, booked, dt.timedelta(hours=NOTICE_HOURS, minutes=-1))

    response = action(as_user(patient), booked)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "cancellation_window_closed"
    deadline = (timezone.now() - dt.timedelta(minutes=1)).astimezone(alpha.zone)
    assert f"could be {verb} online until {deadline:%a %d %b %Y %H:}" in error["message"]
    assert "(Europe/London)" in error["message"]
    assert str(alpha.phone_number) in error["message"]
    assert BookingEntry.objects.get(appointment_id=booked["appointment"]["id"]).status == "booked"


@pytest.mark.parametrize("action", [cancel, reschedule])
def test_staff_always_can(as_user, alpha, alpha_admin, booked, action):
    starts_in(alpha, booked, dt.timedelta(minutes=5))
    assert action(as_user(alpha_admin), booked).status_code == 200


def test_after_the_start_the_patient_cannot_cancel_either(as_user, alpha, patient, booked):
    starts_in(alpha, booked, dt.timedelta(hours=-1))
    assert cancel(as_user(patient), booked).json()["error"]["code"] == "cancellation_window_closed"


def test_the_window_is_the_hospitals(as_user, alpha, patient, booked):
    set_policy(alpha, cancellation_notice_hours=0)
    starts_in(alpha, booked, dt.timedelta(minutes=1))
    assert cancel(as_user(patient), booked).status_code == 200


def test_cancelled_by_says_who(as_user, alpha, alpha_admin, patient):
    doctor, day = bookable_doctor(alpha)
    client = as_user(patient)
    own = book(client, doctor, day, "09:00").json()
    theirs = book(client, doctor, day, "10:00").json()
    assert own["cancelled_by"] is None

    assert client.post(f"/api/appointments/{own['id']}/cancel/").json()["cancelled_by"] == "patient"
    assert as_user(alpha_admin).post(f"/api/appointments/{theirs['id']}/cancel/").json()["cancelled_by"] == "hospital"

    mine = {row["id"]: row["cancelled_by"] for row in client.get("/api/appointments/user/").json()["results"]}
    assert mine == {own["id"]: "patient", theirs["id"]: "hospital"}
    staff = as_user(alpha_admin).get("/api/appointments/hospital/", {"status": "cancelled"}).json()["results"]
    assert {row["id"]: row["cancelled_by"] for row in staff} == mine
