"""`GET /api/doctors/` by availability: `city`, `available_on`, `ordering`, and `next_available` on every result."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, future_day
from tenant_apps.doctors.tests.factories import make_doctor, open_day

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_every_result_shows_the_first_free_slot_or_null(api, alpha):
    doctor, day = bookable_doctor(alpha, start="09:30", end="10:30")
    idle = make_doctor(alpha)

    rows = {row["id"]: row for row in api.get("/api/doctors/").json()["results"]}

    starts = dt.datetime.combine(day, dt.time(9, 30), tzinfo=alpha.zone)
    assert rows[str(doctor.pk)]["next_available"] == {
        "date": day.isoformat(),
        "time": "09:30",
        "starts_at": starts.isoformat(timespec="seconds"),
    }
    assert rows[str(idle.pk)]["next_available"] is None
    assert api.get(f"/api/doctors/{doctor.pk}/").json()["next_available"]["time"] == "09:30"


def test_next_available_is_the_first_slot_the_availability_api_lists(api, alpha):
    doctor, day = bookable_doctor(alpha, start="09:00", end="10:00")
    slots = api.get(f"/api/doctors/{doctor.pk}/availability/", {"from": day, "to": day}).json()["slots"]
    (row,) = [r for r in api.get("/api/doctors/").json()["results"] if r["id"] == str(doctor.pk)]
    first = slots[0]
    assert row["next_available"] == {"date": first["date"], "time": first["time"], "starts_at": first["starts_at"]}


def test_available_on_lists_only_doctors_with_a_free_slot_that_day(api, alpha, as_user, patient):
    day = future_day(alpha, 4)
    free, _ = bookable_doctor(alpha, days=4, start="09:00", end="10:00")
    full, _ = bookable_doctor(alpha, days=4, start="09:00", end="09:30")
    elsewhere, _ = bookable_doctor(alpha, days=5)
    assert book(as_user(patient), full, day, "09:00").status_code == 201

    listed = ids(api.get("/api/doctors/", {"available_on": day.isoformat()}))

    assert str(free.pk) in listed
    assert str(full.pk) not in listed  # its one slot that day is taken
    assert str(elsewhere.pk) not in listed


def in_pune(hospital):
    hospital.city = "Pune"
    hospital.save(update_fields=["city"])  # before its doctors are created: their rows copy it


def test_city_and_specialization_combine_with_available_on(api, alpha, beta):
    in_pune(beta)
    day = future_day(alpha, 3)
    here, _ = bookable_doctor(alpha, specialization="Cardiology")
    bookable_doctor(alpha, specialization="Dermatology")
    there, beta_day = bookable_doctor(beta, specialization="Cardiology")  # its own zone's day (may differ by one)
    query = {"specialization": "cardiology", "city": alpha.city.upper(), "available_on": day.isoformat()}

    assert ids(api.get("/api/doctors/", query)) == [str(here.pk)]
    in_beta = {**query, "city": beta.city, "available_on": beta_day.isoformat()}
    assert ids(api.get("/api/doctors/", in_beta)) == [str(there.pk)]


def test_ordering_by_next_available_puts_the_soonest_first_and_the_unavailable_last(api, alpha):
    later, _ = bookable_doctor(alpha, days=6, name="Dr A")
    never = make_doctor(alpha, name="Dr B")
    sooner, _ = bookable_doctor(alpha, days=2, name="Dr C")

    assert ids(api.get("/api/doctors/", {"ordering": "next_available"})) == [
        str(sooner.pk),
        str(later.pk),
        str(never.pk),
    ]


def test_ordering_by_name_and_fee(api, alpha):
    cheap = make_doctor(alpha, name="Dr Zoe", fee=Decimal("10.00"))
    dear = make_doctor(alpha, name="Dr Adam", fee=Decimal("90.00"))
    mid = make_doctor(alpha, name="Dr Mia", fee=Decimal("50.00"))

    assert ids(api.get("/api/doctors/", {"ordering": "name"})) == [str(dear.pk), str(mid.pk), str(cheap.pk)]
    assert ids(api.get("/api/doctors/", {"ordering": "fee"})) == [str(cheap.pk), str(mid.pk), str(dear.pk)]
    assert ids(api.get("/api/doctors/", {"ordering": "-fee"})) == [str(dear.pk), str(mid.pk), str(cheap.pk)]


@pytest.mark.parametrize("ordering", ["next_available", "name", "fee", "-fee"])
def test_pages_of_tied_doctors_never_repeat_or_skip_one(api, alpha, ordering):
    day = future_day(alpha, 3)
    doctors = [make_doctor(alpha, name="Dr Same", fee=Decimal("20.00")) for _ in range(7)]
    for doctor in doctors:
        open_day(alpha, doctor, day, "09:00", "10:00")  # the same next_available for all

    seen = []
    for page in (1, 2, 3):
        seen += ids(api.get("/api/doctors/", {"ordering": ordering, "page_size": 3, "page": page}))

    assert sorted(seen) == sorted(str(d.pk) for d in doctors)


@pytest.mark.parametrize(
    "query",
    [
        {"ordering": "soonest"},
        {"ordering": "-name"},
        {"available_on": "2026-13-01"},
        {"available_on": "tomorrow"},
        {"available_on": "2026-12-01T10:00"},
    ],
)
def test_an_unknown_ordering_or_a_malformed_date_is_a_400(api, query):
    response = api.get("/api/doctors/", query)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert set(response.json()["error"]["fields"]) == set(query)


def test_a_page_is_one_query_whatever_the_filters(api, alpha, beta):
    in_pune(beta)
    for hospital in (alpha, beta):
        for _ in range(3):
            bookable_doctor(hospital)
    query = {
        "specialization": "cardiology",
        "city": alpha.city,
        "available_on": future_day(alpha, 3).isoformat(),
        "ordering": "next_available",
    }
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/doctors/", query)
    assert response.json()["count"] == 3
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(statements) == 1, statements


def test_after_a_booking_takes_the_last_slot_of_a_day_the_next_request_stops_listing_the_doctor(
    api, alpha, as_user, patient, settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_CACHE_SECONDS = 300  # as deployed: through the cache
    doctor, day = bookable_doctor(alpha, start="09:00", end="09:30")
    query = {"available_on": day.isoformat(), "ordering": "next_available"}
    assert ids(api.get("/api/doctors/", query)) == [str(doctor.pk)]
    assert ids(api.get("/api/doctors/", query)) == [str(doctor.pk)]  # now served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        assert book(as_user(patient), doctor, day, "09:00").status_code == 201

    assert ids(api.get("/api/doctors/", query)) == []
    rows = api.get("/api/doctors/").json()["results"]
    assert next(r for r in rows if r["id"] == str(doctor.pk))["next_available"] is None


def test_the_hospitals_own_timezone_gives_the_local_date_and_time(api, alpha):
    alpha.timezone = "Asia/Kolkata"
    alpha.save(update_fields=["timezone"])
    with hospital_context(alpha):
        doctor, day = bookable_doctor(alpha, start="09:00", end="09:30")
    row = api.get(f"/api/doctors/{doctor.pk}/").json()["next_available"]
    assert (row["date"], row["time"]) == (day.isoformat(), "09:00")
    assert row["starts_at"].endswith("+05:30")
