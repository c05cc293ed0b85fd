import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.directory.models import BookingEntry
from shared_apps.notifications.models import Notification
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, move_start_to_the_past
from tenant_apps.doctors.tests.test_doctors_api import _invited

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    appointment = book(as_user(patient), doctor, day).json()
    return {"appointment": appointment, "doctor": doctor, "day": day}


def path(appointment, action=""):
    return f"/api/appointments/{appointment['id']}/" + (f"{action}/" if action else "")


def test_the_patient_reads_and_cancels_their_appointment(as_user, patient, booked):
    client = as_user(patient)
    assert client.get(path(booked["appointment"])).json()["id"] == booked["appointment"]["id"]

    response = client.post(path(booked["appointment"], "cancel"), {"reason": "Travelling"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation_reason"] == "Travelling"
    assert BookingEntry.objects.get(appointment_id=booked["appointment"]["id"]).status == "cancelled"
    notice = Notification.objects.get(template="appointment_cancelled")
    assert notice.recipient == booked["doctor"].email  # the other party


def test_cancelling_twice_is_a_409(as_user, patient, booked):
    client = as_user(patient)
    client.post(path(booked["appointment"], "cancel"))
    again = client.post(path(booked["appointment"], "cancel"))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_state"


def test_a_patient_cannot_cancel_after_the_start_but_the_hospital_can(as_user, alpha, alpha_admin, patient, booked):
    move_start_to_the_past(alpha, booked["appointment"]["id"])
    assert as_user(patient).post(path(booked["appointment"], "cancel")).status_code == 409
    assert as_user(alpha_admin).post(path(booked["appointment"], "cancel")).status_code == 200


def test_complete_only_after_the_start_and_only_by_the_hospital(as_user, alpha, alpha_admin, patient, booked):
    early = as_user(alpha_admin).post(path(booked["appointment"], "complete"))
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "invalid_state"
    move_start_to_the_past(alpha, booked["appointment"]["id"])
    assert as_user(patient).post(path(booked["appointment"], "complete")).status_code == 403
    done = as_user(alpha_admin).post(path(booked["appointment"], "complete"))
    assert done.json()["status"] == "completed"
    assert as_user(alpha_admin).post(path(booked["appointment"], "cancel")).status_code == 409


def test_the_doctor_completes_their_own_appointment(as_user, alpha, booked):
    doctor_user = _invited(alpha, booked["doctor"])
    move_start_to_the_past(alpha, booked["appointment"]["id"])
    assert as_user(doctor_user).post(path(booked["appointment"], "complete")).status_code == 200


@pytest.mark.parametrize("action", ["", "cancel", "complete", "ics"])
def test_strangers_get_a_404_for_everything(as_user, alpha, beta_admin, booked, action):
    other_doctor, _ = bookable_doctor(alpha)
    strangers = [PatientFactory().user, beta_admin, _invited(alpha, other_doctor)]
    for stranger in strangers:
        client = as_user(stranger)
        response = (
            client.get(path(booked["appointment"], action))
            if action in ("", "ics")
            else client.post(path(booked["appointment"], action))
        )
        assert response.status_code == 404, (stranger.email, action)
    assert BookingEntry.objects.get(appointment_id=booked["appointment"]["id"]).status == "booked"


def test_unknown_and_absurd_appointment_ids_are_404(as_user, patient):
    client = as_user(patient)
    assert client.get("/api/appointments/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/api/appointments/" + "a" * 1000 + "/").status_code == 404


def test_the_ics_is_a_valid_event_in_the_hospital_zone(as_user, patient, booked):
    response = as_user(patient).get(path(booked["appointment"], "ics"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["uid"]) == f"{booked['appointment']['id']}@rhms"
    assert event.decoded("dtstart").tzinfo is not None
    assert "Europe/London" in response.content.decode()
    assert any(c.name == "VTIMEZONE" for c in calendar.walk())


@pytest.mark.parametrize("accept", ["text/calendar", "*/*", None, "text/calendar, application/json;q=0.5"])
def test_calendar_clients_get_the_ics(as_user, patient, booked, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = as_user(patient).get(path(booked["appointment"], "ics"), **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.content.startswith(b"BEGIN:VCALENDAR")


def test_a_calendar_client_asking_for_someone_elses_ics_gets_a_json_404(as_user, booked):
    response = as_user(PatientFactory().user).get(path(booked["appointment"], "ics"), HTTP_ACCEPT="text/calendar")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_patient_sees_their_bookings_across_hospitals_in_one_query(as_user, alpha, beta, patient):
    client = as_user(patient)
    for hospital in (alpha, beta):
        doctor, day = bookable_doctor(hospital)
        assert book(client, doctor, day).status_code == 201

    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/appointments/user/", {"when": "upcoming"}).json()

    assert body["count"] == 2
    assert {row["hospital"]["name"] for row in body["results"]} == {"Alpha General", "Beta Clinic"}
    row = body["results"][0]
    assert set(row) == {
        "id",
        "status",
        "cancelled_by",
        "date",
        "time",
        "starts_at",
        "ends_at",
        "hospital",
        "doctor",
        "updated_at",
    }
    assert set(row["doctor"]) == {"id", "name", "specialization"}
    assert len([q for q in queries.captured_queries if "directory_bookingentry" in q["sql"]]) == 1
    assert client.get("/api/appointments/user/", {"when": "past"}).json()["count"] == 0


def test_the_patient_list_query_count_does_not_grow_with_the_page_size(as_user, alpha, beta, patient, settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_HOSPITAL = 10
    client = as_user(patient)
    for hospital in (alpha, beta):
        doctor, day = bookable_doctor(hospital)
        for time in ("09:00", "09:30", "10:00"):
            book(client, doctor, day, time)

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/appointments/user/", {"page_size": page_size}).json()["results"]) == page_size
        return len(queries)

    assert count(1) == count(6)


def test_hospital_list_all_for_admins_own_for_a_doctor(as_user, alpha, alpha_admin, beta_admin, patient):
    mine, day = bookable_doctor(alpha)
    theirs, _ = bookable_doctor(alpha, days=3)
    client = as_user(patient)
    book(client, mine, day, "09:00")
    book(as_user(PatientFactory().user), theirs, day, "10:00")
    doctor_user = _invited(alpha, mine)

    all_rows = as_user(alpha_admin).get("/api/appointments/hospital/").json()
    own_rows = as_user(doctor_user).get("/api/appointments/hospital/").json()

    assert all_rows["count"] == 2
    assert [r["doctor_id"] for r in own_rows["results"]] == [str(mine.pk)]
    assert own_rows["results"][0]["patient"]["email"] == patient.email
    assert as_user(beta_admin).get("/api/appointments/hospital/").json()["count"] == 0
    filtered = as_user(alpha_admin).get("/api/appointments/hospital/", {"doctor_id": str(theirs.pk)}).json()
    assert filtered["count"] == 1
    assert as_user(alpha_admin).get("/api/appointments/hospital/", {"status": "cancelled"}).json()["count"] == 0
    assert as_user(alpha_admin).get("/api/appointments/hospital/", {"date_from": "nope"}).status_code == 400
    assert as_user(patient).get("/api/appointments/hospital/").status_code == 403


@pytest.mark.parametrize("page_size", ["-5", "0", "100000", "abc"])
def test_odd_page_sizes_are_clamped_not_errors(as_user, patient, page_size):
    assert as_user(patient).get("/api/appointments/user/", {"page_size": page_size}).status_code == 200
