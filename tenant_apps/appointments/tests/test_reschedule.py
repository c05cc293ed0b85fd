"""POST /api/appointments/{id}/reschedule/: the same appointment moves to a new slot in one transaction."""

import uuid

import pytest
from icalendar import Calendar

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from shared_apps.notifications.registry import builder_for
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, set_policy
from tenant_apps.doctors.tests.test_doctors_api import _invited

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(as_user, alpha, patient):
    patient.phone_number = "+442079460111"
    patient.save(update_fields=["phone_number"])
    doctor, day = bookable_doctor(alpha, start="09:00", end="12:00")
    appointment = book(as_user(patient), doctor, day, "09:00").json()
    return {"appointment": appointment, "doctor": doctor, "day": day}


def reschedule(client, appointment, day, time, **headers):
    body = {"date": str(day), "time": time}
    return client.post(f"/api/appointments/{appointment['id']}/reschedule/", body, format="json", **headers)


def state(hospital, appointment_id) -> tuple:
    with hospital_context(hospital):
        row = Appointment.objects.get(pk=appointment_id)
    entry = BookingEntry.objects.get(appointment_id=appointment_id)
    return (
        (row.status, f"{row.appointment_time:%H:%M}", row.starts_at, row.rescheduled_from_starts_at),
        (entry.status, f"{entry.appointment_time:%H:%M}", entry.starts_at),
    )


def offered(api, doctor, day) -> list[str]:
    body = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(day), "to": str(day)}).json()
    return [slot["time"] for slot in body["slots"]]


def test_the_patient_moves_their_appointment_and_it_keeps_its_id(api, as_user, alpha, patient, booked):
    before = booked["appointment"]

    response = reschedule(as_user(patient), before, booked["day"], "10:30")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == before["id"]
    assert (body["date"], body["time"], body["status"]) == (str(booked["day"]), "10:30", "booked")
    assert body["starts_at"].startswith(f"{booked['day']}T10:30:00")
    assert body["ends_at"].startswith(f"{booked['day']}T11:00:00")
    assert body["rescheduled_from"] == {"date": before["date"], "time": "09:00", "starts_at": before["starts_at"]}
    assert body["cancelled_by"] is None
    # the old slot is free again, the new one is taken; one appointment row, one directory row
    assert offered(api, booked["doctor"], booked["day"])[:2] == ["09:00", "09:30"]
    assert "10:30" not in offered(api, booked["doctor"], booked["day"])
    with hospital_context(alpha):
        assert Appointment.objects.filter(patient=patient).count() == 1
    entry = BookingEntry.objects.get(appointment_id=before["id"])
    assert (f"{entry.appointment_time:%H:%M}", entry.status) == ("10:30", "booked")
    assert as_user(patient).get(f"/api/appointments/{before['id']}/").json()["rescheduled_from"]["time"] == "09:00"


def test_a_reschedule_is_audited_and_announced_with_the_new_calendar_file(as_user, alpha, patient, booked):
    reschedule(as_user(patient), booked["appointment"], booked["day"], "11:00")

    audit = AuditLog.objects.get(action="appointment.rescheduled", entity_id=booked["appointment"]["id"])
    assert audit.user_id == patient.pk
    notices = Notification.objects.filter(template="appointment_rescheduled")
    assert sorted((n.channel, n.recipient) for n in notices) == sorted(
        [("email", patient.email), ("sms", "+442079460111"), ("email", booked["doctor"].email)]
    )
    message = builder_for("appointment_rescheduled")(notices.get(channel="email", recipient=patient.email).context)
    assert (message["time"], message["from_time"]) == ("11:00", "09:00")
    ((name, ics, _),) = message["attachments"]
    event = next(iter(Calendar.from_ical(ics).walk("VEVENT")))
    assert f"{event.decoded('dtstart'):%H:%M}" == "11:00"


def test_the_admin_and_the_doctor_may_reschedule(as_user, alpha, alpha_admin, booked):
    assert reschedule(as_user(alpha_admin), booked["appointment"], booked["day"], "10:00").status_code == 200
    doctor_user = _invited(alpha, booked["doctor"])
    moved = reschedule(as_user(doctor_user), booked["appointment"], booked["day"], "11:30")
    assert moved.status_code == 200
    assert moved.json()["rescheduled_from"]["time"] == "10:00"  # the last move


def test_a_taken_target_is_a_409_and_the_booking_is_untouched(as_user, alpha, patient, booked):
    book(as_user(PatientFactory().user), booked["doctor"], booked["day"], "10:00")
    before = state(alpha, booked["appointment"]["id"])

    response = reschedule(as_user(patient), booked["appointment"], booked["day"], "10:00")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_taken"
    assert state(alpha, booked["appointment"]["id"]) == before
    assert not AuditLog.objects.filter(action="appointment.rescheduled").exists()
    assert not Notification.objects.filter(template="appointment_rescheduled").exists()


