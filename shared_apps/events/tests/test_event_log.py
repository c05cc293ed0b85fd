"""The event log: what the services record, who reads it, and how it is numbered, published and pruned."""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory, SuperadminFactory
from shared_apps.common.tests.parallel import in_parallel
from shared_apps.events import groups
from shared_apps.events.models import Event
from shared_apps.events.selectors import audience_for, events_after, events_may_be_gone
from shared_apps.events.services import event_record, events_prune, events_publish
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
    appointment_reschedule,
)
from tenant_apps.appointments.tests.helpers import bookable_doctor, move_start_to_the_past
from tenant_apps.doctors.services import doctor_invite
from tenant_apps.doctors.tests.factories import admin_of
from tenant_apps.waitlist.models import WaitlistEntry
from tenant_apps.waitlist.tests.helpers import full_doctor, join, match


def _recorded(**filters) -> list[tuple[str, dict]]:
    return [(e.type, e.data) for e in Event.objects.filter(**filters).order_by("seq")]


@pytest.mark.django_db
def test_every_change_of_an_appointment_records_its_event_in_the_transaction(alpha, patient):
    doctor, day = bookable_doctor(alpha)
    admin = admin_of(alpha)
    with hospital_context(alpha):
        doctor = doctor_invite(actor=admin, hospital=alpha, doctor=doctor)
        booked = appointment_book(actor=patient, hospital=alpha, doctor=doctor, date=day, time=dt.time(9))
        appointment_reschedule(actor=patient, hospital=alpha, appointment=booked, date=day, time=dt.time(10))
        appointment_cancel(actor=patient, hospital=alpha, appointment=booked)
        second = appointment_book(actor=patient, hospital=alpha, doctor=doctor, date=day, time=dt.time(11))
        third = appointment_book(actor=patient, hospital=alpha, doctor=doctor, date=day, time=dt.time(11, 30))
    for hours, appointment in enumerate((second, third), start=1):
        move_start_to_the_past(alpha, appointment.pk, hours=hours)
    with hospital_context(alpha):
        appointment_complete(actor=admin, hospital=alpha, appointment=second)
        appointment_mark_no_show(actor=admin, hospital=alpha, appointment=third)

    rows = Event.objects.filter(type__startswith="appointment.").order_by("seq")
    assert [(e.type, e.data["id"]) for e in rows] == [
        ("appointment.booked", str(booked.pk)),
        ("appointment.rescheduled", str(booked.pk)),
        ("appointment.cancelled", str(booked.pk)),
        ("appointment.booked", str(second.pk)),
        ("appointment.booked", str(third.pk)),
        ("appointment.completed", str(second.pk)),
        ("appointment.no_show", str(third.pk)),
    ]
    moved = rows[1]
    assert moved.data == {
        "id": str(booked.pk),
        "hospital_id": alpha.pk,
        "doctor_id": str(doctor.pk),
        "status": "booked",
        "starts_at": dt.datetime.combine(day, dt.time(10), tzinfo=alpha.zone).isoformat(timespec="seconds"),
    }
    assert {(e.hospital_id, e.patient_id, e.doctor_user_id) for e in rows} == {(alpha.pk, patient.pk, doctor.user_id)}
    assert [e.data["status"] for e in rows][2:] == ["cancelled", "booked", "booked", "completed", "no_show"]
    assert rows[0].stream_id is None  # numbered only after commit (the test's transaction never commits)
    slot_events = _recorded(type="slots.changed", doctor_user_id=doctor.user_id)
    # Three bookings, the move and the cancellation moved free slots; completing and the no-show did not.
    assert slot_events == [("slots.changed", {"doctor_id": str(doctor.pk), "dates": [day.isoformat()]})] * 5


