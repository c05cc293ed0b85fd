"""An account belongs to one hospital's staff: inviting an email that another hospital holds, with an active or a
suspended membership, is a 409 `email_taken` that names no hospital, and the account stays where it was.
"""

import pytest

from shared_apps.accounts.models import HospitalMembership
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.dashboard.tests.conftest import client_for
from tenant_apps.doctors.tests.factories import make_doctor
from tenant_apps.doctors.tests.test_doctors_api import _invited

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["active", "suspended"])
def beta_doctor_user(request, as_user, beta, beta_admin):
    """A doctor of beta with a login; suspended by deactivating the doctor, for the "suspended" case."""
    doctor = make_doctor(beta, email="taken@example.com")
    user = _invited(beta, doctor)
    if request.param == "suspended":
        as_user(beta_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "inactive"}, format="json")
        assert not HospitalMembership.objects.filter(user=user, is_active=True).exists()
    return user


def _memberships(user):
    return set(HospitalMembership.objects.filter(user=user).values_list("hospital__slug", "is_active"))


def test_the_api_refuses_to_invite_another_hospitals_doctor(as_user, alpha, alpha_admin, beta_doctor_user):
    before = _memberships(beta_doctor_user)
    doctor = make_doctor(alpha, email="Taken@example.com")

    response = as_user(alpha_admin).post(f"/api/doctors/{doctor.pk}/invite/")

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "email_taken"
    assert "beta" not in error["message"].lower()
    assert _memberships(beta_doctor_user) == before
    with hospital_context(alpha):
        doctor.refresh_from_db()
        assert doctor.user_id is None


def test_creating_with_invite_refuses_another_hospitals_doctor(as_user, alpha_admin, beta_doctor_user):
    body = {"name": "Dr Copy", "email": "taken@example.com", "specialization": "GP", "fee": "10.00", "invite": True}
    response = as_user(alpha_admin).post("/api/doctors/", body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_the_dashboard_refuses_to_invite_another_hospitals_doctor(alpha, alpha_admin, beta_doctor_user):
    before = _memberships(beta_doctor_user)
    doctor = make_doctor(alpha, email="taken@example.com")

    response = client_for(alpha_admin).post(f"/doctors/{doctor.pk}/invite/")

    assert response.status_code == 409
    assert "Beta" not in response.content.decode()
    assert _memberships(beta_doctor_user) == before
