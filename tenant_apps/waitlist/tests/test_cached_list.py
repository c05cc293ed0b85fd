"""The patient's waitlist list is cached per patient (WAITLIST_CACHE_SECONDS), follows every change to their
entries at once, and is never served past the moment an offer on it lapses."""

import datetime as dt
import math

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.common.response_cache import cached_json
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.services import appointment_cancel
from tenant_apps.waitlist.selectors import offers_good_for
from tenant_apps.waitlist.tests.helpers import full_doctor, join, match

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_on(settings):
    settings.WAITLIST_CACHE_SECONDS = 60


def _listing_queries(client) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/waitlist/")
    assert response.status_code == 200
    return response.json(), sum("directory_waitlistlisting" in q["sql"] for q in queries.captured_queries)


def test_the_list_is_served_from_the_cache_until_an_entry_changes(
    as_user, alpha, patient, cache_on, django_capture_on_commit_callbacks
):
    doctor, day, (first, _) = full_doctor(alpha)
    client = as_user(patient)
    assert _listing_queries(client) == ({"count": 0, "next": None, "previous": None, "results": []}, 1)
    with django_capture_on_commit_callbacks(execute=True):
        entry = join(alpha, patient, doctor, day)

    body, queried = _listing_queries(client)
    assert (body["count"], body["results"][0]["status"], queried) == (1, "waiting", 1)
    assert _listing_queries(client)[1] == 0  # the same page again: from the cache

    with django_capture_on_commit_callbacks(execute=True):
        with hospital_context(alpha):
            appointment_cancel(actor=first.patient, hospital=alpha, appointment=first)
        match(alpha, doctor)

    body, queried = _listing_queries(client)
    assert (body["results"][0]["id"], body["results"][0]["status"], queried) == (str(entry.pk), "offered", 1)


def test_one_patients_cached_list_is_never_served_to_another(
    as_user, alpha, patient, cache_on, django_capture_on_commit_callbacks
):
    doctor, day, _ = full_doctor(alpha)
    other = PatientFactory().user
    with django_capture_on_commit_callbacks(execute=True):
        mine, theirs = join(alpha, patient, doctor, day), join(alpha, other, doctor, day)  # one change each

    def listed(user):
        return [row["id"] for row in as_user(user).get("/api/waitlist/").json()["results"]]

    assert listed(patient) == [str(mine.pk)]
    assert listed(other) == [str(theirs.pk)]


def _offered(expires_in: dt.timedelta) -> dict:
    expires_at = (timezone.now() + expires_in).isoformat(timespec="seconds")
    return {"results": [{"offer": None}, {"offer": {"expires_at": expires_at}}]}


def test_a_page_is_good_until_its_first_offer_lapses():
    assert 100 < offers_good_for(_offered(dt.timedelta(seconds=120))) <= 120
    assert offers_good_for(_offered(dt.timedelta(seconds=-5))) < 0
    assert offers_good_for({"results": [{"offer": None}]}) == math.inf


@pytest.mark.parametrize(("good_for", "builds"), [(30, 1), (0.9, 2), (-5, 2)])
def test_an_entry_never_outlives_what_its_body_shows(good_for, builds):
    request, built = RequestFactory().get("/api/waitlist/"), []

    def build():
        built.append(1)
        return {"results": []}

    for _ in range(2):
        cached_json(
            request, scope="probe", versions=["probe:version"], ttl=60, build=build, good_for=lambda b: good_for
        )
    assert len(built) == builds
