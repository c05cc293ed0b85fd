import datetime as dt

import pytest
from django.utils import timezone

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry, WaitlistListing
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.notifications.models import Notification
from shared_apps.notifications.registry import builder_for
from tenant_apps.appointments.models import HELD, Appointment
from tenant_apps.appointments.services import appointment_book, appointment_cancel
from tenant_apps.appointments.tests.helpers import book
from tenant_apps.doctors.services import doctor_update, time_off_add
from tenant_apps.doctors.tests.factories import admin_of, make_doctor, open_day
from tenant_apps.waitlist.models import WaitlistEntry
from tenant_apps.waitlist.services import waitlist_sweep
from tenant_apps.waitlist.tests.helpers import full_doctor, join, match

pytestmark = pytest.mark.django_db


def _cancel(hospital, appointment):
    with hospital_context(hospital):
        appointment_cancel(actor=appointment.patient, hospital=hospital, appointment=appointment)


def _entry(hospital, entry_id):
    with hospital_context(hospital):
        return WaitlistEntry.objects.select_related("hold").get(pk=entry_id)


def _post(client, doctor, day, **extra):
    body = {"doctor_id": str(doctor.pk), "date_from": str(day), "date_to": str(day), **extra}
    return client.post("/api/waitlist/", body, format="json")


def test_join_answers_the_contract_shape_and_lists_it(as_user, alpha, patient):
    doctor, day, _ = full_doctor(alpha)
    client = as_user(patient)

    response = _post(client, doctor, day, time_from="09:00", time_to="12:00")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id", "doctor_id", "hospital_id", "date_from", "date_to", "time_from", "time_to", "status", "offer",
        "created_at",
    }  # fmt: skip
    assert (body["status"], body["offer"], body["hospital_id"]) == ("waiting", None, alpha.pk)
    assert (body["time_from"], body["time_to"], body["date_from"]) == ("09:00", "12:00", str(day))
    listed = client.get("/api/waitlist/").json()
    assert listed["count"] == 1
    assert listed["results"][0] == body
    assert AuditLog.objects.filter(action="waitlist.joined", entity_id=body["id"]).count() == 1