@pytest.mark.parametrize(
    ("time", "code"),
    [
        ("10:15", "slot_unavailable"),  # off the grid
        ("13:00", "slot_unavailable"),  # outside the window
        ("09:00", "invalid_state"),  # where it already is
    ],
)
def test_refused_targets_leave_the_booking_untouched(as_user, alpha, patient, booked, time, code):
    before = state(alpha, booked["appointment"]["id"])
    response = reschedule(as_user(patient), booked["appointment"], booked["day"], time)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code
    assert state(alpha, booked["appointment"]["id"]) == before


def test_a_target_past_the_horizon_is_slot_unavailable(as_user, alpha, patient, booked):
    set_policy(alpha, booking_horizon_days=1)
    response = reschedule(as_user(patient), booked["appointment"], booked["day"], "10:00")
    assert response.json()["error"]["code"] == "slot_unavailable"


def test_a_cancelled_appointment_cannot_be_rescheduled(as_user, patient, booked):
    as_user(patient).post(f"/api/appointments/{booked['appointment']['id']}/cancel/")
    response = reschedule(as_user(patient), booked["appointment"], booked["day"], "10:00")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"


def test_a_retry_with_the_same_idempotency_key_moves_once(as_user, alpha, patient, booked):
    client, key = as_user(patient), str(uuid.uuid4())
    first = reschedule(client, booked["appointment"], booked["day"], "10:00", HTTP_IDEMPOTENCY_KEY=key)
    again = reschedule(client, booked["appointment"], booked["day"], "10:00", HTTP_IDEMPOTENCY_KEY=key)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditLog.objects.filter(action="appointment.rescheduled").count() == 1

    other = reschedule(client, booked["appointment"], booked["day"], "11:00", HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_mismatch"


def test_a_refused_reschedule_does_not_burn_the_key(as_user, alpha, patient, booked):
    client, key = as_user(patient), str(uuid.uuid4())
    assert (
        reschedule(client, booked["appointment"], booked["day"], "10:15", HTTP_IDEMPOTENCY_KEY=key).status_code == 409
    )
    assert (
        reschedule(client, booked["appointment"], booked["day"], "10:15", HTTP_IDEMPOTENCY_KEY=key).status_code == 409
    )
    assert AuditLog.objects.filter(action="appointment.rescheduled").count() == 0


@pytest.mark.parametrize(
    "body", [{}, {"date": "2030-02-30", "time": "10:00"}, {"date": "tomorrow", "time": "10:00"}, {"time": "25:00"}]
)
def test_malformed_input_is_a_400(as_user, patient, booked, body):
    response = as_user(patient).post(
        f"/api/appointments/{booked['appointment']['id']}/reschedule/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_strangers_get_a_404(as_user, alpha, beta_admin, booked):
    other_doctor, _ = bookable_doctor(alpha)
    for stranger in (PatientFactory().user, beta_admin, _invited(alpha, other_doctor)):
        assert reschedule(as_user(stranger), booked["appointment"], booked["day"], "10:00").status_code == 404
    assert state(alpha, booked["appointment"]["id"])[0][1] == "09:00"


def test_caches_follow_a_reschedule(api, as_user, alpha, patient, booked, settings, django_capture_on_commit_callbacks):
    settings.AVAILABILITY_CACHE_SECONDS = 60
    settings.MY_APPOINTMENTS_CACHE_SECONDS = 60
    client = as_user(patient)
    assert "09:00" not in offered(api, booked["doctor"], booked["day"])
    assert client.get("/api/appointments/user/").json()["results"][0]["time"] == "09:00"

    with django_capture_on_commit_callbacks(execute=True):
        reschedule(client, booked["appointment"], booked["day"], "10:00")

    assert "09:00" in offered(api, booked["doctor"], booked["day"])
    assert "10:00" not in offered(api, booked["doctor"], booked["day"])
    assert client.get("/api/appointments/user/").json()["results"][0]["time"] == "10:00"


def test_moving_onto_the_patients_other_appointment_is_overlapping_booking(as_user, alpha, patient, booked):
    other_doctor, _ = bookable_doctor(alpha, days=3, start="09:00", end="12:00")
    assert book(as_user(patient), other_doctor, booked["day"], "10:00").status_code == 201
    before = state(alpha, booked["appointment"]["id"])

    response = reschedule(as_user(patient), booked["appointment"], booked["day"], "10:00")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "overlapping_booking"
    assert state(alpha, booked["appointment"]["id"]) == before
