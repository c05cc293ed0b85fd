"""The hospital's booking notice and horizon: a slot inside the notice or past the horizon is neither offered nor
bookable (409 slot_unavailable)."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, set_policy
from tenant_apps.doctors.selectors import doctor_free_slots
from tenant_apps.doctors.slots import local_datetime

pytestmark = pytest.mark.django_db


def offered(api, doctor, day) -> list[str]:
    body = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": str(day), "to": str(day)}).json()
    return [slot["time"] for slot in body["slots"]]


def test_slots_inside_the_booking_notice_are_not_offered_nor_bookable(api, as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha, start="09:00", end="11:00")
    ten = local_datetime(day, dt.time(10), alpha.zone)
    # The notice reaches 10:00 exactly: 10:00 is inside it (a slot must start after now + notice), 10:30 is not.
    set_policy(alpha, min_booking_notice_minutes=math.ceil((ten - timezone.now()).total_seconds() / 60))

    assert offered(api, doctor, day) == ["10:30"]
    refused = book(as_user(patient), doctor, day, "10:00")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "slot_unavailable"
    assert "minutes ahead" in refused.json()["error"]["message"]
    assert book(as_user(patient), doctor, day, "10:30").status_code == 201


def test_slots_past_the_hospital_horizon_are_not_offered_nor_bookable(api, as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha, days=3, start="09:00", end="10:00")
    set_policy(alpha, booking_horizon_days=2)

    assert offered(api, doctor, day) == []
    refused = book(as_user(patient), doctor, day, "09:00")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "slot_unavailable"
    assert "at most 2 days ahead" in refused.json()["error"]["message"]

    set_policy(alpha, booking_horizon_days=3)
    assert offered(api, doctor, day) == ["09:00", "09:30"]
    assert book(as_user(patient), doctor, day, "09:00").status_code == 201


def test_the_shared_free_slot_selector_applies_notice_and_horizon(alpha):
    """doctor_free_slots serves the API and the dashboard week alike."""
    doctor, day = bookable_doctor(alpha, days=3, start="09:00", end="10:00")
    with hospital_context(alpha):

        def free():
            slots = doctor_free_slots(hospital=alpha, doctor=doctor, date_from=day, date_to=day)
            return [f"{slot.time:%H:%M}" for slot in slots]

        assert free() == ["09:00", "09:30"]
        set_policy(alpha, booking_horizon_days=2)
        assert free() == []
        set_policy(alpha, booking_horizon_days=90, min_booking_notice_minutes=7 * 24 * 60)
        assert free() == []


def test_availability_windows_are_accepted_up_to_the_hospital_horizon(as_user, alpha, alpha_admin):
    from tenant_apps.doctors.tests.factories import make_doctor

    doctor = make_doctor(alpha)
    set_policy(alpha, booking_horizon_days=10)
    today = timezone.now().astimezone(alpha.zone).date()

    def set_window(day):
        window = {"date": str(day), "start_time": "09:00", "end_time": "10:00", "is_available": True}
        return as_user(alpha_admin).post(
            f"/api/doctors/{doctor.pk}/availability/set/", {"windows": [window]}, format="json"
        )

    assert set_window(today + dt.timedelta(days=10)).status_code == 200
    refused = set_window(today + dt.timedelta(days=11))
    assert refused.status_code == 400
    assert "more than 10 days ahead" in str(refused.json())
