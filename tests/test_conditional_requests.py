"""Every list and detail of the public API answers with an ETag; If-None-Match with it is a 304 with no body, and
a change gives a new tag. Cached responses bring their stored tag (no serialization for a 304)."""

import pytest

from tenant_apps.appointments.tests.helpers import book, bookable_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture
def caches_on(settings):
    settings.CATALOG_CACHE_SECONDS = 60
    settings.MY_APPOINTMENTS_CACHE_SECONDS = 60
    settings.AVAILABILITY_CACHE_SECONDS = 60


@pytest.fixture
def booked(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    appointment = book(as_user(patient), doctor, day, "09:00").json()
    return {"doctor": doctor, "day": day, "appointment": appointment}


def _paths(booked, alpha):
    doctor = booked["doctor"]
    return [
        "/api/hospitals/",
        f"/api/hospitals/{alpha.pk}/",
        "/api/doctors/",
        f"/api/doctors/{doctor.pk}/",
        f"/api/doctors/{doctor.pk}/availability/?from={booked['day']}&to={booked['day']}",
        "/api/appointments/user/",
        f"/api/appointments/{booked['appointment']['id']}/",
        "/api/waitlist/",
    ]


@pytest.mark.parametrize("cache", ["off", "on"])
def test_every_list_and_detail_answers_304_to_its_own_etag(request, as_user, alpha, patient, booked, cache):
    if cache == "on":
        request.getfixturevalue("caches_on")
    client = as_user(patient)
    for path in _paths(booked, alpha):
        first = client.get(path)
        assert first.status_code == 200, (path, first.content)
        etag = first.headers.get("ETag")
        assert etag, path

        again = client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert (again.status_code, again.content, again.headers.get("ETag")) == (304, b"", etag), path
        other = client.get(path, HTTP_IF_NONE_MATCH='"not-this-one"')
        assert other.status_code == 200, path
        assert other.content == first.content, path


def test_a_change_gives_a_new_etag(as_user, patient, booked, caches_on, django_capture_on_commit_callbacks):
    client = as_user(patient)
    before = client.get("/api/appointments/user/")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/appointments/{booked['appointment']['id']}/cancel/").status_code == 200

    after = client.get("/api/appointments/user/", HTTP_IF_NONE_MATCH=before.headers["ETag"])

    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.json()["results"][0]["status"] == "cancelled"


def test_another_patients_etag_does_not_answer_for_mine(as_user, patient, booked):
    from shared_apps.accounts.tests.factories import PatientFactory

    theirs = as_user(PatientFactory().user).get("/api/appointments/user/")
    mine = as_user(patient).get("/api/appointments/user/", HTTP_IF_NONE_MATCH=theirs.headers["ETag"])

    assert mine.status_code == 200
    assert mine.json()["count"] == 1


def test_a_cached_response_brings_its_stored_etag(as_user, patient, booked, caches_on):
    from shared_apps.common.response_cache import content_etag

    client = as_user(patient)
    first = client.get("/api/appointments/user/")
    hit = client.get("/api/appointments/user/")

    assert hit.headers["ETag"] == first.headers["ETag"] == content_etag(first.content)
