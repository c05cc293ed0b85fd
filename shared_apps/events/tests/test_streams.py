"""The live streams against the project served over ASGI (uvicorn in a thread, as scripts/run serves it).

Data is committed: written by the module fixture or by the tests outside any test transaction (like the other
tests against a server, these are not `django_db` tests), in a hospital of their own deactivated afterwards.
"""

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from shared_apps.accounts.services import user_set_active
from shared_apps.accounts.tests.factories import PatientFactory, SuperadminFactory
from shared_apps.accounts.tokens import tokens_for
from shared_apps.events import streams
from shared_apps.events.models import Event
from shared_apps.events.services import event_record, events_publish
from shared_apps.events.tests.sse import Stream
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.tests.helpers import bookable_doctor
from tenant_apps.doctors.services import doctor_invite
from tenant_apps.doctors.tests.factories import admin_of, make_doctor


@pytest.fixture(scope="module")
def ward(served_project, django_db_blocker):
    from shared_apps.hospitals.services import hospital_set_active
    from shared_apps.hospitals.tests.factories import approved_hospital

    with django_db_blocker.unblock():
        suffix = uuid.uuid4().hex[:6]
        hospital = approved_hospital(name="Stream Ward", slug=f"live-{suffix}", timezone_name="Europe/London")
        other = approved_hospital(name="Other Ward", slug=f"live-other-{suffix}", timezone_name="Europe/London")
        admin = admin_of(hospital)
        doctor = make_doctor(hospital, name="Dr Live")
        with hospital_context(hospital):
            doctor = doctor_invite(actor=admin, hospital=hospital, doctor=doctor)
        yield {"hospital": hospital, "other": other, "admin": admin, "doctor": doctor, "served": served_project}
        superadmin = SuperadminFactory()
        for each in (hospital, other):
            hospital_set_active(actor=superadmin, hospital=each, active=False)


@pytest.fixture
def unblocked(django_db_blocker):
    with django_db_blocker.unblock():
        yield
        connection.close()


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {tokens_for(user)['access']}"}


def committed_event(hospital, patient, n) -> None:
    with transaction.atomic():
        event_record(
            type="waitlist.expired", hospital_id=hospital.pk, patient_id=patient.pk, data={"id": str(n), "offer": None}
        )


def wait_until(condition, seconds: float = 10) -> None:
    until = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < until, "timed out"
        time.sleep(0.02)


def test_a_patient_gets_their_events_live_and_after_a_server_restart_exactly_the_missed_ones(ward, unblocked):
    served, hospital = ward["served"], ward["hospital"]
    patient = PatientFactory().user
    with Stream(served.port, headers=bearer(patient)) as stream:
        assert stream.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        committed_event(hospital, patient, 1)
        committed_event(hospital, patient, 2)
        first = stream.take(2)
    assert [e.data["id"] for e in first] == ["1", "2"]
    assert first[0].type == "waitlist.expired"
    assert first[0].id < first[1].id

    served.stop()
    committed_event(hospital, patient, 3)  # while no server runs
    committed_event(hospital, patient, 4)
    served.start()
    with Stream(served.port, headers={**bearer(patient), "Last-Event-ID": str(first[-1].id)}) as stream:
        missed = stream.take(2)
        committed_event(hospital, patient, 5)
        live = stream.take(1)
    assert [e.data["id"] for e in missed + live] == ["3", "4", "5"]
    assert first[-1].id < missed[0].id < missed[1].id < live[0].id


