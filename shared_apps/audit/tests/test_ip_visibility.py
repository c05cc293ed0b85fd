"""Minimum necessary: hospital admins see who (name, role), what and when; IP addresses only the superadmin sees."""

import pytest
from django.test import Client

from tenant_apps.appointments.tests.helpers import book, bookable_doctor
from tenant_apps.dashboard.tests.conftest import client_for

pytestmark = pytest.mark.django_db

PATIENT_IP = "203.0.113.77"


@pytest.fixture
def booked_from_a_known_address(as_user, alpha, patient):
    """A patient books at alpha from PATIENT_IP: its audit row holds that address."""
    patient.name = "Pat Example"
    patient.save(update_fields=["name"])
    doctor, day = bookable_doctor(alpha)
    client = as_user(patient)
    client.defaults["REMOTE_ADDR"] = PATIENT_IP
    assert book(client, doctor, day, "09:00").status_code == 201


def test_the_activity_page_shows_who_and_what_but_no_ip_address(booked_from_a_known_address, alpha_admin):
    html = client_for(alpha_admin).get("/activity/").content.decode()

    assert "appointment.booked" in html
    assert "Pat Example" in html
    assert "Patient" in html
    assert PATIENT_IP not in html
    assert "IP address" not in html


def test_the_audit_api_gives_hospital_admins_no_ip_address(booked_from_a_known_address, as_user, alpha_admin):
    rows = as_user(alpha_admin).get("/api/admin/audit-logs/", {"action": "appointment.booked"}).json()["results"]

    assert len(rows) == 1
    assert rows[0]["ip"] is None


def test_the_superadmin_sees_ip_addresses_in_the_api_and_the_django_admin(booked_from_a_known_address, as_user):
    from shared_apps.accounts.tests.factories import SuperadminFactory

    superadmin = SuperadminFactory()
    rows = as_user(superadmin).get("/api/admin/audit-logs/", {"action": "appointment.booked"}).json()["results"]
    assert [row["ip"] for row in rows] == [PATIENT_IP]

    django_admin = Client(HTTP_HOST="localhost")
    django_admin.force_login(superadmin)
    response = django_admin.get("/admin/audit/auditlog/", {"action": "appointment.booked"})
    assert response.status_code == 200
    assert PATIENT_IP in response.content.decode()
