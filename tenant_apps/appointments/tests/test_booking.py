import datetime as dt
import uuid

import pytest

from shared_apps.accounts.tests.factories import PatientFactory
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry, DoctorEntry
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.hospitals.tests.factories import PendingHospitalFactory
from shared_apps.notifications.models import Notification
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.tests.helpers import book, bookable_doctor, future_day
from tenant_apps.doctors.tests.factories import make_doctor, open_day

pytestmark = pytest.mark.django_db


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def test_a_patient_books_a_free_slot(as_user, alpha, patient):
    patient.phone_number = "+442079460111"
    patient.save(update_fields=["phone_number"])
    doctor, day = bookable_doctor(alpha)

    response = book(as_user(patient), doctor, day, "09:30", reason="Check-up", status="completed", fee="0")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "booked"
    assert (body["date"], body["time"], body["reason"]) == (str(day), "09:30", "Check-up")
    assert (body["hospital_id"], body["doctor_id"], body["patient_id"]) == (alpha.pk, str(doctor.pk), patient.pk)
    assert body["starts_at"].startswith(f"{day}T09:30:00")
    assert body["starts_at"][-6:] in ("+00:00", "+01:00")
    with hospital_context(alpha):
        assert Appointment.objects.filter(pk=body["id"], status="booked").exists()
    assert BookingEntry.objects.get(appointment_id=body["id"]).patient_id == patient.pk
    assert AuditLog.objects.filter(action="appointment.booked", entity_id=body["id"]).exists()
    sent = set(Notification.objects.filter(template="appointment_booked").values_list("channel", "recipient"))
    assert sent == {("email", patient.email), ("sms", "+442079460111"), ("email", doctor.email)}
    assert all("reason" not in n.context for n in Notification.objects.all())


def test_a_booked_slot_leaves_availability_and_returns_when_cancelled(api, as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha, start="09:00", end="10:00")
    url = f"/api/doctors/{doctor.pk}/availability/"

    def free_times():
        return [s["time"] for s in api.get(url, {"from": str(day), "to": str(day)}).json()["slots"]]

    appointment = book(as_user(patient), doctor, day, "09:00").json()
    assert free_times() == ["09:30"]
    as_user(patient).post(f"/api/appointments/{appointment['id']}/cancel/", {"reason": "Feeling better"})
    assert free_times() == ["09:00", "09:30"]


def test_a_taken_slot_is_a_409_slot_taken(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    assert book(as_user(patient), doctor, day).status_code == 201
    error(book(as_user(PatientFactory().user), doctor, day), 409, "slot_taken")


def test_one_patient_cannot_hold_two_overlapping_bookings_in_a_hospital(as_user, alpha, patient):
    first, day = bookable_doctor(alpha)
    second = make_doctor(alpha)
    open_day(alpha, second, day)
    assert book(as_user(patient), first, day).status_code == 201
    error(book(as_user(patient), second, day), 409, "overlapping_booking")


def test_the_booking_limit_per_hospital(as_user, alpha, patient, settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_HOSPITAL = 2
    doctor, day = bookable_doctor(alpha)
    client = as_user(patient)
    assert [book(client, doctor, day, t).status_code for t in ("09:00", "09:30")] == [201, 201]
    error(book(client, doctor, day, "10:00"), 409, "booking_limit")


@pytest.mark.parametrize(
    ("time", "code", "why"),
    [
        ("13:00", "slot_unavailable", "outside availability"),
        ("09:10", "slot_unavailable", "not on the slot grid"),
        ("11:45", "slot_unavailable", "does not fit before the window ends"),
    ],
)
def test_times_that_are_not_free_slots_are_refused(as_user, alpha, patient, time, code, why):
    doctor, day = bookable_doctor(alpha)
    error(book(as_user(patient), doctor, day, time), 409, code)


def test_the_past_and_beyond_the_horizon_are_refused(as_user, alpha, patient):
    doctor, _ = bookable_doctor(alpha)
    yesterday = future_day(alpha, -1)
    error(book(as_user(patient), doctor, yesterday, "09:00"), 409, "slot_unavailable")
    error(book(as_user(patient), doctor, future_day(alpha, 400), "09:00"), 409, "slot_unavailable")


def test_blocked_time_cannot_be_booked(as_user, alpha, patient):
    doctor = make_doctor(alpha)
    day = future_day(alpha)
    open_day(alpha, doctor, day, "09:00", "12:00", blocked=[("10:00", "11:00")])
    error(book(as_user(patient), doctor, day, "10:00"), 409, "slot_unavailable")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time": "9am"}, "time"),
        ({"time": "09:00+01:00"}, "time"),
        ({"time": "09:00:30"}, "time"),
        ({"date": "2030-02-30"}, "date"),
        ({"date": "2030-01-01T09:00:00+00:00"}, "date"),
        ({"doctor_id": "not-a-uuid"}, "doctor_id"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": "bad\x00byte"}, "reason"),
    ],
)
def test_malformed_booking_input_is_a_400(as_user, alpha, patient, overrides, field):
    doctor, day = bookable_doctor(alpha)
    body = {"doctor_id": str(doctor.pk), "date": str(day), "time": "09:00", **overrides}
    response = as_user(patient).post("/api/appointments/book/", body, format="json")
    assert field in error(response, 400, "invalid")["fields"]


def test_unknown_inactive_and_pending_hospital_doctors_cannot_be_booked(as_user, alpha, alpha_admin, patient):
    client = as_user(patient)
    day = future_day(alpha)
    error(
        client.post(
            "/api/appointments/book/",
            {"doctor_id": str(uuid.uuid4()), "date": str(day), "time": "09:00"},
            format="json",
        ),
        404,
        "not_found",
    )
    doctor, day = bookable_doctor(alpha)
    as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"status": "inactive"})
    error(book(client, doctor, day), 409, "slot_unavailable")
    pending = PendingHospitalFactory()
    ghost = DoctorEntry.objects.create(
        doctor_id=uuid.uuid4(),
        hospital=pending,
        name="Dr Ghost",
        specialization="X",
        fee=1,
        slot_minutes=30,
        status="active",
        city="X",
    )
    error(
        client.post(
            "/api/appointments/book/",
            {"doctor_id": str(ghost.doctor_id), "date": str(day), "time": "09:00"},
            format="json",
        ),
        404,
        "not_found",
    )


