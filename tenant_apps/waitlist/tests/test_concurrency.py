"""The waitlist under real parallel transactions: threads, each with its own connection, against committed data.

Like tenant_apps/appointments/tests/test_concurrency.py these run outside pytest-django's per-test transaction
(commits fire the after-commit matching, run in-process here: Celery eager) and leave their hospital deactivated.
"""

import datetime as dt
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.accounts.tokens import tokens_for
from shared_apps.audit.models import AuditLog
from shared_apps.common.tests.parallel import in_parallel
from shared_apps.directory.models import WaitlistListing
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import HELD, Appointment
from tenant_apps.appointments.services import appointment_cancel
from tenant_apps.waitlist.models import WaitlistEntry
from tenant_apps.waitlist.tasks import waitlist_match_doctor, waitlist_sweep_all
from tenant_apps.waitlist.tests.helpers import full_doctor, join

ROUNDS = 4


@pytest.fixture(scope="module")
def ward(django_db_setup, django_db_blocker):
    from config.celery import app
    from shared_apps.accounts.tests.factories import SuperadminFactory
    from shared_apps.hospitals.services import hospital_set_active
    from shared_apps.hospitals.tests.factories import approved_hospital

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the matching queued after commit runs in the committing thread
    with django_db_blocker.unblock():
        hospital = approved_hospital(
            name="Waitlist Race", slug=f"wait-{uuid.uuid4().hex[:6]}", timezone_name="Europe/London"
        )
        try:
            yield {"hospital": hospital}
        finally:
            app.conf.task_always_eager = eager
            hospital_set_active(actor=SuperadminFactory(), hospital=hospital, active=False)


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user)['access']}")
    return client


def _cancel(hospital, appointment):
    def call():
        with hospital_context(hospital):
            appointment_cancel(actor=appointment.patient, hospital=hospital, appointment=appointment)
        return "cancelled"

    return call


def _book(user, doctor, day, at):
    def call():
        body = {"doctor_id": str(doctor.pk), "date": str(day), "time": at}
        response = _client(user).post("/api/appointments/book/", body, format="json")
        return response.status_code, response.json()

    return call


DELAYS = (0.0, 0.1, 0.3, 0.8)


def _after(seconds, call):
    def run():
        time.sleep(seconds)
        return call()

    return run


def _state(hospital, doctor):
    with hospital_context(hospital):
        entries = {e.pk: e for e in WaitlistEntry.objects.filter(doctor=doctor)}
        rows = list(Appointment.objects.filter(doctor=doctor).values_list("status", "patient_id", "starts_at"))
    return entries, rows


def test_a_cancellation_racing_a_booking_gives_the_slot_to_one_of_them(ward, django_db_blocker):
    """Either the booking wins and nobody is offered the slot, or the hold wins and the booking is a 409; never
    both, never neither."""
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        outcomes = set()
        for n in range(ROUNDS):
            doctor, day, (booked,) = full_doctor(hospital, days=3 + n, slots=1)
            waiting = PatientFactory().user
            entry = join(hospital, waiting, doctor, day)
            racer = PatientFactory().user

            late = _after(DELAYS[n % len(DELAYS)], _book(racer, doctor, day, "09:00"))  # so each side wins sometimes
            cancelled, (status, body) = in_parallel([_cancel(hospital, booked), late])

            assert cancelled == "cancelled", cancelled
            entries, rows = _state(hospital, doctor)
            occupying = [(s, p) for s, p, _ in rows if s in ("booked", HELD)]
            if status == 201:
                assert occupying == [("booked", racer.pk)]
                assert entries[entry.pk].status == "waiting"
                outcomes.add("booking won")
            else:
                assert (status, body["error"]["code"]) == (409, "slot_taken"), body
                assert occupying == [(HELD, waiting.pk)]
                assert entries[entry.pk].status == "offered"
                outcomes.add("hold won")
        connection.close()
    assert outcomes  # which side wins is the scheduler's choice; the invariant holds in every round


def test_two_cancellations_at_once_make_one_offer_to_the_one_waiting_patient(ward, django_db_blocker):
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        for n in range(ROUNDS):
            doctor, day, (first, second) = full_doctor(hospital, days=10 + n, slots=2)
            waiting = PatientFactory().user
            entry = join(hospital, waiting, doctor, day)

            results = in_parallel([_cancel(hospital, first), _cancel(hospital, second)])

            assert results == ["cancelled", "cancelled"], results
            entries, rows = _state(hospital, doctor)
            assert entries[entry.pk].status == "offered"
            assert [(s, p) for s, p, _ in rows if s == HELD] == [(HELD, waiting.pk)]
            assert AuditLog.objects.filter(action="waitlist.offered", entity_id=str(entry.pk)).count() == 1
        connection.close()


