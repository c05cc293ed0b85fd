"""Cached availability and patient lists change as soon as a booking commits."""

import pytest

from tenant_apps.appointments.tests.helpers import book, bookable_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture
def caches_on(settings):
    settings.AVAILABILITY_CACHE_SECONDS = 60
    settings.MY_APPOINTMENTS_CACHE_SECONDS = 60


def test_availability_and_my_appointments_follow_bookings(
    api, as_user, alpha, patient, caches_on, django_capture_on_commit_callbacks
):
    doctor, day = bookable_doctor(alpha, start="09:00", end="10:00")
    url = f"/api/doctors/{doctor.pk}/availability/"
    client = as_user(patient)

    def free_times():
        return [s["time"] for s in api.get(url, {"from": str(day), "to": str(day)}).json()["slots"]]

    def mine():
        return client.get("/api/appointments/user/").json()["count"]

    assert free_times() == ["09:00", "09:30"]
    assert mine() == 0
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(client, doctor, day, "09:00").json()
    assert free_times() == ["09:30"]
    assert mine() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/appointments/{appointment['id']}/cancel/")
    assert free_times() == ["09:00", "09:30"]


def test_one_patients_cached_list_is_never_served_to_another(as_user, alpha, patient, caches_on):
    from shared_apps.accounts.tests.factories import PatientFactory

    doctor, day = bookable_doctor(alpha)
    book(as_user(patient), doctor, day, "09:00")
    assert as_user(patient).get("/api/appointments/user/").json()["count"] == 1
    assert as_user(PatientFactory().user).get("/api/appointments/user/").json()["count"] == 0


def test_a_repeated_request_is_served_from_the_cache(api, as_user, alpha, patient, caches_on):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    doctor, day = bookable_doctor(alpha)
    book(as_user(patient), doctor, day, "09:00")
    client = as_user(patient)
    url = f"/api/doctors/{doctor.pk}/availability/"

    def entry_queries(path):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return [q["sql"] for q in queries.captured_queries if "directory_" in q["sql"]]

    assert entry_queries("/api/appointments/user/")  # built once…
    assert not entry_queries("/api/appointments/user/")  # …then served from the cache
    assert entry_queries(url)
    assert not entry_queries(url)
