import pytest

from shared_apps.accounts.tests.factories import PatientFactory, SuperadminFactory
from shared_apps.audit.services import audit_record

pytestmark = pytest.mark.django_db

URL = "/api/admin/audit-logs/"


def test_superadmin_reads_and_filters_the_audit_log(as_user):
    admin = SuperadminFactory()
    audit_record(actor=admin, action="hospital.approved", entity="hospital", entity_id=7)
    audit_record(actor=admin, action="hospital.rejected", entity="hospital", entity_id=8)

    response = as_user(admin).get(URL, {"action": "hospital.approved", "user": admin.pk})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["action"], r["entity_id"], r["user_email"]) for r in rows] == [("hospital.approved", "7", admin.email)]


def test_patients_and_anonymous_users_cannot_read_the_audit_log(api, as_user):
    assert api.get(URL).status_code == 401
    assert as_user(PatientFactory().user).get(URL).status_code == 403


def test_a_bad_filter_is_a_400_not_a_500(as_user):
    response = as_user(SuperadminFactory()).get(URL, {"date_from": "yesterday", "user": "abc"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_admin_of_a_deactivated_hospital_reads_neither_its_audit_log_nor_its_notifications(
    as_user, alpha, alpha_admin
):
    from shared_apps.hospitals.services import hospital_set_active

    audit_record(actor=alpha_admin, action="doctor.created", entity="doctor", entity_id=1, hospital=alpha)
    client = as_user(alpha_admin)
    assert client.get(URL).json()["count"] >= 1

    hospital_set_active(actor=SuperadminFactory(), hospital=alpha, active=False)

    assert client.get(URL).json()["results"] == []
    assert client.get("/api/admin/notifications/").json()["results"] == []  # the same rule for both
