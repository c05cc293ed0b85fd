"""The dashboard's share of the lifecycle: the no-show button, the patient's no-show count, who cancelled."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.directory.models import BookingEntry
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.services import appointment_cancel
from tenant_apps.appointments.tests.helpers import bookable_doctor, move_start_to_the_past
from tenant_apps.dashboard.tests.conftest import book_slot
from tenant_apps.dashboard.tests.test_mutations import audit_actions, errors_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(alpha):
    doctor, day = bookable_doctor(alpha)
    appointment = book_slot(alpha, doctor, day)
    move_start_to_the_past(alpha, appointment.pk)
    return appointment


def test_the_detail_page_has_a_no_show_form_with_csrf(admin_client, started):
    html = admin_client.get(f"/appointments/{started.pk}/").content.decode()
    form = html[html.index(f'action="/appointments/{started.pk}/no-show/"') :]
    assert form.index("csrfmiddlewaretoken") < form.index("</form>")
    assert "Record a no-show" in form


def test_the_admin_records_a_no_show_and_the_count_shows_on_the_patients_appointments(alpha, admin_client, started):
    later = book_slot(alpha, started.doctor, started.appointment_date, "11:00", patient=started.patient)

    response = admin_client.post(f"/appointments/{started.pk}/no-show/", follow=True)

    assert response.status_code == 200
    assert "The no-show was recorded." in errors_in(response)
    with hospital_context(alpha):
        assert Appointment.objects.get(pk=started.pk).status == "no_show"
    assert BookingEntry.objects.get(appointment_id=started.pk).status == "no_show"
    assert "appointment.no_show" in audit_actions(alpha, entity_id=str(started.pk))
    detail = admin_client.get(f"/appointments/{later.pk}/").content.decode()
    assert 'data-testid="patient-no-shows">1<' in detail
    listing = admin_client.get("/appointments/", {"date_from": ""}).content.decode()
    assert "1 no-show in 90 days" in listing
    assert admin_client.get("/appointments/", {"status": "no_show"}).status_code == 200


def test_a_no_show_before_the_start_is_an_inline_409(alpha, admin_client):
    doctor, day = bookable_doctor(alpha)
    upcoming = book_slot(alpha, doctor, day)
    response = admin_client.post(f"/appointments/{upcoming.pk}/no-show/")
    assert response.status_code == 409
    assert "only once the appointment has started" in errors_in(response)


def test_the_list_counts_no_shows_without_a_query_per_row(alpha, admin_client, started):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/appointments/", {"date_from": ""}).status_code == 200
        return len(captured.captured_queries)

    admin_client.get("/appointments/", {"date_from": ""})  # warm up
    one_row = queries()
    for time in ("09:30", "10:00", "10:30"):
        book_slot(alpha, started.doctor, started.appointment_date, time, patient=PatientFactory().user)
    assert queries() == one_row


def test_who_cancelled_shows_where_the_cancellation_shows(alpha, alpha_admin, admin_client):
    doctor, day = bookable_doctor(alpha)
    by_patient, by_hospital = book_slot(alpha, doctor, day), book_slot(alpha, doctor, day, "10:00")
    with hospital_context(alpha):
        appointment_cancel(actor=by_patient.patient, hospital=alpha, appointment=by_patient)
        appointment_cancel(actor=alpha_admin, hospital=alpha, appointment=by_hospital)

    assert "by the patient" in admin_client.get(f"/appointments/{by_patient.pk}/").content.decode()
    assert "by the hospital" in admin_client.get(f"/appointments/{by_hospital.pk}/").content.decode()
    listing = admin_client.get("/appointments/", {"status": "cancelled", "date_from": ""}).content.decode()
    assert "by patient" in listing
    assert "by hospital" in listing


def test_the_overview_counts_this_weeks_no_shows(alpha, admin_client):
    today = timezone.now().astimezone(alpha.zone).date()
    doctor, _ = bookable_doctor(alpha)
    with hospital_context(alpha):
        starts_at = timezone.now() - dt.timedelta(minutes=30)
        Appointment.objects.create(
            doctor=doctor,
            patient=PatientFactory().user,
            appointment_date=today,
            appointment_time=starts_at.astimezone(alpha.zone).time().replace(microsecond=0),
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=30),
            status="no_show",
        )
    assert 'data-testid="week-no-shows">1<' in admin_client.get("/").content.decode()