@pytest.mark.django_db
def test_a_waitlist_offer_and_its_lapse_are_events_for_the_patient(alpha):
    doctor, day, (taken, _) = full_doctor(alpha)
    waiting = PatientFactory().user
    entry = join(alpha, waiting, doctor, day)
    with hospital_context(alpha):
        appointment_cancel(actor=taken.patient, hospital=alpha, appointment=taken)
    match(alpha, doctor)
    with hospital_context(alpha):
        entry = WaitlistEntry.objects.get(pk=entry.pk)
        WaitlistEntry.objects.filter(pk=entry.pk).update(offer_expires_at=timezone.now() - dt.timedelta(seconds=1))
    match(alpha, doctor)

    offered, lapsed = Event.objects.filter(type__startswith="waitlist.").order_by("seq")
    offer = {
        "date": day.isoformat(),
        "time": "09:00",
        "starts_at": dt.datetime.combine(day, dt.time(9), tzinfo=alpha.zone).isoformat(timespec="seconds"),
        "expires_at": entry.offer_expires_at.astimezone(alpha.zone).isoformat(timespec="seconds"),
    }
    assert (offered.type, offered.data) == ("waitlist.offered", {"id": str(entry.pk), "offer": offer})
    assert lapsed.type == "waitlist.expired"
    assert lapsed.data["id"] == str(entry.pk)
    assert lapsed.data["offer"]["starts_at"] == offer["starts_at"]
    assert {(e.hospital_id, e.patient_id) for e in (offered, lapsed)} == {(alpha.pk, waiting.pk)}


@pytest.mark.django_db
def test_a_change_that_rolls_back_records_no_event(alpha, patient):
    doctor, day = bookable_doctor(alpha)

    def book_then_fail():
        with transaction.atomic(), hospital_context(alpha):
            appointment_book(actor=patient, hospital=alpha, doctor=doctor, date=day, time=dt.time(9))
            raise RuntimeError("the request failed after the booking")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert not Event.objects.filter(patient_id=patient.pk).exists()


