"""Tokens never cross hospitals: JWTs do not open dashboards, and another hospital's data is "not found"."""

import pytest

from shared_apps.accounts.tokens import tokens_for
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db


def test_a_jwt_does_not_sign_anyone_in_to_a_dashboard(client, alpha_admin):
    bearer = f"Bearer {tokens_for(alpha_admin)['access']}"
    for host in ("alpha.localhost", "beta.localhost"):
        response = client.get("/", HTTP_HOST=host, HTTP_AUTHORIZATION=bearer)
        assert response.status_code == 302
        assert "/sign-in/" in response["Location"]


def test_a_hospital_admins_token_finds_nothing_of_another_hospital(as_user, alpha, beta_admin):
    doctor = make_doctor(alpha)
    client = as_user(beta_admin)
    assert client.patch(f"/api/doctors/{doctor.pk}/", {"fee": "1.00"}).status_code == 404
    listed = client.get("/api/appointments/hospital/").json()
    assert listed["count"] == 0
    assert client.get("/api/admin/audit-logs/", {"hospital": alpha.pk}).json()["count"] == 0


def test_the_hospital_claim_is_not_trusted(as_user, alpha, beta_admin):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    token = RefreshToken.for_user(beta_admin)
    token["hospital_id"] = alpha.pk  # a forged claim in a validly signed token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.access_token}")
    doctor = make_doctor(alpha)
    assert client.patch(f"/api/doctors/{doctor.pk}/", {"fee": "1.00"}).status_code == 404
