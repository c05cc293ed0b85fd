"""Schedules under real parallel transactions (threads, each with its own connection, committed data).

Like tenant_apps/appointments/tests/test_concurrency.py, these run outside pytest-django's per-test transaction
and leave their hospital deactivated afterwards.
"""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.accounts.tokens import tokens_for
from shared_apps.common.tests.parallel import in_parallel
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment
from tenant_apps.doctors.models import TimeOff, WeeklyHours
from tenant_apps.doctors.services import schedule_set, time_off_add
from tenant_apps.doctors.tests.factories import admin_of, make_doctor

ROUNDS = 4


@pytest.fixture(scope="module")
def ward(django_db_setup, django_db_blocker):
    from shared_apps.accounts.tests.factories import SuperadminFactory
    from shared_apps.hospitals.services import hospital_set_active
    from shared_apps.hospitals.tests.factories import approved_hospital

    with django_db_blocker.unblock():
        hospital = approved_hospital(
            name="Schedule Race", slug=f"sched-{uuid.uuid4().hex[:6]}", timezone_name="Europe/London"
        )
        patients = [PatientFactory().user for _ in range(ROUNDS)]
        yield {"hospital": hospital, "admin": admin_of(hospital), "patients": patients}
        hospital_set_active(actor=SuperadminFactory(), hospital=hospital, active=False)


def test_the_database_refuses_overlapping_weekly_hours_written_by_two_transactions(ward, django_db_blocker):
    with django_db_blocker.unblock():
        doctor = make_doctor(ward["hospital"])

        first_written = threading.Event()

        def insert(start, end, *, after=None, then=None):
            def call():
                if after is not None:
                    assert after.wait(10)
                with hospital_context(ward["hospital"]), transaction.atomic():
                    WeeklyHours.objects.create(
                        doctor=doctor,
                        weekday=0,
                        start_time=start,
                        end_time=end,
                        valid_from=dt.date(2030, 1, 1),
                    )
                    if then is not None:
                        then.set()
                    time.sleep(0.2)  # the second insert is in flight, waiting on this uncommitted row
                return "saved"

            return call

        # The second writes only once the first's row is in (uncommitted): had both rows reached the index together,
        # each would wait for the other and PostgreSQL would end one with a deadlock instead of the refusal under test.
        results = in_parallel(
            [
                insert(dt.time(9), dt.time(12), then=first_written),
                insert(dt.time(11), dt.time(13), after=first_written),
            ]
        )

        assert results[0] == "saved", results
        assert isinstance(results[1], IntegrityError), results
        error = results[1]
        assert error.__cause__.diag.constraint_name == "doctors_weekly_no_overlap"
        with hospital_context(ward["hospital"]):
            assert WeeklyHours.objects.filter(doctor=doctor).count() == 1
        connection.close()


def _book(patient, doctor, day, at):
    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(patient)['access']}")
        body = {"doctor_id": str(doctor.pk), "date": str(day), "time": at}
        response = client.post("/api/appointments/book/", body, format="json")
        return response.status_code, response.json()

    return call


def _take_time_off(ward, doctor, day):
    def call():
        with hospital_context(ward["hospital"]):
            _, cancelled = time_off_add(
                actor=ward["admin"],
                hospital=ward["hospital"],
                doctor=doctor,
                start_date=day,
                end_date=day,
                cancel_appointments=True,
            )
        return [str(pk) for pk in cancelled]

    return call


def test_a_booking_racing_time_off_never_stays_booked_inside_it(ward, django_db_blocker):
    """Whichever commits first, the end state is the same: no booked appointment inside the time off, and a
    booking that landed first was cancelled (and its patient told) by the time off."""
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        today = timezone.now().astimezone(hospital.zone).date()
        for n, patient in enumerate(ward["patients"]):
            doctor = make_doctor(hospital, slot_minutes=60)
            day = today + dt.timedelta(days=10 + n)
            with hospital_context(hospital):
                weekly = {"weekday": day.weekday(), "start_time": dt.time(9), "end_time": dt.time(12)}
                schedule_set(actor=ward["admin"], hospital=hospital, doctor=doctor, weekly_hours=[weekly])

            booking, cancelled = in_parallel([_book(patient, doctor, day, "10:00"), _take_time_off(ward, doctor, day)])

            status, body = booking
            assert not isinstance(cancelled, Exception), cancelled
            if status == 201:
                assert cancelled == [body["id"]]
            else:
                assert (status, body["error"]["code"]) == (409, "slot_unavailable"), booking
                assert cancelled == []
            with hospital_context(hospital):
                assert TimeOff.objects.filter(doctor=doctor).count() == 1
                assert not Appointment.objects.filter(doctor=doctor, status="booked").exists()
        connection.close()
