import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.doctors.models import DoctorAvailability
from tenant_apps.doctors.slots import local_datetime
from tenant_apps.doctors.tests.factories import make_doctor, open_day
from tenant_apps.doctors.tests.test_doctors_api import _invited

pytestmark = pytest.mark.django_db


def future(days=3) -> dt.date:
    return timezone.now().date() + dt.timedelta(days=days)


def window(day, start, end, available=True):
    return {"date": str(day), "start_time": start, "end_time": end, "is_available": available}


def set_windows(client, doctor, *windows, **extra):
    return client.post(
        f"/api/doctors/{doctor.pk}/availability/set/", {"windows": list(windows), **extra}, format="json"
    )


def test_set_replaces_the_windows_of_each_date_in_the_request_only(as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    client = as_user(alpha_admin)
    day1, day2 = future(3), future(4)
    assert (
        set_windows(client, doctor, window(day1, "09:00", "12:00"), window(day2, "14:00", "16:00")).status_code == 200
    )

    response = set_windows(client, doctor, window(day1, "10:00", "11:00"), window(day1, "13:00", "15:00"))

    assert response.status_code == 200, response.content
    assert response.json()["windows"] == [
        {"date": str(day1), "start_time": "10:00", "end_time": "11:00", "is_available": True},
        {"date": str(day1), "start_time": "13:00", "end_time": "15:00", "is_available": True},
    ]
    with hospital_context(alpha):
        assert list(DoctorAvailability.objects.filter(doctor=doctor).values_list("date", "start_time")) == [
            (day1, dt.time(10)),
            (day1, dt.time(13)),
            (day2, dt.time(14)),
        ]


def test_clear_dates_empties_a_day(as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    open_day(alpha, doctor, future(3))
    assert set_windows(as_user(alpha_admin), doctor, clear_dates=[str(future(3))]).status_code == 200
    with hospital_context(alpha):
        assert not DoctorAvailability.objects.filter(doctor=doctor).exists()


@pytest.mark.parametrize(
    ("windows", "why"),
    [
        ([window(future(3), "12:00", "09:00")], "start after end"),
        ([window(future(3), "09:00", "09:00")], "empty window"),
        ([window(timezone.now().date() - dt.timedelta(days=1), "09:00", "10:00")], "past date"),
        ([window(timezone.now().date() + dt.timedelta(days=400), "09:00", "10:00")], "beyond the horizon"),
        ([window(future(3), "09:00", "11:00"), window(future(3), "10:30", "12:00")], "overlap"),
        ([window(future(3), "9am", "10:00")], "malformed time"),
        ([window("2026-02-30", "09:00", "10:00")], "malformed date"),
    ],
)
def test_bad_windows_are_refused_and_nothing_changes(as_user, alpha, alpha_admin, windows, why):
    doctor = make_doctor(alpha)
    open_day(alpha, doctor, future(3), "08:00", "09:00")
    response = set_windows(as_user(alpha_admin), doctor, *windows)
    assert response.status_code == 400, why
    assert response.json()["error"]["code"] == "invalid"
    with hospital_context(alpha):
        assert DoctorAvailability.objects.filter(doctor=doctor).count() == 1


def test_blocked_time_may_sit_inside_an_available_window(as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    day = future(3)
    response = set_windows(
        as_user(alpha_admin), doctor, window(day, "09:00", "12:00"), window(day, "10:00", "11:00", available=False)
    )
    assert response.status_code == 200


def test_the_database_refuses_overlapping_windows_of_one_kind(alpha):
    from django.db import IntegrityError, transaction

    doctor = make_doctor(alpha)
    with hospital_context(alpha):
        DoctorAvailability.objects.create(doctor=doctor, date=future(3), start_time=dt.time(9), end_time=dt.time(11))
        with pytest.raises(IntegrityError), transaction.atomic():
            DoctorAvailability.objects.create(
                doctor=doctor, date=future(3), start_time=dt.time(10), end_time=dt.time(12)
            )


def test_a_doctor_sets_their_own_availability_but_not_a_colleagues(as_user, alpha):
    doctor, colleague = make_doctor(alpha), make_doctor(alpha)
    client = as_user(_invited(alpha, doctor))
    assert set_windows(client, doctor, window(future(3), "09:00", "10:00")).status_code == 200
    assert set_windows(client, colleague, window(future(3), "09:00", "10:00")).status_code == 404


def test_patients_cannot_set_availability(as_user, alpha, patient):
    doctor = make_doctor(alpha)
    assert set_windows(as_user(patient), doctor, window(future(3), "09:00", "10:00")).status_code == 403


def test_free_slots_skip_blocked_time_and_carry_the_hospital_offset(api, alpha):
    doctor = make_doctor(alpha, slot_minutes=30)
    day = future(5)
    open_day(alpha, doctor, day, "09:00", "11:00", blocked=[("09:30", "10:00")])

    body = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(day), "to": str(day)}).json()

    assert body["timezone"] == "Europe/London"
    assert [s["time"] for s in body["slots"]] == ["09:00", "10:00", "10:30"]
    first = body["slots"][0]
    expected = local_datetime(day, dt.time(9), ZoneInfo("Europe/London"))
    assert first["starts_at"] == expected.isoformat(timespec="seconds")
    assert first["ends_at"] == (expected + dt.timedelta(minutes=30)).isoformat(timespec="seconds")
    assert len(body["windows"]) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2030-01-01", "to": "2030-03-01"}, "to"),
        ({"from": "nope"}, "date_from"),
        ({"from": "2030-01-05", "to": "2030-01-01"}, "to"),
        ({"from": "9999-12-31"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"from": "9999-12-25", "to": "9999-12-31"}, "from"),
        ({"to": str(timezone.now().date() + dt.timedelta(days=60))}, "to"),  # only `to`: the cap still holds
    ],
)
def test_bad_ranges_are_a_400(api, alpha, params, field):
    doctor = make_doctor(alpha)
    response = api.get(f"/api/doctors/{doctor.pk}/availability/", params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]


def test_an_inactive_doctors_availability_is_a_404(api, as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "inactive"})
    assert api.get(f"/api/doctors/{doctor.pk}/availability/").status_code == 404
