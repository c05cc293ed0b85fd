"""POST /api/appointments/{id}/no-show/ and the hospital's no-show limit."""

import pytest

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past, set_policy
from tenant_apps.doctors.tests.test_doctors_api import _invited

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    return {"appointment": book(as_user(patient), doctor, day, "09:00").json(), "doctor": doctor, "day": day}


def no_show(client, appointment):
    return client.post(f"/api/appointments/{appointment['id']}/no-show/")


def test_before_the_start_a_no_show_is_a_409_invalid_state(as_user, alpha_admin, booked):
    response = no_show(as_user(alpha_admin), booked["appointment"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    assert BookingEntry.objects.get(appointment_id=booked["appointment"]["id"]).status == "booked"


def test_after_the_start_staff_record_it(as_user, alpha, alpha_admin, booked):
    move_start_to_the_past(alpha, booked["appointment"]["id"])

    response = no_show(as_user(alpha_admin), booked["appointment"])

    assert response.status_code == 200
    assert response.json()["status"] == "no_show"
    assert BookingEntry.objects.get(appointment_id=booked["appointment"]["id"]).status == "no_show"
    assert AuditLog.objects.filter(action="appointment.no_show", entity_id=booked["appointment"]["id"]).count() == 1
    again = no_show(as_user(alpha_admin), booked["appointment"])
    assert again.json()["error"]["code"] == "invalid_state"


def test_the_doctor_records_it_and_the_patient_may_not(as_user, alpha, patient, booked):
    move_start_to_the_past(alpha, booked["appointment"]["id"])
    refused = no_show(as_user(patient), booked["appointment"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert no_show(as_user(_invited(alpha, booked["doctor"])), booked["appointment"]).status_code == 200


def test_no_show_is_a_status_filter(as_user, alpha, alpha_admin, patient, booked):
    move_start_to_the_past(alpha, booked["appointment"]["id"])
    no_show(as_user(alpha_admin), booked["appointment"])
    rows = as_user(alpha_admin).get("/api/appointments/hospital/", {"status": "no_show"}).json()["results"]
    assert [row["id"] for row in rows] == [booked["appointment"]["id"]]
    past = as_user(patient).get("/api/appointments/user/", {"when": "past"}).json()["results"]
    assert [row["status"] for row in past] == ["no_show"]


def _no_shows(hospital, patient, count, *, days_ago=1):
    """`count` no-shows of `patient` at `hospital` that started `days_ago` days ago."""
    import datetime as dt

    from django.utils import timezone

    doctor, day = bookable_doctor(hospital, start="08:00", end="12:00")
    with hospital_context(hospital):
        for n in range(count):
            starts_at = timezone.now() - dt.timedelta(days=days_ago, hours=n)
            Appointment.objects.create(
                doctor=doctor,
                patient=patient,
                appointment_date=starts_at.date(),
                appointment_time=starts_at.time().replace(microsecond=0),
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=30),
                status=AppointmentStatus.NO_SHOW,
            )


def test_the_no_show_limit_closes_online_booking_at_that_hospital(as_user, alpha, beta, patient):
    set_policy(alpha, no_show_limit=2)
    doctor, day = bookable_doctor(alpha)
    _no_shows(alpha, patient, 1)
    assert book(as_user(patient), doctor, day, "09:00").status_code == 201  # one below the limit

    _no_shows(alpha, patient, 1)
    refused = book(as_user(patient), doctor, day, "10:00")

    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "no_show_limit"
    assert "call the hospital" in error["message"]
    assert str(alpha.phone_number) in error["message"]
    beta_doctor, beta_day = bookable_doctor(beta)
    assert book(as_user(patient), beta_doctor, beta_day, "09:00").status_code == 201  # another hospital is open
    assert book(as_user(PatientFactory().user), doctor, day, "10:00").status_code == 201  # another patient too


def test_no_shows_older_than_90_days_do_not_count(as_user, alpha, patient):
    set_policy(alpha, no_show_limit=1)
    _no_shows(alpha, patient, 3, days_ago=91)
    doctor, day = bookable_doctor(alpha)
    assert book(as_user(patient), doctor, day, "09:00").status_code == 201