@pytest.mark.django_db
def test_events_are_numbered_after_commit_in_order_and_published_to_their_readers(
    alpha, patient, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("shared_apps.events.services._send_all", lambda messages: sent.append(messages))
    with django_capture_on_commit_callbacks(execute=True):
        first = event_record(type="waitlist.expired", hospital_id=alpha.pk, patient_id=patient.pk, data={"n": 1})
        second = event_record(type="slots.changed", hospital_id=alpha.pk, doctor_user_id=7, data={"n": 2})
        first.refresh_from_db()
        assert first.stream_id is None
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.stream_id < second.stream_id
    wakes = {group: message["stream_id"] for batch in sent for group, message in batch.items()}
    assert wakes == {
        groups.hospital(alpha.pk): second.stream_id,
        groups.patient(patient.pk): first.stream_id,
        groups.doctor(7): second.stream_id,
    }


def test_stream_ids_follow_commit_order_not_write_order(django_db_setup, django_db_blocker):
    """A transaction that wrote its event first but commits last gets the larger id: a client that has seen the
    other one's id and resumes after it still gets this one."""
    hospital_id = 10**6 + uuid.uuid4().int % 10**6  # no hospital reads these
    written = threading.Event()

    def slow():
        with transaction.atomic():
            event = event_record(type="slots.changed", hospital_id=hospital_id, data={"who": "slow"})
            written.set()
            time.sleep(0.3)
        return event.pk

    def quick():
        assert written.wait(5)
        with transaction.atomic():
            event = event_record(type="slots.changed", hospital_id=hospital_id, data={"who": "quick"})
        return event.pk

    with django_db_blocker.unblock():
        try:
            slow_seq, quick_seq = in_parallel([slow, quick])
            assert slow_seq < quick_seq  # written first
            ids = dict(Event.objects.filter(hospital_id=hospital_id).values_list("data__who", "stream_id"))
            assert ids["quick"] < ids["slow"]  # committed first
        finally:
            Event.objects.filter(hospital_id=hospital_id).delete()
            connection.close()


@pytest.mark.django_db
def test_events_are_kept_for_the_retention_and_a_client_away_longer_is_told_to_resync(alpha, patient, settings):
    settings.EVENTS_RETENTION_HOURS = 24
    old = event_record(type="waitlist.expired", hospital_id=alpha.pk, patient_id=patient.pk, data={})
    recent = event_record(type="waitlist.expired", hospital_id=alpha.pk, patient_id=patient.pk, data={})
    unpublished = event_record(type="waitlist.expired", hospital_id=alpha.pk, patient_id=patient.pk, data={})
    events_publish()
    unpublished_old = timezone.now() - dt.timedelta(hours=30)
    Event.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    Event.objects.filter(pk=recent.pk).update(created_at=timezone.now() - dt.timedelta(hours=23))
    Event.objects.filter(pk=unpublished.pk).update(created_at=unpublished_old, stream_id=None)
    old.refresh_from_db()

    assert events_prune() == 1
    assert set(Event.objects.filter(patient_id=patient.pk).values_list("pk", flat=True)) == {recent.pk, unpublished.pk}
    assert events_may_be_gone(old.stream_id - 1)  # it missed `old`, which is gone
    assert not events_may_be_gone(old.stream_id)  # it saw `old`: `recent` is next
    assert not events_may_be_gone(0)


AUDIENCE_READERS = ["patient", "other_patient", "admin", "other_admin", "doctor", "colleague", "superadmin"]


@pytest.mark.django_db
def test_each_reader_gets_exactly_the_events_meant_for_them(alpha, beta):
    """Every (event, reader) pair, both ways a stream finds its events: the log query and the wake-up groups."""
    admin = admin_of(alpha)
    users = {"patient": PatientFactory().user, "other_patient": PatientFactory().user, "admin": admin}
    users["other_admin"] = admin_of(beta)
    users["superadmin"] = SuperadminFactory()
    doctors = {}
    for name in ("doctor", "colleague"):
        doctor, day = bookable_doctor(alpha)
        with hospital_context(alpha):
            doctors[name] = doctor_invite(actor=admin, hospital=alpha, doctor=doctor)
        users[name] = doctors[name].user
    with hospital_context(alpha):
        appointment_book(actor=users["patient"], hospital=alpha, doctor=doctors["doctor"], date=day, time=dt.time(9))
    event_record(type="waitlist.offered", hospital_id=alpha.pk, patient_id=users["patient"].pk, data={})
    events_publish()
    booked, slots, offered = (
        Event.objects.filter(type=type, hospital_id=alpha.pk).latest("stream_id")
        for type in ("appointment.booked", "slots.changed", "waitlist.offered")
    )
    assert slots.doctor_user_id == users["doctor"].pk
    expected = {
        "patient": {booked, offered},
        "other_patient": set(),
        "admin": {booked, slots, offered},
        "other_admin": set(),
        "doctor": {booked, slots},
        "colleague": set(),
        "superadmin": set(),
    }
    for reader in AUDIENCE_READERS:
        audience = audience_for(users[reader])
        if reader == "superadmin":
            assert audience is None
            continue
        seen = set(events_after(audience, min(booked.stream_id, slots.stream_id) - 1)) & {booked, slots, offered}
        assert seen == expected[reader], reader
        for event in (booked, slots, offered):
            readers = groups.readers_of(
                hospital_id=event.hospital_id, patient_id=event.patient_id, doctor_user_id=event.doctor_user_id
            )
            woken = bool(set(audience.wake_groups) & set(readers))
            assert woken == (event in expected[reader]), (reader, event.type)
    assert audience_for(users["admin"], beta) is None  # the dashboard of another hospital
    assert audience_for(users["patient"], alpha) is None  # patients have no dashboard stream


@pytest.mark.django_db
def test_without_an_asgi_server_the_endpoint_answers_the_missed_events_and_ends(alpha, patient, as_user):
    event_record(type="waitlist.expired", hospital_id=alpha.pk, patient_id=patient.pk, data={"n": 1})
    event_record(type="waitlist.expired", hospital_id=alpha.pk, patient_id=PatientFactory().user.pk, data={"n": 2})
    events_publish()
    mine = Event.objects.get(patient_id=patient.pk)
    client = as_user(patient)

    fresh = client.get("/api/events/", HTTP_ACCEPT="text/event-stream")
    assert fresh["Content-Type"].startswith("text/event-stream")
    assert fresh.content.decode().endswith(f"id: {Event.objects.latest('stream_id').stream_id}\n\n")  # resume point

    resumed = client.get("/api/events/", HTTP_LAST_EVENT_ID=str(mine.stream_id - 1)).content.decode()
    assert resumed == f'retry: 3000\n\nid: {mine.stream_id}\nevent: waitlist.expired\ndata: {{"n":1}}\n\n'

    bad = client.get("/api/events/", HTTP_LAST_EVENT_ID="-1")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid")