def test_only_patients_book(api, as_user, alpha, alpha_admin):
    doctor, day = bookable_doctor(alpha)
    assert book(api, doctor, day).status_code == 401
    assert book(as_user(alpha_admin), doctor, day).status_code == 403


def test_a_retry_with_the_same_idempotency_key_books_once(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    client = as_user(patient)
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}

    first = book(client, doctor, day, headers=key)
    again = book(client, doctor, day, headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    with hospital_context(alpha):
        assert Appointment.objects.filter(doctor=doctor).count() == 1


def test_the_same_key_with_another_body_is_a_422(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    key = {"HTTP_IDEMPOTENCY_KEY": "booking-123"}
    assert book(as_user(patient), doctor, day, "09:00", headers=key).status_code == 201
    error(book(as_user(patient), doctor, day, "09:30", headers=key), 422, "idempotency_mismatch")


def test_idempotency_keys_are_scoped_to_the_user(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-key"}
    assert book(as_user(patient), doctor, day, "09:00", headers=key).status_code == 201
    other = book(as_user(PatientFactory().user), doctor, day, "09:30", headers=key)
    assert other.status_code == 201


def test_a_failed_booking_does_not_burn_the_key(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    key = {"HTTP_IDEMPOTENCY_KEY": "retry-me"}
    error(book(as_user(patient), doctor, day, "13:00", headers=key), 409, "slot_unavailable")
    open_day(alpha, doctor, day, "12:00", "14:00")
    assert book(as_user(patient), doctor, day, "13:00", headers=key).status_code == 201


def test_a_malformed_idempotency_key_is_a_400(as_user, alpha, patient):
    doctor, day = bookable_doctor(alpha)
    error(book(as_user(patient), doctor, day, headers={"HTTP_IDEMPOTENCY_KEY": "x" * 101}), 400, "invalid")


def test_slots_booked_under_an_older_slot_length_still_block(as_user, alpha, alpha_admin, patient):
    doctor, day = bookable_doctor(alpha, slot_minutes=60)
    assert book(as_user(patient), doctor, day, "09:00").status_code == 201  # 09:00–10:00
    as_user(alpha_admin).patch(f"/api/doctors/{doctor.pk}/", {"slot_minutes": 30})
    # 09:30 is on the new grid, but overlaps the hour booked under the old one: the exclusion constraint refuses.
    error(book(as_user(PatientFactory().user), doctor, day, "09:30"), 409, "slot_taken")
    with hospital_context(alpha):
        assert Appointment.objects.filter(doctor=doctor, appointment_time=dt.time(9, 30)).count() == 0


def _same_instant_in(hospital, other, day, time):
    """(date, "HH:MM") in `other`'s time zone of `time` on `day` in `hospital`'s."""
    instant = dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=hospital.zone).astimezone(other.zone)
    return instant.date(), instant.strftime("%H:%M")


def test_one_patient_cannot_be_in_two_hospitals_at_once(as_user, alpha, beta, patient):
    in_alpha, day = bookable_doctor(alpha, start="14:00", end="15:00")
    beta_day, beta_time = _same_instant_in(alpha, beta, day, "14:00")
    in_beta = make_doctor(beta)
    open_day(beta, in_beta, beta_day, beta_time, _same_instant_in(alpha, beta, day, "15:00")[1])
    first = book(as_user(patient), in_alpha, day, "14:00")
    assert first.status_code == 201

    error(book(as_user(patient), in_beta, beta_day, beta_time), 409, "overlapping_booking")
    with hospital_context(beta):
        assert not Appointment.objects.filter(patient=patient).exists()  # the tenant row rolled back with it
    assert BookingEntry.objects.filter(patient=patient).count() == 1

    back_to_back = _same_instant_in(alpha, beta, day, "14:30")  # [14:00, 14:30) and [14:30, 15:00) do not overlap
    assert book(as_user(patient), in_beta, *back_to_back).status_code == 201
    as_user(patient).post(f"/api/appointments/{first.json()['id']}/cancel/")
    assert book(as_user(patient), in_beta, beta_day, beta_time).status_code == 201
