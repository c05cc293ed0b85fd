"""The superadmin's Django admin edits a hospital through the same service as the dashboard: audited, the
directory's copy of the city follows, and the cached public lists change at once."""

import pytest
from django.test import Client

from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import DoctorEntry
from shared_apps.hospitals.models import Hospital
from tenant_apps.doctors.tests.factories import make_doctor

pytestmark = pytest.mark.django_db


def change_url(hospital) -> str:
    return f"/admin/hospitals/hospital/{hospital.pk}/change/"


def admin_form(hospital, **changes) -> dict:
    form = {
        "name": hospital.name,
        "phone_number": hospital.phone_number,
        "address": hospital.address,
        "city": hospital.city,
        "timezone": hospital.timezone,
    }
    return {**form, **changes}


@pytest.fixture
def admin_client(superadmin):
    client = Client()
    client.force_login(superadmin)
    return client


def listed(api, hospital) -> dict:
    return next(row for row in api.get("/api/hospitals/").json()["results"] if row["id"] == hospital.pk)


def test_an_admin_edit_goes_through_the_profile_service(
    api, alpha, superadmin, admin_client, settings, django_capture_on_commit_callbacks
):
    settings.CATALOG_CACHE_SECONDS = 300
    doctor = make_doctor(alpha)
    assert listed(api, alpha)["city"] == "Testville"  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url(alpha), admin_form(alpha, name="Alpha Royal", city="Oxford", timezone="Europe/Dublin")
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    hospital = Hospital.objects.get(pk=alpha.pk)
    assert (hospital.name, hospital.city, hospital.timezone) == ("Alpha Royal", "Oxford", "Europe/Dublin")
    row = AuditLog.objects.get(hospital=alpha, action="hospital.profile_updated")
    assert (row.user_id, row.metadata) == (superadmin.pk, {"fields": ["city", "name", "timezone"]})
    assert DoctorEntry.objects.get(doctor_id=doctor.pk).city == "Oxford"
    assert (listed(api, alpha)["name"], listed(api, alpha)["city"]) == ("Alpha Royal", "Oxford")


def test_an_unchanged_admin_save_writes_no_audit_row(alpha, admin_client):
    assert admin_client.post(change_url(alpha), admin_form(alpha)).status_code == 302
    assert not AuditLog.objects.filter(hospital=alpha, action="hospital.profile_updated").exists()


def test_email_and_registration_number_are_read_only_in_the_admin(alpha, admin_client):
    page = admin_client.get(change_url(alpha)).content.decode()
    for field in ("email", "registration_number", "slug"):
        assert f'name="{field}"' not in page, field
    admin_client.post(change_url(alpha), admin_form(alpha, email="taken-over@example.com", registration_number="X"))
    hospital = Hospital.objects.get(pk=alpha.pk)
    assert (hospital.email, hospital.registration_number) == (alpha.email, alpha.registration_number)


def test_an_invalid_admin_edit_is_shown_on_the_form_and_nothing_changes(alpha, admin_client):
    response = admin_client.post(change_url(alpha), admin_form(alpha, timezone="Mars/Olympus", city="Oxford"))
    assert response.status_code == 200
    assert Hospital.objects.get(pk=alpha.pk).city == "Testville"