def test_accept_racing_expiry_either_books_or_expires_never_both(ward, django_db_blocker):
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        outcomes = set()
        for n in range(ROUNDS * 2):
            doctor, day, (booked,) = full_doctor(hospital, days=20 + n, slots=1)
            patient, nxt = PatientFactory().user, PatientFactory().user
            entry = join(hospital, patient, doctor, day)
            second = join(hospital, nxt, doctor, day)
            _cancel(hospital, booked)()
            lapse_at = timezone.now() + dt.timedelta(milliseconds=300)
            with hospital_context(hospital):
                assert WaitlistEntry.objects.get(pk=entry.pk).status == "offered"
                WaitlistEntry.objects.filter(pk=entry.pk).update(offer_expires_at=lapse_at)
            WaitlistListing.objects.filter(entry_id=entry.pk).update(offer_expires_at=lapse_at)

            def at_lapse(call, skew, lapse_at=lapse_at):
                def run():
                    time.sleep(max(0.0, (lapse_at - timezone.now()).total_seconds() + skew))
                    return call()

                return run

            def accept(patient=patient, entry=entry):
                response = _client(patient).post(f"/api/waitlist/{entry.pk}/accept/")
                return response.status_code, response.json()

            skew = (-0.01, 0.0, 0.01)[n % 3]
            (status, body), swept = in_parallel([at_lapse(accept, skew), at_lapse(waitlist_sweep_all, 0.0)])

            assert not isinstance(swept, Exception), swept
            entries, rows = _state(hospital, doctor)
            if status == 201:
                assert entries[entry.pk].status == "booked"
                assert [(s, p) for s, p, _ in rows if s in ("booked", HELD)] == [("booked", patient.pk)]
                assert entries[second.pk].status == "waiting"
                outcomes.add("accepted")
            else:
                assert (status, body["error"]["code"]) == (409, "offer_expired"), body
                assert entries[entry.pk].status == "waiting"  # the lapsed offer released, the entry in line again
                assert [(s, p) for s, p, _ in rows if s in ("booked", HELD)] == [(HELD, nxt.pk)]
                assert entries[second.pk].status == "offered"
                outcomes.add("expired")
        connection.close()
    assert outcomes


def test_a_decline_chain_through_three_patients(ward, django_db_blocker):
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        doctor, day, (booked,) = full_doctor(hospital, days=40, slots=1)
        patients = [PatientFactory().user for _ in range(3)]
        entries = [join(hospital, p, doctor, day) for p in patients]
        _cancel(hospital, booked)()

        for n in range(2):
            state, _ = _state(hospital, doctor)
            assert [state[e.pk].status for e in entries] == ["waiting"] * n + ["offered"] + ["waiting"] * (2 - n)
            response = _client(patients[n]).post(f"/api/waitlist/{entries[n].pk}/decline/")
            assert (response.status_code, response.json()["status"]) == (200, "waiting")

        state, _ = _state(hospital, doctor)
        assert [state[e.pk].status for e in entries] == ["waiting", "waiting", "offered"]
        accepted = _client(patients[2]).post(f"/api/waitlist/{entries[2].pk}/accept/")
        assert (accepted.status_code, accepted.json()["status"]) == (201, "booked")
        state, rows = _state(hospital, doctor)
        assert [state[e.pk].status for e in entries] == ["waiting", "waiting", "booked"]
        assert [(s, p) for s, p, _ in rows if s in ("booked", HELD)] == [("booked", patients[2].pk)]
        offered = AuditLog.objects.filter(action="waitlist.offered", entity_id__in=[str(e.pk) for e in entries])
        assert offered.count() == 3  # one offer each, none twice
        connection.close()


def test_a_worker_killed_between_freeing_and_offering_is_completed_by_the_beat_once(
    ward, django_db_blocker, monkeypatch
):
    with django_db_blocker.unblock():
        hospital = ward["hospital"]
        doctor, day, (booked,) = full_doctor(hospital, days=50, slots=1)
        patient = PatientFactory().user
        entry = join(hospital, patient, doctor, day)

        lost = []
        monkeypatch.setattr("tenant_apps.waitlist.backfill.queue_match", lambda **kw: lost.append(kw))
        _cancel(hospital, booked)()  # committed: the slot is free; its matching task never ran (lost)
        assert lost == [{"hospital_id": hospital.pk, "doctor_id": doctor.pk}]
        monkeypatch.undo()

        def killed(*args, **kwargs):
            raise SystemExit("worker killed")  # mid-task: its transaction rolls back

        monkeypatch.setattr("tenant_apps.waitlist.services._notify_offer", killed)
        with pytest.raises(SystemExit):
            waitlist_match_doctor(hospital.pk, str(doctor.pk))
        monkeypatch.undo()
        entries, rows = _state(hospital, doctor)
        assert entries[entry.pk].status == "waiting"
        assert [s for s, _, _ in rows if s == HELD] == []

        results = in_parallel([waitlist_sweep_all, waitlist_sweep_all])  # two beat runs overlapping

        assert sorted(results) == [0, 1], results
        entries, rows = _state(hospital, doctor)
        assert entries[entry.pk].status == "offered"
        assert [(s, p) for s, p, _ in rows if s == HELD] == [(HELD, patient.pk)]
        assert waitlist_sweep_all() == 0
        assert AuditLog.objects.filter(action="waitlist.offered", entity_id=str(entry.pk)).count() == 1
        connection.close()