def test_a_booking_through_the_api_reaches_the_patient_the_doctor_and_the_admin_but_no_one_else(ward, unblocked):
    served, hospital = ward["served"], ward["hospital"]
    patient, bystander = PatientFactory().user, PatientFactory().user
    with hospital_context(hospital):
        doctor, day = bookable_doctor(hospital, name="Dr Booked Live")
        doctor = doctor_invite(actor=ward["admin"], hospital=hospital, doctor=doctor)
    other_admin = admin_of(ward["other"])
    readers = {
        "patient": Stream(served.port, headers=bearer(patient)),
        "doctor": Stream(served.port, headers=bearer(doctor.user)),
        "admin": Stream(served.port, headers=bearer(ward["admin"])),
        "bystander": Stream(served.port, headers=bearer(bystander)),
        "other_admin": Stream(served.port, headers=bearer(other_admin)),
        "other_doctor": Stream(served.port, headers=bearer(ward["doctor"].user)),
    }
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=bearer(patient)["Authorization"])
    booked = api.post(
        "/api/appointments/book/",
        {"doctor_id": str(doctor.pk), "date": str(day), "time": "09:00"},
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    appointment_id = booked.json()["id"]

    (got,) = readers["patient"].take(1)
    assert (got.type, got.data["id"], got.data["status"]) == ("appointment.booked", appointment_id, "booked")
    assert got.data == {
        "id": appointment_id,
        "hospital_id": hospital.pk,
        "doctor_id": str(doctor.pk),
        "status": "booked",
        "starts_at": booked.json()["starts_at"],
    }
    for name in ("doctor", "admin"):
        assert {e.type for e in readers[name].take(2)} == {"appointment.booked", "slots.changed"}, name
    # The others' streams get nothing: an event meant for them after this one must be the next they read.
    committed_event(hospital, bystander, "marker")
    assert readers["bystander"].take(1)[0].data["id"] == "marker"
    for name in ("other_admin", "other_doctor"):
        readers[name].assert_quiet()
    for stream in readers.values():
        stream.close()


def test_a_stream_idle_longer_than_the_layers_blocking_receive_still_gets_events(ward, unblocked):
    """The channel layer waits for messages 5 s at a time (BZPOPMIN): an idle stream outlives several waits."""
    patient = PatientFactory().user
    with Stream(ward["served"].port, headers=bearer(patient)) as stream:
        time.sleep(6)
        committed_event(ward["hospital"], patient, "after-a-quiet-while")
        assert stream.take(1)[0].data["id"] == "after-a-quiet-while"


def test_two_processes_publishing_reach_one_stream_in_order_each_event_once(ward, unblocked):
    served, hospital = ward["served"], ward["hospital"]
    patient = PatientFactory().user
    script = (
        "import sys, django; django.setup()\n"
        "from django.db import transaction\n"
        "from shared_apps.events.services import event_record\n"
        "name, hospital, patient = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
        "for n in range(25):\n"
        "    with transaction.atomic():\n"
        "        event_record(type='waitlist.expired', hospital_id=hospital, patient_id=patient,\n"
        "                     data={'id': f'{name}-{n}', 'offer': None})\n"
    )
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    with Stream(served.port, headers=bearer(patient)) as stream:
        publishers = [
            subprocess.Popen([sys.executable, "-c", script, name, str(hospital.pk), str(patient.pk)], env=env)  # noqa: S603
            for name in ("a", "b")
        ]
        assert [p.wait(timeout=60) for p in publishers] == [0, 0]
        events = stream.take(50, deadline=20)
    ids = [e.id for e in events]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50
    assert sorted(e.data["id"] for e in events) == sorted(f"{p}-{n}" for p in "ab" for n in range(25))
    for name in "ab":  # each process's own events in the order it wrote them
        assert [e.data["id"] for e in events if e.data["id"][0] == name] == [f"{name}-{n}" for n in range(25)]


def test_a_deactivated_users_stream_ends_and_cannot_reopen(ward, unblocked):
    patient = PatientFactory().user
    headers = bearer(patient)
    with Stream(ward["served"].port, headers=headers) as stream:
        user_set_active(actor=SuperadminFactory(), user=patient, active=False)
        end = stream.take(1)[0]
        assert (end.type, end.id, end.data) == ("stream.end", None, {"reason": "access_ended"})
        assert stream.next() is None  # closed by the server
    with Stream(ward["served"].port, headers=headers) as again:
        assert again.status == 401
        assert again.json()["error"]["code"] == "authentication_failed"


def test_a_stream_ends_when_its_token_expires(ward, unblocked):
    patient = PatientFactory().user
    token = AccessToken.for_user(patient)
    token.set_exp(lifetime=dt.timedelta(seconds=1))
    started = time.monotonic()
    with Stream(ward["served"].port, headers={"Authorization": f"Bearer {token}"}) as stream:
        assert stream.status == 200
        end = stream.take(1, deadline=5)[0]
        assert (end.type, end.data) == ("stream.end", {"reason": "credentials_expired"})
        assert stream.next() is None
    assert time.monotonic() - started < 4


def test_a_client_that_reads_nothing_is_dropped_and_its_backlog_stays_in_the_log(ward, unblocked, settings):
    settings.EVENTS_WRITE_TIMEOUT_SECONDS = 0.5
    hospital, patient = ward["hospital"], PatientFactory().user
    before = streams.open_streams
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", ward["served"].port))
    request = f"GET /api/events/ HTTP/1.1\r\nHost: localhost\r\n{_header_lines(bearer(patient))}\r\n"
    client.sendall(request.encode())
    assert client.recv(64).startswith(b"HTTP/1.1 200")  # subscribed; from now on it reads nothing
    wait_until(lambda: streams.open_streams == before + 1)
    payload = {"id": "x" * 2000, "offer": None}
    Event.objects.bulk_create(
        Event(type="waitlist.expired", hospital_id=hospital.pk, patient_id=patient.pk, data=payload)
        for _ in range(3000)
    )
    events_publish()  # ~6 MB for this stream: far more than the socket buffers hold
    wait_until(lambda: streams.open_streams == before)  # the server gave up on it
    client.settimeout(10)
    received = 64
    while chunk := _recv_or_reset(client):
        received += len(chunk)
    client.close()
    assert received < 3000 * 2000  # it was dropped, not fed everything
    assert Event.objects.filter(patient_id=patient.pk, stream_id__isnull=False).count() == 3000


def _header_lines(headers: dict) -> str:
    return "".join(f"{name}: {value}\r\n" for name, value in headers.items())


def _recv_or_reset(client) -> bytes:
    try:
        return client.recv(65536)
    except ConnectionResetError:
        return b""


def test_refusals_answer_in_the_error_shape(ward, unblocked):
    port, hospital = ward["served"].port, ward["hospital"]
    cases = [
        ({}, "localhost", "/api/events/", 401, "not_authenticated"),
        (bearer(SuperadminFactory()), "localhost", "/api/events/", 403, "permission_denied"),
        ({**bearer(PatientFactory().user), "Last-Event-ID": "abc"}, "localhost", "/api/events/", 400, "invalid"),
        ({"Authorization": "Bearer not-a-token"}, "localhost", "/api/events/", 401, "authentication_failed"),
        (bearer(PatientFactory().user), f"{hospital.slug}.localhost", "/api/events/", 404, "not_found"),
        ({}, f"{hospital.slug}.localhost", "/events/", 401, "not_authenticated"),
        ({}, "localhost", "/events/", 404, "not_found"),
        ({}, "unknown.localhost", "/events/", 404, "not_found"),
    ]
    for headers, host, path, status, code in cases:
        with Stream(port, path, host=host, headers=headers) as stream:
            assert (stream.status, stream.json()["error"]["code"]) == (status, code), (headers, host, path)


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}


def test_the_dashboard_stream_serves_its_hospitals_staff_by_session(ward, unblocked):
    port, hospital = ward["served"].port, ward["hospital"]
    host = f"{hospital.slug}.localhost"
    other_admin = admin_of(ward["other"])
    with Stream(port, "/events/", host=host, headers=_session_cookie(other_admin)) as stranger:
        assert (stranger.status, stranger.json()["error"]["code"]) == (404, "not_found")
    patient = PatientFactory().user
    with (
        Stream(port, "/events/", host=host, headers=_session_cookie(ward["admin"])) as admin,
        Stream(port, "/events/", host=host, headers=_session_cookie(ward["doctor"].user)) as doctor,
    ):
        assert (admin.status, doctor.status) == (200, 200)
        committed_event(hospital, patient, "for-the-admin")
        with transaction.atomic():
            event_record(
                type="slots.changed",
                hospital_id=hospital.pk,
                doctor_user_id=ward["doctor"].user_id,
                data={"doctor_id": str(ward["doctor"].pk), "dates": None},
            )
        assert [e.type for e in admin.take(2)] == ["waitlist.expired", "slots.changed"]
        assert [e.type for e in doctor.take(1)] == ["slots.changed"]
