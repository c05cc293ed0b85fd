import pytest
from django.test import Client

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.models import AuditLog
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import HELD, Appointment
from tenant_apps.appointments.services import appointment_cancel
from tenant_apps.waitlist.models import WaitlistEntry
from tenant_apps.waitlist.tests.helpers import full_doctor, join, match

pytestmark = pytest.mark.django_db
HOST = "alpha.localhost"


def _admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_sees_how_many_wait_per_doctor_and_date_and_the_queue(alpha, alpha_admin):
    doctor, day, _ = full_doctor(alpha)
    first, second = PatientFactory().user, PatientFactory().user
    join(alpha, first, doctor, day)
    join(alpha, second, doctor, day)

    page = _admin_client(alpha_admin).get("/waitlist/", HTTP_HOST=HOST)

    assert page.status_code == 200
    html = page.content.decode()
    assert doctor.name in html
    assert html.index(first.name) < html.index(second.name)  # queue order
    grid = page.context["grid"]
    assert [row["doctor"].pk for row in grid] == [doctor.pk]
    assert grid[0]["counts"][page.context["dates"].index(day)] == 2
    week = _admin_client(alpha_admin).get(f"/availability/{doctor.pk}/?week={day}", HTTP_HOST=HOST)
    assert next(d for d in week.context["days"] if d.date == day).waiting == 2
    assert "2 waiting" in week.content.decode()


def test_the_admin_removes_an_entry_with_its_hold_and_it_is_audited(alpha, alpha_admin, patient):
    doctor, day, (booked, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    with hospital_context(alpha):
        appointment_cancel(actor=booked.patient, hospital=alpha, appointment=booked)
    match(alpha, doctor)

    response = _admin_client(alpha_admin).post(f"/waitlist/{entry.pk}/remove/", HTTP_HOST=HOST)

    assert response.status_code == 302
    with hospital_context(alpha):
        assert WaitlistEntry.objects.get(pk=entry.pk).status == "left"
        assert not Appointment.objects.filter(doctor=doctor, status=HELD).exists()
    assert AuditLog.objects.filter(action="waitlist.removed", entity_id=str(entry.pk), user=alpha_admin).count() == 1


def test_a_held_slot_is_not_counted_as_free_on_the_overview(alpha):
    from tenant_apps.dashboard.selectors import doctors_available_on

    doctor, day, (first, _) = full_doctor(alpha)
    join(alpha, PatientFactory().user, doctor, day)
    with hospital_context(alpha):
        appointment_cancel(actor=first.patient, hospital=alpha, appointment=first)
    match(alpha, doctor)

    with hospital_context(alpha):
        assert Appointment.objects.filter(doctor=doctor, status=HELD).count() == 1
        (today,) = doctors_available_on(hospital=alpha, doctors=[doctor], day=day)
    assert today.free_slots_left == 0
