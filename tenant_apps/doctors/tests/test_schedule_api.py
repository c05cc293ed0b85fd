"""Weekly hours and time off through the API: the contract's shapes, who may edit, bad input, and booked patients."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from shared_apps.notifications.tasks import notification_send
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.tests.helpers import book, set_policy
from tenant_apps.doctors.models import TimeOff, WeeklyHours
from tenant_apps.doctors.tests.factories import admin_of as admin_of_hospital
from tenant_apps.doctors.tests.factories import make_doctor
from tenant_apps.doctors.tests.test_doctors_api import _invited

pytestmark = pytest.mark.django_db


def local_today(hospital) -> dt.date:
    return timezone.now().astimezone(hospital.zone).date()


def next_weekday(hospital, weekday: int, weeks_ahead: int = 1) -> dt.date:
    """A date `weeks_ahead` weeks from now that falls on `weekday` (never today, so no slot has passed yet)."""
    today = local_today(hospital)
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def hours(weekday, start="09:00", end="12:00", **extra):
    return {"weekday": weekday, "start_time": start, "end_time": end, **extra}


def put_schedule(client, doctor, *rows):
    return client.put(f"/api/doctors/{doctor.pk}/schedule/", {"weekly_hours": list(rows)}, format="json")


def add_time_off(client, doctor, **body):
    return client.post(f"/api/doctors/{doctor.pk}/time-off/", body, format="json")


def free_times(api, doctor, day):
    body = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(day), "to": str(day)}).json()
    return [s["time"] for s in body["slots"]]


@pytest.fixture
def doctor(alpha):
    return make_doctor(alpha, slot_minutes=60)


def test_put_replaces_the_weekly_hours_and_get_shows_the_contract_shape(as_user, alpha, alpha_admin, doctor):
    client = as_user(alpha_admin)
    assert put_schedule(client, doctor, hours(0), hours(2, "14:00", "16:00")).status_code == 200

    until = str(local_today(alpha) + dt.timedelta(days=365))
    response = put_schedule(client, doctor, hours(1, "08:00", "10:00", valid_until=until))

    assert response.status_code == 200, response.content
    body = client.get(f"/api/doctors/{doctor.pk}/schedule/").json()
    assert body == response.json()
    assert body == {
        "doctor_id": str(doctor.pk),
        "timezone": "Europe/London",
        "weekly_hours": [
            {
                "weekday": 1,
                "start_time": "08:00",
                "end_time": "10:00",
                "valid_from": str(local_today(alpha)),
                "valid_until": until,
            }
        ],
        "time_off": [],
    }


def test_weekly_hours_alone_make_the_availability_and_the_booking(api, as_user, alpha, alpha_admin, doctor, patient):
    put_schedule(as_user(alpha_admin), doctor, hours(2, "09:00", "11:00"))
    wednesday = next_weekday(alpha, 2)

    assert free_times(api, doctor, wednesday) == ["09:00", "10:00"]
    assert free_times(api, doctor, wednesday + dt.timedelta(days=1)) == []
    assert book(as_user(patient), doctor, wednesday, "10:00").status_code == 201
    refused = book(as_user(patient), doctor, wednesday + dt.timedelta(days=1), "10:00")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "slot_unavailable"


def test_windows_in_the_availability_are_each_dates_effective_hours_and_what_is_taken_out(
    api, as_user, alpha, alpha_admin, doctor
):
    client = as_user(alpha_admin)
    put_schedule(client, doctor, hours(2, "09:00", "12:00"))
    wednesday = next_weekday(alpha, 2)
    add_time_off(
        client, doctor, start_date=str(wednesday), end_date=str(wednesday), start_time="08:00", end_time="10:00"
    )

    body = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(wednesday), "to": str(wednesday)}).json()

    assert body["windows"] == [
        {"date": str(wednesday), "start_time": "09:00", "end_time": "10:00", "is_available": False},
        {"date": str(wednesday), "start_time": "09:00", "end_time": "12:00", "is_available": True},
    ]
    assert [s["time"] for s in body["slots"]] == ["10:00", "11:00"]


def test_the_doctor_edits_their_own_schedule_but_a_colleague_is_not_found(as_user, alpha, doctor):
    colleague = make_doctor(alpha)
    client = as_user(_invited(alpha, doctor))
    assert put_schedule(client, doctor, hours(0)).status_code == 200
    assert client.get(f"/api/doctors/{doctor.pk}/schedule/").status_code == 200
    assert put_schedule(client, colleague, hours(0)).status_code == 404
    assert client.get(f"/api/doctors/{colleague.pk}/schedule/").status_code == 404
    assert (
        add_time_off(
            client, colleague, start_date=str(local_today(alpha)), end_date=str(local_today(alpha))
        ).status_code
        == 404
    )


def test_another_hospitals_admin_and_patients_cannot_reach_the_schedule(as_user, alpha, beta_admin, patient, doctor):
    assert put_schedule(as_user(beta_admin), doctor, hours(0)).status_code == 404
    assert as_user(beta_admin).get(f"/api/doctors/{doctor.pk}/schedule/").status_code == 404
    assert put_schedule(as_user(patient), doctor, hours(0)).status_code == 403


@pytest.mark.parametrize(
    ("row", "field_path"),
    [
        pytest.param(hours(7), "weekday", id="unknown-weekday"),
        pytest.param(hours("funday"), "weekday", id="weekday-not-a-number"),
        pytest.param(hours(0, "09:00", "24:00"), "end_time", id="24:00"),
        pytest.param(hours(0, "12:00", "09:00"), None, id="start-after-end"),
        pytest.param(hours(0, valid_from="2030-02-01", valid_until="2030-01-01"), None, id="validity-reversed"),
        pytest.param(hours(0, valid_until="2020-01-01"), None, id="validity-in-the-past"),
    ],
)
def test_bad_weekly_hours_are_refused_with_field_errors(as_user, alpha_admin, doctor, row, field_path):
    response = put_schedule(as_user(alpha_admin), doctor, row)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "weekly_hours" in error["fields"]
    if field_path:
        assert field_path in str(error["fields"]["weekly_hours"])


def test_overlapping_hours_of_one_weekday_are_refused_unless_their_validity_does_not_overlap(
    as_user, alpha_admin, doctor
):
    client = as_user(alpha_admin)
    overlapping = put_schedule(client, doctor, hours(0, "09:00", "12:00"), hours(0, "11:00", "13:00"))
    assert overlapping.status_code == 400
    assert "overlaps" in str(overlapping.json()["error"]["fields"]["weekly_hours"])

    old = hours(0, "09:00", "12:00", valid_from="2030-01-01", valid_until="2030-06-30")
    new = hours(0, "11:00", "13:00", valid_from="2030-07-01")
    assert put_schedule(client, doctor, old, new).status_code == 200


def test_more_than_fifty_weekly_rows_are_refused_and_nothing_changes(as_user, alpha, alpha_admin, doctor):
    client = as_user(alpha_admin)
    put_schedule(client, doctor, hours(0))
    rows = [hours(n % 7, f"{n // 7:02d}:00", f"{n // 7:02d}:30") for n in range(51)]

    response = put_schedule(client, doctor, *rows)

    assert response.status_code == 400
    with hospital_context(alpha):
        assert WeeklyHours.objects.filter(doctor=doctor).count() == 1


@pytest.mark.parametrize(
    ("days", "extra", "field"),
    [
        pytest.param((-1, 0), {}, "start_date", id="in-the-past"),
        pytest.param((3, 2), {}, "end_date", id="ends-before-it-starts"),
        pytest.param((1, 367), {}, "end_date", id="over-a-year"),
        pytest.param((1, 1), {"start_time": "10:00"}, "end_time", id="start-time-only"),
        pytest.param((1, 1), {"start_time": "11:00", "end_time": "10:00"}, "end_time", id="times-reversed"),
        pytest.param((1, 1), {"start_time": "24:00", "end_time": "10:00"}, "start_time", id="24:00"),
    ],
)
def test_bad_time_off_is_refused_with_field_errors(as_user, alpha, alpha_admin, doctor, days, extra, field):
    today = local_today(alpha)
    body = {"start_date": str(today + dt.timedelta(days=days[0])), "end_date": str(today + dt.timedelta(days=days[1]))}

    response = add_time_off(as_user(alpha_admin), doctor, **body, **extra)

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    with hospital_context(alpha):
        assert not TimeOff.objects.filter(doctor=doctor).exists()


def test_time_off_takes_its_slots_away_and_removing_it_gives_them_back(api, as_user, alpha, alpha_admin, doctor):
    client = as_user(alpha_admin)
    put_schedule(client, doctor, hours(2, "09:00", "12:00"))
    wednesday = next_weekday(alpha, 2)

    response = add_time_off(
        client,
        doctor,
        start_date=str(wednesday),
        end_date=str(wednesday),
        start_time="10:00",
        end_time="11:00",
        reason="Training",
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert created == {
        "id": created["id"],
        "start_date": str(wednesday),
        "end_date": str(wednesday),
        "start_time": "10:00",
        "end_time": "11:00",
        "reason": "Training",
        "cancelled_appointment_ids": [],
    }
    assert free_times(api, doctor, wednesday) == ["09:00", "11:00"]
    listed = client.get(f"/api/doctors/{doctor.pk}/schedule/").json()["time_off"]
    assert listed == [{k: v for k, v in created.items() if k != "cancelled_appointment_ids"}]

    assert client.delete(f"/api/doctors/{doctor.pk}/time-off/{created['id']}/").status_code == 204
    assert free_times(api, doctor, wednesday) == ["09:00", "10:00", "11:00"]
    assert client.delete(f"/api/doctors/{doctor.pk}/time-off/{created['id']}/").status_code == 404


def test_another_doctors_time_off_is_not_found_under_this_doctor(as_user, alpha, alpha_admin, doctor):
    colleague = make_doctor(alpha)
    client = as_user(alpha_admin)
    today = str(local_today(alpha))
    theirs = add_time_off(client, colleague, start_date=today, end_date=today).json()["id"]
    assert client.delete(f"/api/doctors/{doctor.pk}/time-off/{theirs}/").status_code == 404
    with hospital_context(alpha):
        assert TimeOff.objects.filter(pk=theirs).exists()


@pytest.fixture
def booked_week(as_user, alpha, alpha_admin, doctor, patient):
    """The doctor works Wednesdays 09–12; the patient (with a phone) holds 09:00 and 11:00 next Wednesday."""
    patient.phone_number = "+442079460111"
    patient.save(update_fields=["phone_number"])
    put_schedule(as_user(alpha_admin), doctor, hours(2, "09:00", "12:00"))
    wednesday = next_weekday(alpha, 2)
    ids = [book(as_user(patient), doctor, wednesday, time).json()["id"] for time in ("09:00", "11:00")]
    return {"day": wednesday, "ids": ids}


def test_time_off_over_booked_appointments_is_refused_naming_them(as_user, alpha, alpha_admin, doctor, booked_week):
    day = str(booked_week["day"])
    queued = Notification.objects.count()

    response = add_time_off(as_user(alpha_admin), doctor, start_date=day, end_date=day)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "appointments_in_time_off"
    assert sorted(error["fields"]["appointment_ids"]) == sorted(booked_week["ids"])
    with hospital_context(alpha):
        assert not TimeOff.objects.exists()
        assert set(Appointment.objects.values_list("status", flat=True)) == {"booked"}
    assert Notification.objects.count() == queued


def test_a_partial_day_names_only_the_appointments_it_covers(as_user, alpha_admin, doctor, booked_week):
    day = str(booked_week["day"])
    response = add_time_off(
        as_user(alpha_admin), doctor, start_date=day, end_date=day, start_time="10:30", end_time="11:15"
    )
    assert response.json()["error"]["fields"]["appointment_ids"] == [booked_week["ids"][1]]


def test_confirmed_time_off_cancels_by_the_hospital_and_tells_each_patient(
    api, as_user, alpha, alpha_admin, doctor, patient, booked_week, settings
):
    settings.PATIENT_APP_URL = "https://app.example.com/"
    day = booked_week["day"]
    mail.outbox.clear()

    response = add_time_off(
        as_user(alpha_admin), doctor, start_date=str(day), end_date=str(day), cancel_appointments=True
    )

    assert response.status_code == 201, response.content
    assert sorted(response.json()["cancelled_appointment_ids"]) == sorted(booked_week["ids"])
    for appointment_id in booked_week["ids"]:
        shown = as_user(patient).get(f"/api/appointments/{appointment_id}/").json()
        assert (shown["status"], shown["cancelled_by"]) == ("cancelled", "hospital")
    assert set(BookingEntry.objects.filter(appointment_id__in=booked_week["ids"]).values_list("status", flat=True)) == {
        "cancelled"
    }
    audited = AuditLog.objects.filter(action="appointment.cancelled", entity_id__in=booked_week["ids"])
    assert audited.count() == 2
    assert AuditLog.objects.filter(action="time_off.added", entity_id=str(doctor.pk)).count() == 1
    notices = Notification.objects.filter(
        template="appointment_cancelled_time_off", recipient__in=[patient.email, patient.phone_number]
    )
    assert sorted(notices.values_list("channel", flat=True)) == ["email", "email", "sms", "sms"]

    notification_send.apply(args=[notices.filter(channel="email").first().pk])
    message = mail.outbox[-1]
    today = local_today(alpha)
    month = api.get(
        f"/api/doctors/{doctor.pk}/availability/", {"from": str(today), "to": str(today + dt.timedelta(days=30))}
    )
    first_three = month.json()["slots"][:3]
    assert len(first_three) == 3
    for slot in first_three:
        date = dt.date.fromisoformat(slot["date"])
        assert f"{date:%A} {date.day} {date:%B %Y} at {slot['time']}" in message.body
    assert message.body.count(" at ") == 4  # the cancelled appointment and the next three free slots
    assert f"Book again: https://app.example.com/doctors/{doctor.pk}/" in message.body


def test_time_off_cancellation_is_all_or_nothing(as_user, alpha, alpha_admin, doctor, booked_week):
    from tenant_apps.appointments import services

    real_cancel = services.appointment_cancel
    calls = []

    def fail_on_the_second(**kwargs):
        calls.append(kwargs["appointment"].pk)
        if len(calls) == 2:
            raise RuntimeError("injected failure midway")
        return real_cancel(**kwargs)

    day = str(booked_week["day"])
    queued = Notification.objects.count()
    client = as_user(alpha_admin)
    client.raise_request_exception = False
    with mock.patch.object(services, "appointment_cancel", side_effect=fail_on_the_second):
        response = add_time_off(client, doctor, start_date=day, end_date=day, cancel_appointments=True)

    assert response.status_code == 500
    assert connection.schema_name == "public"  # the failed request left the hospital's schema behind it
    assert len(calls) == 2  # the first was cancelled before the failure, and rolled back with it
    with hospital_context(alpha):
        assert not TimeOff.objects.exists()
        assert set(Appointment.objects.values_list("status", flat=True)) == {"booked"}
    assert set(BookingEntry.objects.filter(appointment_id__in=booked_week["ids"]).values_list("status", flat=True)) == {
        "booked"
    }
    assert Notification.objects.count() == queued


def test_the_cached_availability_follows_weekly_hours_and_time_off_after_commit(
    api, as_user, alpha, alpha_admin, doctor, settings, django_capture_on_commit_callbacks
):
    settings.AVAILABILITY_CACHE_SECONDS = 60
    client = as_user(alpha_admin)
    wednesday = next_weekday(alpha, 2)
    assert free_times(api, doctor, wednesday) == []  # now cached

    with django_capture_on_commit_callbacks(execute=False) as pending:
        put_schedule(client, doctor, hours(2, "09:00", "11:00"))
    assert free_times(api, doctor, wednesday) == []  # not committed yet: the cached answer stands
    for callback in pending:
        callback()
    assert free_times(api, doctor, wednesday) == ["09:00", "10:00"]

    with django_capture_on_commit_callbacks(execute=True):
        leave = add_time_off(client, doctor, start_date=str(wednesday), end_date=str(wednesday)).json()
    assert free_times(api, doctor, wednesday) == []
    with django_capture_on_commit_callbacks(execute=True):
        client.delete(f"/api/doctors/{doctor.pk}/time-off/{leave['id']}/")
    assert free_times(api, doctor, wednesday) == ["09:00", "10:00"]


def test_what_get_answers_can_be_put_back_and_ended_hours_stay_as_history(as_user, alpha, alpha_admin, doctor):
    client = as_user(alpha_admin)
    today = local_today(alpha)
    with hospital_context(alpha):
        ended = WeeklyHours.objects.create(
            doctor=doctor,
            weekday=0,
            start_time=dt.time(8),
            end_time=dt.time(18),
            valid_from=today - dt.timedelta(days=60),
            valid_until=today - dt.timedelta(days=1),
        )
    put_schedule(client, doctor, hours(0, "09:00", "12:00"), hours(3))
    shown = client.get(f"/api/doctors/{doctor.pk}/schedule/").json()["weekly_hours"]
    assert [(row["weekday"], row["start_time"]) for row in shown] == [(0, "09:00"), (3, "09:00")]

    assert put_schedule(client, doctor, *shown).status_code == 200
    with hospital_context(alpha):
        assert WeeklyHours.objects.filter(pk=ended.pk).exists()
    early = hours(0, "09:00", "12:00", valid_from=str(today - dt.timedelta(days=10)))
    refused = put_schedule(client, doctor, early)
    assert refused.status_code == 400
    assert "ended on" in str(refused.json()["error"]["fields"]["weekly_hours"])


@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
def test_weekly_hours_dates_far_from_today_are_refused(as_user, alpha_admin, doctor, field):
    response = put_schedule(as_user(alpha_admin), doctor, hours(0, **{field: "9999-12-31"}))
    assert response.status_code == 400
    assert "within" in str(response.json()["error"]["fields"]["weekly_hours"])


def test_weekly_hours_offer_nothing_past_the_horizon_so_every_slot_offered_is_bookable(
    api, as_user, alpha, alpha_admin, doctor, patient
):
    put_schedule(as_user(alpha_admin), doctor, *[hours(day, "09:00", "10:00") for day in range(7)])
    set_policy(alpha, booking_horizon_days=5)
    today = local_today(alpha)
    body = api.get(
        f"/api/doctors/{doctor.pk}/availability/", {"from": str(today), "to": str(today + dt.timedelta(days=9))}
    ).json()

    assert max(slot["date"] for slot in body["slots"]) == str(today + dt.timedelta(days=5))
    beyond = book(as_user(patient), doctor, today + dt.timedelta(days=6), "09:00")
    assert (beyond.status_code, beyond.json()["error"]["code"]) == (409, "slot_unavailable")


def test_availability_from_weekly_hours_reads_a_fixed_number_of_queries(api, as_user, alpha, alpha_admin, doctor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/api/doctors/{doctor.pk}/availability/"
    today = local_today(alpha)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url, {"from": str(today), "to": str(today + dt.timedelta(days=13))}).status_code == 200
        return len(captured)

    client = as_user(alpha_admin)
    put_schedule(client, doctor, hours(0))
    few = count()
    put_schedule(
        client,
        doctor,
        *[hours(day, start, end) for day in range(7) for start, end in (("08:00", "10:00"), ("14:00", "16:00"))],
    )
    for offset in (2, 4, 6):
        day = str(today + dt.timedelta(days=offset))
        add_time_off(
            client, doctor, start_date=day, end_date=day, start_time="08:00", end_time="09:00", cancel_appointments=True
        )
    assert count() == few


def test_time_off_matches_appointments_as_the_slot_computation_reads_them_on_a_clock_change_day(beta):
    """New York falls back on 2030-11-03: the 01:30 EDT slot of 30 minutes ends at 01:00 EST on the clock. Time off
    01:00–01:45 takes that slot out of the computation, so it must also name an appointment booked in it."""
    from tenant_apps.appointments.selectors import appointments_in_time_off
    from tenant_apps.doctors.slots import local_datetime, slot_end

    doctor = make_doctor(beta, slot_minutes=30)
    day, zone = dt.date(2030, 11, 3), beta.zone
    with hospital_context(beta):
        starts_at = local_datetime(day, dt.time(1, 30), zone)
        appointment = Appointment.objects.create(
            doctor=doctor,
            patient=admin_of_hospital(beta),
            appointment_date=day,
            appointment_time=dt.time(1, 30),
            starts_at=starts_at,
            ends_at=slot_end(starts_at, 30),
        )
        leave = TimeOff(doctor=doctor, start_date=day, end_date=day, start_time=dt.time(1), end_time=dt.time(1, 45))
        assert [a.pk for a in appointments_in_time_off(hospital=beta, time_off=leave)] == [appointment.pk]
