"""The documented API-wide rate limits (THROTTLE_ANON per client IP, THROTTLE_USER per account) apply to every
endpoint, booking and availability included, next to the tighter per-scope ones (login, register, password).

DRF reads the rates once, at class level (SimpleRateThrottle.THROTTLE_RATES is DEFAULT_THROTTLE_RATES), so the
tests lower them in that dict, as the registration throttle test does.
"""

import pytest
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from shared_apps.accounts.tests.factories import PatientFactory
from tenant_apps.appointments.tests.helpers import book, bookable_doctor

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    def lower(**scopes):
        for scope, rate in scopes.items():
            monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return lower


def assert_throttled(response):
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"]
    assert int(response["Retry-After"]) > 0


def test_the_api_wide_throttles_are_configured():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ]


def test_availability_is_throttled_per_client_ip(api, alpha, rates):
    rates(anon="3/min")
    doctor, day = bookable_doctor(alpha)
    url = f"/api/doctors/{doctor.pk}/availability/"

    statuses = [api.get(url, {"from": str(day), "to": str(day)}, REMOTE_ADDR="10.2.0.1").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert_throttled(api.get(url, {"from": str(day), "to": str(day)}, REMOTE_ADDR="10.2.0.1"))
    assert api.get(url, {"from": str(day), "to": str(day)}, REMOTE_ADDR="10.2.0.2").status_code == 200


def test_booking_is_throttled_per_account(as_user, alpha, rates):
    rates(user="2/min")
    doctor, day = bookable_doctor(alpha)
    patient, other = PatientFactory().user, PatientFactory().user
    client = as_user(patient)

    assert book(client, doctor, day, "09:00").status_code == 201
    assert book(client, doctor, day, "09:30").status_code == 201
    assert_throttled(book(client, doctor, day, "10:00"))
    # Another account from the same address has its own allowance.
    assert book(as_user(other), doctor, day, "10:00").status_code == 201


def test_the_per_scope_throttles_still_apply(api, rates):
    rates(login="1/min", anon="100/min")
    body = {"email": "nobody@example.com", "password": "wrong-password-1"}  # pragma: allowlist secret
    assert api.post("/api/auth/login/", body).status_code == 401
    assert_throttled(api.post("/api/auth/login/", body))
