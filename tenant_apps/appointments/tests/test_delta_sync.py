"""Delta sync: GET /api/appointments/user/?updated_since= returns the patient's rows changed after that instant,
cancelled ones included, in the order they changed; a malformed instant is a 400."""

import pytest
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from tenant_apps.appointments.tests.helpers import book, bookable_doctor

pytestmark = pytest.mark.django_db

URL = "/api/appointments/user/"


@pytest.fixture
def caches_on(settings):
    settings.MY_APPOINTMENTS_CACHE_SECONDS = 60


def _changed_since(client, since):
    response = client.get(URL, {"updated_since": since.isoformat()})
    assert response.status_code == 200, response.json()
    return [(row["id"], row["status"]) for row in response.json()["results"]]


def test_rows_changed_after_the_instant_in_the_order_they_changed(
    as_user, alpha, beta, patient, caches_on, django_capture_on_commit_callbacks
):
    client = as_user(patient)
    alpha_doctor, alpha_day = bookable_doctor(alpha)
    beta_doctor, beta_day = bookable_doctor(beta)
    unchanged = book(client, alpha_doctor, alpha_day, "11:00").json()
    with django_capture_on_commit_callbacks(execute=True):
        earlier = book(client, alpha_doctor, alpha_day, "09:00").json()
    since = timezone.now()
    assert _changed_since(client, since) == []

    with django_capture_on_commit_callbacks(execute=True):
        later = book(client, beta_doctor, beta_day, "10:00").json()
        assert client.post(f"/api/appointments/{earlier['id']}/cancel/").status_code == 200

    assert _changed_since(client, since) == [(later["id"], "booked"), (earlier["id"], "cancelled")]
    rows = client.get(URL).json()["results"]
    assert {row["id"] for row in rows} == {unchanged["id"], earlier["id"], later["id"]}
    assert all(row["updated_at"] for row in rows)


def test_another_patients_changes_are_not_listed(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    since = timezone.now()
    book(as_user(PatientFactory().user), doctor, day, "09:00")

    assert _changed_since(as_user(patient), since) == []


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01T00:00:00Z", "2026-12-01T10:00:00", "2026-12-01", "2026-12-01T10:00:00 05:30"],
)
def test_a_malformed_instant_is_a_400(as_user, patient, value):
    response = as_user(patient).get(URL, {"updated_since": value})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "updated_since" in response.json()["error"]["fields"]