def test_one_active_entry_per_patient_and_doctor(as_user, alpha, patient):
    doctor, day, _ = full_doctor(alpha)
    client = as_user(patient)
    assert _post(client, doctor, day).status_code == 201

    again = _post(client, doctor, day + dt.timedelta(days=1))

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_waiting"
    entry_id = client.get("/api/waitlist/").json()["results"][0]["id"]
    assert client.delete(f"/api/waitlist/{entry_id}/").status_code == 204
    assert _post(client, doctor, day).status_code == 201  # a left entry is not active


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date_from": "past"}, "date_from"),
        ({"date_to": "beyond"}, "date_to"),
        ({"date_to": "before"}, "date_to"),
        ({"time_from": "10:00"}, "time_to"),
        ({"time_to": "10:00"}, "time_from"),
        ({"time_from": "10:00", "time_to": "10:00"}, "time_to"),
        ({"time_from": "10:00", "time_to": "09:00"}, "time_to"),
        ({"doctor_id": "unknown"}, "doctor_id"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(as_user, alpha, patient, change, field):
    doctor, day, _ = full_doctor(alpha)
    today = timezone.now().astimezone(alpha.zone).date()
    values = {
        "past": str(today - dt.timedelta(days=1)),
        "beyond": str(today + dt.timedelta(days=alpha.booking_horizon_days + 1)),
        "before": str(day - dt.timedelta(days=1)),
        "unknown": "00000000-0000-4000-8000-000000000000",
    }
    body = {"doctor_id": str(doctor.pk), "date_from": str(day), "date_to": str(day)}
    body.update({k: values.get(v, v) for k, v in change.items()})

    response = as_user(patient).post("/api/waitlist/", body, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]


def test_an_inactive_doctor_has_no_waitlist(as_user, alpha, alpha_admin, patient):
    doctor, day, _ = full_doctor(alpha)
    with hospital_context(alpha):
        doctor_update(actor=alpha_admin, hospital=alpha, doctor=doctor, status="inactive")

    response = _post(as_user(patient), doctor, day)

    assert response.status_code == 400
    assert "doctor_id" in response.json()["error"]["fields"]


def test_a_cancellation_offers_the_slot_held_for_the_first_in_line(as_user, alpha, alpha_admin, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    earlier = join(alpha, patient, doctor, day)
    later = join(alpha, PatientFactory().user, doctor, day)
    assert match(alpha, doctor) == []  # nothing free yet
    _cancel(alpha, first)

    assert [e.pk for e in match(alpha, doctor)] == [earlier.pk]

    entry = _entry(alpha, earlier.pk)
    assert entry.status == "offered"
    assert (entry.hold.status, entry.hold.patient_id, entry.hold.starts_at) == (HELD, patient.pk, first.starts_at)
    assert _entry(alpha, later.pk).status == "waiting"
    body = as_user(patient).get("/api/waitlist/").json()["results"][0]
    assert body["status"] == "offered"
    assert body["offer"]["date"] == str(day)
    assert body["offer"]["time"] == "09:00"
    assert body["offer"]["starts_at"] == first.starts_at.astimezone(alpha.zone).isoformat(timespec="seconds")
    assert set(body["offer"]) == {"date", "time", "starts_at", "expires_at"}
    # held: not free, not bookable by anyone else, not an appointment anywhere
    slots = as_user(patient).get(f"/api/doctors/{doctor.pk}/availability/?from={day}&to={day}").json()["slots"]
    assert "09:00" not in [s["time"] for s in slots]
    taken = book(as_user(PatientFactory().user), doctor, day, "09:00")
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "slot_taken")
    staff = as_user(alpha_admin).get("/api/appointments/hospital/").json()["results"]
    assert entry.hold_id not in [a["id"] for a in staff]
    assert str(entry.hold_id) not in [a["id"] for a in staff]
    assert as_user(patient).get("/api/appointments/user/").json()["count"] == 0
    assert as_user(patient).get(f"/api/appointments/{entry.hold_id}/").status_code == 404
    # and the patient is told, by email and SMS-capable outbox rows with a link to the entry
    notices = Notification.objects.filter(template="waitlist_offered", context__entry_id=str(entry.pk))
    assert notices.filter(channel="email", recipient=patient.email).count() == 1
    message = builder_for("waitlist_offered")(notices.first().context)
    assert message["link"].endswith(f"/waitlist/{entry.pk}/")
    assert message["time"] == "09:00"
    assert AuditLog.objects.filter(action="waitlist.offered", entity_id=str(entry.pk)).count() == 1


def test_accept_books_the_held_slot_as_the_booking_api_does(as_user, alpha, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)
    hold_id = _entry(alpha, entry.pk).hold_id

    response = as_user(patient).post(f"/api/waitlist/{entry.pk}/accept/")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["id"], body["status"], body["date"], body["time"]) == (str(hold_id), "booked", str(day), "09:00")
    assert {"hospital_id", "doctor_id", "patient_id", "starts_at", "ends_at", "reason"} <= set(body)
    assert BookingEntry.objects.get(appointment_id=hold_id).status == "booked"
    assert Notification.objects.filter(template="appointment_booked", context__appointment_id=str(hold_id)).exists()
    assert AuditLog.objects.filter(action="appointment.booked", entity_id=str(hold_id)).count() == 1
    assert AuditLog.objects.filter(action="waitlist.accepted", entity_id=str(entry.pk)).count() == 1
    assert _entry(alpha, entry.pk).status == "booked"
    assert WaitlistListing.objects.get(entry_id=entry.pk).status == "booked"
    assert as_user(patient).get("/api/appointments/user/").json()["count"] == 1
    again = as_user(patient).post(f"/api/waitlist/{entry.pk}/accept/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "no_offer")


def test_accept_without_an_offer_is_no_offer(as_user, alpha, patient):
    doctor, day, _ = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)

    response = as_user(patient).post(f"/api/waitlist/{entry.pk}/accept/")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "no_offer")
    decline = as_user(patient).post(f"/api/waitlist/{entry.pk}/decline/")
    assert (decline.status_code, decline.json()["error"]["code"]) == (409, "no_offer")


def _lapse(hospital, entry):
    past = timezone.now() - dt.timedelta(seconds=1)
    with hospital_context(hospital):
        WaitlistEntry.objects.filter(pk=entry.pk).update(offer_expires_at=past)
    WaitlistListing.objects.filter(entry_id=entry.pk).update(offer_expires_at=past)


