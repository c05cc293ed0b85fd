import pytest

from shared_apps.accounts.models import HospitalMembership, Role, User
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import DoctorEntry
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db

NEW_DOCTOR = {
    "name": "Dr Grace Hopper",
    "email": "Grace@Alpha.example.com",
    "specialization": "Neurology",
    "fee": "150.00",
}


def test_a_hospital_admin_adds_a_doctor_to_the_hospital_and_the_directory(as_user, alpha, alpha_admin):
    response = as_user(alpha_admin).post("/api/doctors/", NEW_DOCTOR)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "hospital_id": alpha.pk,
        "name": "Dr Grace Hopper",
        "email": "grace@alpha.example.com",
        "specialization": "Neurology",
        "fee": "150.00",
        "slot_minutes": 30,
        "status": "active",
        "has_login": False,
    }
    with hospital_context(alpha):
        assert Doctor.objects.filter(pk=body["id"]).exists()
    entry = DoctorEntry.objects.get(doctor_id=body["id"])
    assert (entry.hospital_id, entry.name, entry.city) == (alpha.pk, "Dr Grace Hopper", alpha.city)
    assert AuditLog.objects.filter(action="doctor.created", entity_id=body["id"], hospital=alpha).exists()


def test_the_doctor_lives_only_in_its_hospitals_schema(as_user, alpha, beta, alpha_admin):
    doctor_id = as_user(alpha_admin).post("/api/doctors/", NEW_DOCTOR).json()["id"]
    with hospital_context(beta):
        assert not Doctor.objects.filter(pk=doctor_id).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("fee", "-1"), ("slot_minutes", 3), ("slot_minutes", 500), ("email", "not-an-email"), ("name", "")],
)
def test_bad_doctor_input_is_a_400(as_user, alpha_admin, field, value):
    response = as_user(alpha_admin).post("/api/doctors/", {**NEW_DOCTOR, field: value})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_duplicate_doctor_email_in_one_hospital_is_a_400(as_user, alpha_admin):
    client = as_user(alpha_admin)
    assert client.post("/api/doctors/", NEW_DOCTOR).status_code == 201
    again = client.post("/api/doctors/", {**NEW_DOCTOR, "email": "GRACE@alpha.example.com"})
    assert again.status_code == 400
    assert "email" in again.json()["error"]["fields"]


def test_only_hospital_admins_add_doctors(api, as_user, patient, superadmin, alpha):
    doctor = make_doctor(alpha)
    doctor_user = _invited(alpha, doctor)
    assert api.post("/api/doctors/", NEW_DOCTOR).status_code == 401
    assert as_user(patient).post("/api/doctors/", NEW_DOCTOR).status_code == 403
    assert as_user(superadmin).post("/api/doctors/", NEW_DOCTOR).status_code == 403
    assert as_user(doctor_user).post("/api/doctors/", NEW_DOCTOR).status_code == 403


def _invited(hospital, doctor):
    from tenant_apps.doctors.services import doctor_invite
    from tenant_apps.doctors.tests.factories import admin_of

    with hospital_context(hospital):
        doctor_invite(actor=admin_of(hospital), hospital=hospital, doctor=doctor)
        doctor.refresh_from_db()
    return User.objects.get(pk=doctor.user_id)


def test_patch_updates_the_doctor_and_its_directory_row(as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    response = as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"fee": "80.50", "slot_minutes": 20})
    assert response.status_code == 200, response.content
    assert (response.json()["fee"], response.json()["slot_minutes"]) == ("80.50", 20)
    entry = DoctorEntry.objects.get(doctor_id=doctor.pk)
    assert (str(entry.fee), entry.slot_minutes) == ("80.50", 20)


def test_deactivation_hides_the_doctor_from_the_directory(api, as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    response = as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "inactive"})
    assert response.json()["status"] == "inactive"
    assert api.get(f"/api/doctors/{doctor.pk}/").status_code == 404
    assert str(doctor.pk) not in [d["id"] for d in api.get("/api/doctors/").json()["results"]]
    assert AuditLog.objects.filter(action="doctor.deactivated", entity_id=str(doctor.pk)).exists()
    assert as_user(alpha_admin).get(f"/api/doctors/{doctor.pk}/").json()["status"] == "inactive"


def test_another_hospitals_doctor_is_a_404_for_every_change(as_user, alpha, beta_admin):
    doctor = make_doctor(alpha)
    client = as_user(beta_admin)
    assert client.patch(f"/api/doctors/{doctor.pk}/", {"fee": "1.00"}).status_code == 404
    assert client.post(f"/api/doctors/{doctor.pk}/invite/").status_code == 404
    assert client.post(f"/api/doctors/{doctor.pk}/availability/set/", {"windows": []}, format="json").status_code == 404
    assert "email" not in client.get(f"/api/doctors/{doctor.pk}/").json()  # only the public view


def test_a_doctor_cannot_edit_doctors_even_themself(as_user, alpha):
    doctor = make_doctor(alpha)
    doctor_user = _invited(alpha, doctor)
    assert as_user(doctor_user).patch(f"/api/doctors/{doctor.pk}/", {"fee": "1.00"}).status_code == 404


def test_inviting_creates_the_login_membership_and_a_link(as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    response = as_user(alpha_admin).post(f"/api/doctors/{doctor.pk}/invite/")
    assert response.status_code == 200
    assert response.json()["has_login"] is True
    user = User.objects.get(email=doctor.email)
    assert user.role == Role.DOCTOR
    assert HospitalMembership.objects.filter(user=user, hospital=alpha, role="doctor", is_active=True).exists()
    assert Notification.objects.filter(template="doctor_invited", recipient=doctor.email).exists()


def test_creating_with_invite_does_both(as_user, alpha_admin):
    response = as_user(alpha_admin).post("/api/doctors/", {**NEW_DOCTOR, "invite": True})
    assert response.json()["has_login"] is True


def test_inviting_an_email_that_belongs_to_a_patient_is_a_409(as_user, alpha, alpha_admin, patient):
    doctor = make_doctor(alpha, email=patient.email)
    response = as_user(alpha_admin).post(f"/api/doctors/{doctor.pk}/invite/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_in_use"


def test_an_absurd_doctor_id_is_a_404(api):
    assert api.get("/api/doctors/" + "1" * 500 + "/").status_code == 404
    assert api.get("/api/doctors/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_deactivating_a_doctor_suspends_their_login_and_reactivating_restores_it(as_user, alpha, alpha_admin):
    doctor = make_doctor(alpha)
    doctor_user = _invited(alpha, doctor)
    client = as_user(doctor_user)
    assert client.get("/api/appointments/hospital/").status_code == 200

    as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "inactive"})
    assert client.get("/api/appointments/hospital/").status_code == 403

    as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "active"})
    assert client.get("/api/appointments/hospital/").status_code == 200