def test_an_expired_offer_is_never_accepted_goes_to_the_next_and_the_entry_waits_again(as_user, alpha, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    second = join(alpha, PatientFactory().user, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)
    _lapse(alpha, entry)

    shown = as_user(patient).get("/api/waitlist/").json()["results"][0]
    assert (shown["status"], shown["offer"]) == ("waiting", None)  # on read, at once: the offer is gone
    response = as_user(patient).post(f"/api/waitlist/{entry.pk}/accept/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "offer_expired")

    assert waitlist_sweep() == 1
    assert _entry(alpha, entry.pk).status == "waiting"  # in line again; that slot never offered to it again
    assert _entry(alpha, entry.pk).declined_starts == [first.starts_at]
    assert _entry(alpha, second.pk).status == "offered"
    assert _entry(alpha, second.pk).hold.starts_at == first.starts_at
    assert AuditLog.objects.filter(action="waitlist.offer_expired", entity_id=str(entry.pk)).count() == 1
    still = as_user(patient).post(f"/api/waitlist/{entry.pk}/accept/")
    assert (still.status_code, still.json()["error"]["code"]) == (409, "offer_expired")
    assert waitlist_sweep() == 0  # once


def test_decline_passes_the_slot_on_and_never_offers_it_back(as_user, alpha, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)

    response = as_user(patient).post(f"/api/waitlist/{entry.pk}/decline/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["offer"]) == ("waiting", None)
    with hospital_context(alpha):
        assert not Appointment.objects.filter(doctor=doctor, status=HELD).exists()
    assert match(alpha, doctor) == []  # the only one waiting declined that slot
    other = join(alpha, PatientFactory().user, doctor, day)
    assert [e.pk for e in match(alpha, doctor)] == [other.pk]
    assert AuditLog.objects.filter(action="waitlist.declined", entity_id=str(entry.pk)).count() == 1


def test_a_daily_time_range_is_respected(alpha, patient):
    doctor, day, (first, second) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day, time_from=dt.time(9, 30), time_to=dt.time(10))
    _cancel(alpha, first)  # 09:00–09:30: outside
    assert match(alpha, doctor) == []
    _cancel(alpha, second)  # 09:30–10:00: inside

    assert [e.pk for e in match(alpha, doctor)] == [entry.pk]
    assert _entry(alpha, entry.pk).hold.starts_at == second.starts_at


def test_a_patient_busy_then_is_skipped(alpha, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    elsewhere = make_doctor(alpha)
    open_day(alpha, elsewhere, day, "09:00", "10:00")
    with hospital_context(alpha):
        appointment_book(actor=patient, hospital=alpha, doctor=elsewhere, date=day, time=dt.time(9))
    entry = join(alpha, patient, doctor, day)
    nxt = join(alpha, PatientFactory().user, doctor, day)
    _cancel(alpha, first)

    assert [e.pk for e in match(alpha, doctor)] == [nxt.pk]
    assert _entry(alpha, entry.pk).status == "waiting"


def test_leaving_with_an_offer_frees_the_slot(as_user, alpha, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)

    assert as_user(patient).delete(f"/api/waitlist/{entry.pk}/").status_code == 204

    assert _entry(alpha, entry.pk).status == "left"
    with hospital_context(alpha):
        assert not Appointment.objects.filter(doctor=doctor, status=HELD).exists()
    assert book(as_user(PatientFactory().user), doctor, day, "09:00").status_code == 201
    assert AuditLog.objects.filter(action="waitlist.left", entity_id=str(entry.pk)).count() == 1
    gone = as_user(patient).delete(f"/api/waitlist/{entry.pk}/")
    assert (gone.status_code, gone.json()["error"]["code"]) == (409, "invalid_state")


def test_another_patients_entry_is_not_found(as_user, alpha, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)
    stranger = as_user(PatientFactory().user)

    assert stranger.delete(f"/api/waitlist/{entry.pk}/").status_code == 404
    assert stranger.post(f"/api/waitlist/{entry.pk}/accept/").status_code == 404
    assert stranger.post(f"/api/waitlist/{entry.pk}/decline/").status_code == 404
    assert stranger.get("/api/waitlist/").json()["count"] == 0
    assert _entry(alpha, entry.pk).status == "offered"


def test_time_off_over_a_held_slot_withdraws_the_offer(alpha, alpha_admin, patient):
    doctor, day, (first, _) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)
    with hospital_context(alpha):
        time_off_add(
            actor=admin_of(alpha), hospital=alpha, doctor=doctor, start_date=day, end_date=day, cancel_appointments=True
        )

    assert match(alpha, doctor) == []

    assert _entry(alpha, entry.pk).status == "waiting"
    with hospital_context(alpha):
        assert not Appointment.objects.filter(doctor=doctor, status=HELD).exists()
    assert AuditLog.objects.filter(action="waitlist.offer_withdrawn", entity_id=str(entry.pk)).count() == 1


def test_entries_past_their_last_date_expire(alpha, patient):
    doctor, day, _ = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    yesterday = timezone.now().astimezone(alpha.zone).date() - dt.timedelta(days=1)
    with hospital_context(alpha):
        WaitlistEntry.objects.filter(pk=entry.pk).update(date_from=yesterday, date_to=yesterday)

    waitlist_sweep()

    assert _entry(alpha, entry.pk).status == "expired"
    assert WaitlistListing.objects.get(entry_id=entry.pk).status == "expired"


def test_a_cancellation_queues_matching_after_commit_only_when_someone_waits(
    alpha, patient, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr("tenant_apps.waitlist.backfill.queue_match", lambda **kw: calls.append(kw))
    doctor, day, (first, second) = full_doctor(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        _cancel(alpha, first)
    assert calls == []  # nobody waits: no task
    join(alpha, patient, doctor, day)
    calls.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _cancel(alpha, second)

    assert calls == [{"hospital_id": alpha.pk, "doctor_id": doctor.pk}]


def _updates(entry) -> list[str]:
    rows = Notification.objects.filter(template="waitlist_update", context__entry_id=str(entry.pk)).order_by("id")
    return [n.context["event"] for n in rows]


def test_the_patient_is_told_of_joining_declining_a_lapse_and_leaving(as_user, alpha, patient):
    from django.core import mail

    from shared_apps.notifications.tasks import notification_send

    doctor, day, (first, second) = full_doctor(alpha)
    entry = join(alpha, patient, doctor, day)
    _cancel(alpha, first)
    match(alpha, doctor)
    assert as_user(patient).post(f"/api/waitlist/{entry.pk}/decline/").status_code == 200
    _cancel(alpha, second)
    match(alpha, doctor)
    _lapse(alpha, entry)
    waitlist_sweep()
    assert as_user(patient).delete(f"/api/waitlist/{entry.pk}/").status_code == 204

    assert _updates(entry) == ["joined", "declined", "offer_expired", "left"]
    lapse = Notification.objects.get(template="waitlist_update", context__event="offer_expired")
    mail.outbox.clear()
    notification_send.apply(args=[lapse.pk])
    assert "went to the next patient" in mail.outbox[-1].body
    assert doctor.name in mail.outbox[-1].body


def test_a_patient_who_could_not_book_here_neither_joins_nor_is_offered_a_slot(as_user, alpha, patient):
    from tenant_apps.appointments.tests.helpers import set_policy

    doctor, day, (first, _) = full_doctor(alpha)
    blocked, other = PatientFactory().user, PatientFactory().user
    entry = join(alpha, blocked, doctor, day)
    second = join(alpha, other, doctor, day)
    set_policy(alpha, no_show_limit=1)
    yesterday = timezone.now() - dt.timedelta(days=1)
    with hospital_context(alpha):  # one recent no-show: at the limit now
        Appointment.objects.create(
            doctor=make_doctor(alpha),
            patient=blocked,
            appointment_date=yesterday.astimezone(alpha.zone).date(),
            appointment_time=dt.time(9),
            starts_at=yesterday,
            ends_at=yesterday + dt.timedelta(minutes=30),
            status="no_show",
        )
    _cancel(alpha, first)
    alpha.refresh_from_db()

    match(alpha, doctor)

    assert _entry(alpha, entry.pk).status == "waiting"  # skipped: accepting would be 409 no_show_limit
    assert _entry(alpha, second.pk).status == "offered"
    other_doctor, other_day, _ = full_doctor(alpha)
    refused = as_user(blocked).post(
        "/api/waitlist/", {"doctor_id": str(other_doctor.pk), "date_from": str(other_day), "date_to": str(other_day)}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "no_show_limit")
