"""Every dashboard form writes through the services: database state, audit rows, inline errors, never a 500."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shared_apps.accounts.models import HospitalMembership, Role, User
from shared_apps.audit.models import AuditLog
from shared_apps.directory.models import BookingEntry, DoctorEntry
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from shared_apps.hospitals.tests.factories import image_bytes
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.tests.helpers import bookable_doctor, future_day, move_start_to_the_past
from tenant_apps.dashboard.tests.conftest import book_slot, client_for
from tenant_apps.doctors.models import Doctor, DoctorAvailability
from tenant_apps.doctors.tests.factories import make_doctor, open_day

pytestmark = pytest.mark.django_db

NEW_DOCTOR = {
    "name": "Dr Mary Seacole",
    "email": "Mary@Alpha.example.com",
    "specialization": "Nursing",
    "fee": "80.00",
    "slot_minutes": "20",
}


def audit_actions(hospital, **filters) -> list[str]:
    return list(AuditLog.objects.filter(hospital=hospital, **filters).values_list("action", flat=True))


def windows_of(hospital, doctor, day) -> list[tuple[str, str, bool]]:
    with hospital_context(hospital):
        rows = DoctorAvailability.objects.filter(doctor=doctor, date=day).order_by("start_time", "is_available")
        return [(f"{w.start_time:%H:%M}", f"{w.end_time:%H:%M}", w.is_available) for w in rows]


def errors_in(response) -> str:
    return response.content.decode()


# Doctors ---------------------------------------------------------------------------------------------------------


def test_the_admin_adds_a_doctor_through_the_service(alpha, admin_client):
    response = admin_client.post("/doctors/add/", NEW_DOCTOR, follow=True)

    assert response.status_code == 200
    assert "Dr Mary Seacole was added." in errors_in(response)
    with hospital_context(alpha):
        doctor = Doctor.objects.get(email="mary@alpha.example.com")
    assert (doctor.slot_minutes, doctor.user_id) == (20, None)
    assert DoctorEntry.objects.filter(doctor_id=doctor.pk, hospital=alpha).exists()
    assert "doctor.created" in audit_actions(alpha, entity_id=str(doctor.pk))


def test_adding_with_invite_gives_the_doctor_a_login(alpha, admin_client):
    admin_client.post("/doctors/add/", {**NEW_DOCTOR, "invite": "on"})

    user = User.objects.get(email="mary@alpha.example.com")
    assert user.role == Role.DOCTOR
    assert HospitalMembership.objects.filter(user=user, hospital=alpha, role="doctor", is_active=True).exists()
    assert "doctor.invited" in audit_actions(alpha)


def test_a_duplicate_email_is_an_inline_error_and_nothing_is_added(alpha, admin_client):
    make_doctor(alpha, email="mary@alpha.example.com")

    response = admin_client.post("/doctors/add/", NEW_DOCTOR)

    assert response.status_code == 400
    assert "A doctor with this email already exists in this hospital." in errors_in(response)
    with hospital_context(alpha):
        assert Doctor.objects.filter(email="mary@alpha.example.com").count() == 1


def test_an_invite_to_an_email_of_another_kind_of_account_rolls_the_whole_addition_back(alpha, admin_client, patient):
    response = admin_client.post("/doctors/add/", {**NEW_DOCTOR, "email": patient.email, "invite": "on"})

    assert response.status_code == 409
    assert "This email already belongs to another account." in errors_in(response)
    with hospital_context(alpha):
        assert not Doctor.objects.filter(email=patient.email).exists()


@pytest.mark.parametrize(("field", "value"), [("fee", "-1"), ("slot_minutes", "3"), ("email", "nope"), ("name", "")])
def test_bad_doctor_input_is_shown_inline(admin_client, field, value):
    response = admin_client.post("/doctors/add/", {**NEW_DOCTOR, field: value})
    assert response.status_code == 400
    assert 'class="errorlist' in errors_in(response)


def test_the_admin_edits_a_doctor_and_only_changed_fields_are_recorded(alpha, admin_client):
    doctor = make_doctor(alpha, name="Dr Before", fee="100.00")
    form = {"name": "Dr After", "email": doctor.email, "specialization": doctor.specialization}
    form |= {"fee": "100.00", "slot_minutes": "30", "status": "active"}

    response = admin_client.post(f"/doctors/{doctor.pk}/", form)

    assert response.status_code == 302
    with hospital_context(alpha):
        assert Doctor.objects.get(pk=doctor.pk).name == "Dr After"
    assert DoctorEntry.objects.get(doctor_id=doctor.pk).name == "Dr After"
    row = AuditLog.objects.get(hospital=alpha, action="doctor.updated", entity_id=str(doctor.pk))
    assert row.metadata == {"fields": ["name"]}


def test_an_email_taken_by_another_doctor_is_an_inline_error_on_the_email(alpha, admin_client):
    doctor, other = make_doctor(alpha), make_doctor(alpha)
    form = {"name": doctor.name, "email": other.email.upper(), "specialization": doctor.specialization}
    form |= {"fee": "100.00", "slot_minutes": "30", "status": "active"}

    response = admin_client.post(f"/doctors/{doctor.pk}/", form)

    assert response.status_code == 400
    assert 'id="id_email_error"' in errors_in(response) or "already exists" in errors_in(response)
    with hospital_context(alpha):
        assert Doctor.objects.get(pk=doctor.pk).email == doctor.email


def test_deactivate_and_reactivate(alpha, admin_client):
    doctor = make_doctor(alpha)

    assert admin_client.post(f"/doctors/{doctor.pk}/deactivate/").status_code == 302
    with hospital_context(alpha):
        assert Doctor.objects.get(pk=doctor.pk).status == "inactive"
    assert DoctorEntry.objects.get(doctor_id=doctor.pk).status == "inactive"
    assert "doctor.deactivated" in audit_actions(alpha, entity_id=str(doctor.pk))

    admin_client.post(f"/doctors/{doctor.pk}/activate/")
    with hospital_context(alpha):
        assert Doctor.objects.get(pk=doctor.pk).status == "active"


def test_invite_and_invite_again(alpha, admin_client):
    doctor = make_doctor(alpha)

    response = admin_client.post(f"/doctors/{doctor.pk}/invite/", follow=True)
    assert f"An invitation to sign in was sent to {doctor.email}." in errors_in(response)
    response = admin_client.post(f"/doctors/{doctor.pk}/invite/", follow=True)
    assert "was sent again" in errors_in(response)

    with hospital_context(alpha):
        assert Doctor.objects.get(pk=doctor.pk).user.email == doctor.email
    assert audit_actions(alpha, entity_id=str(doctor.pk)).count("doctor.invited") == 2


def test_inviting_with_an_email_of_a_patient_is_an_inline_409(alpha, admin_client, patient):
    doctor = make_doctor(alpha, email=patient.email)

    response = admin_client.post(f"/doctors/{doctor.pk}/invite/")

    assert response.status_code == 409
    assert "This email already belongs to another account." in errors_in(response)


# Availability ----------------------------------------------------------------------------------------------------


def add_window(client, doctor, day, start, end, kind="available"):
    data = {"date": str(day), "start_time": start, "end_time": end, "kind": kind}
    return client.post(f"/availability/{doctor.pk}/add/", data)


def test_adding_windows_keeps_the_dates_other_windows(alpha, admin_client):
    doctor, day = make_doctor(alpha), future_day(alpha, 4)

    assert add_window(admin_client, doctor, day, "09:00", "12:00").status_code == 302
    response = add_window(admin_client, doctor, day, "14:00", "17:00")
    assert add_window(admin_client, doctor, day, "10:00", "10:30", kind="blocked").status_code == 302

    assert response["Location"] == f"/availability/{doctor.pk}/?week={day - dt.timedelta(days=day.weekday())}"
    assert windows_of(alpha, doctor, day) == [
        ("09:00", "12:00", True),
        ("10:00", "10:30", False),
        ("14:00", "17:00", True),
    ]
    assert audit_actions(alpha, entity_id=str(doctor.pk)).count("availability.set") == 3


@pytest.mark.parametrize(
    ("start", "end", "days", "message"),
    [
        ("11:00", "13:00", 4, "overlap"),
        ("12:00", "09:00", 4, "the start must be before the end"),
        ("09:00", "10:00", -1, "the date is in the past"),
    ],
)
def test_refused_windows_are_inline_errors_and_change_nothing(alpha, admin_client, start, end, days, message):
    doctor, day = make_doctor(alpha), future_day(alpha, 4)
    open_day(alpha, doctor, day, "09:00", "12:00")
    target = future_day(alpha, days)

    response = add_window(admin_client, doctor, target, start, end)

    assert response.status_code == 400
    assert message in errors_in(response)
    assert windows_of(alpha, doctor, day) == [("09:00", "12:00", True)]


def test_removing_a_window_keeps_the_others_and_the_last_one_empties_the_date(alpha, admin_client):
    doctor, day = make_doctor(alpha), future_day(alpha, 4)
    open_day(alpha, doctor, day, "09:00", "12:00", blocked=[("10:00", "10:30")])
    with hospital_context(alpha):
        blocked = DoctorAvailability.objects.get(doctor=doctor, is_available=False)
        opened = DoctorAvailability.objects.get(doctor=doctor, is_available=True)

    assert admin_client.post(f"/availability/{doctor.pk}/remove/", {"window_id": blocked.pk}).status_code == 302
    assert windows_of(alpha, doctor, day) == [("09:00", "12:00", True)]
    with hospital_context(alpha):
        opened = DoctorAvailability.objects.get(doctor=doctor, is_available=True)
    admin_client.post(f"/availability/{doctor.pk}/remove/", {"window_id": opened.pk})
    assert windows_of(alpha, doctor, day) == []


def test_another_doctors_window_cannot_be_removed_through_this_doctor(alpha, admin_client):
    doctor, other = make_doctor(alpha), make_doctor(alpha)
    day = future_day(alpha, 4)
    open_day(alpha, other, day)
    with hospital_context(alpha):
        window = DoctorAvailability.objects.get(doctor=other)

    response = admin_client.post(f"/availability/{doctor.pk}/remove/", {"window_id": window.pk})

    assert response.status_code == 404
    assert windows_of(alpha, other, day) == [("09:00", "12:00", True)]


def test_a_doctor_edits_their_own_week(alpha, doctor_with_login):
    doctor, user = doctor_with_login
    day = future_day(alpha, 5)

    assert add_window(client_for(user), doctor, day, "08:00", "09:00").status_code == 302

    assert windows_of(alpha, doctor, day) == [("08:00", "09:00", True)]
    assert AuditLog.objects.filter(user=user, action="availability.set").exists()


def test_the_week_view_moves_by_weeks_and_shows_windows_and_bookings(alpha, admin_client):
    doctor, day = bookable_doctor(alpha, days=8)
    book_slot(alpha, doctor, day)
    monday = day - dt.timedelta(days=day.weekday())

    html = admin_client.get(f"/availability/{doctor.pk}/?week={day}").content.decode()

    assert f"week of {monday:%-d %b %Y}" in html
    assert f'?week={monday - dt.timedelta(days=7)}"' in html
    assert f'?week={monday + dt.timedelta(days=7)}"' in html
    assert "09:00–12:00" in html
    assert "1 booked · 5 free" in html


def test_a_malformed_week_falls_back_to_this_week(alpha, admin_client):
    doctor = make_doctor(alpha)
    assert admin_client.get(f"/availability/{doctor.pk}/?week=someday").status_code == 200


# Appointments ----------------------------------------------------------------------------------------------------


@pytest.fixture
def booked(alpha):
    doctor, day = bookable_doctor(alpha)
    return book_slot(alpha, doctor, day, reason="Headache")


def test_the_admin_cancels_with_a_reason(alpha, alpha_admin, admin_client, booked):
    response = admin_client.post(f"/appointments/{booked.pk}/cancel/", {"reason": "Doctor unwell"}, follow=True)

    assert response.status_code == 200
    assert "The appointment was cancelled" in errors_in(response)
    with hospital_context(alpha):
        appointment = Appointment.objects.get(pk=booked.pk)
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled", "Doctor unwell")
    assert appointment.cancelled_by_id == alpha_admin.pk
    assert BookingEntry.objects.get(appointment_id=booked.pk).status == "cancelled"
    assert "appointment.cancelled" in audit_actions(alpha, entity_id=str(booked.pk))


def test_cancelling_needs_a_reason_and_twice_is_an_inline_409(alpha, admin_client, booked):
    response = admin_client.post(f"/appointments/{booked.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    with hospital_context(alpha):
        assert Appointment.objects.get(pk=booked.pk).status == "booked"

    admin_client.post(f"/appointments/{booked.pk}/cancel/", {"reason": "Once"})
    response = admin_client.post(f"/appointments/{booked.pk}/cancel/", {"reason": "Twice"})
    assert response.status_code == 409
    assert "This appointment is cancelled." in errors_in(response)


def test_completing_before_the_start_is_an_inline_409_then_works_once_started(alpha, admin_client, booked):
    response = admin_client.post(f"/appointments/{booked.pk}/complete/")
    assert response.status_code == 409
    assert "cannot be completed before it starts" in errors_in(response)

    move_start_to_the_past(alpha, booked.pk)
    assert admin_client.post(f"/appointments/{booked.pk}/complete/").status_code == 302
    with hospital_context(alpha):
        assert Appointment.objects.get(pk=booked.pk).status == "completed"
    assert "appointment.completed" in audit_actions(alpha, entity_id=str(booked.pk))


def test_a_doctor_completes_and_cancels_their_own_appointments(alpha, doctor_with_login):
    doctor, user = doctor_with_login
    day = future_day(alpha)
    open_day(alpha, doctor, day)
    first, second = book_slot(alpha, doctor, day), book_slot(alpha, doctor, day, "10:00")
    move_start_to_the_past(alpha, first.pk)
    client = client_for(user)

    assert client.post(f"/appointments/{first.pk}/complete/").status_code == 302
    assert client.post(f"/appointments/{second.pk}/cancel/", {"reason": "Conference"}).status_code == 302
    with hospital_context(alpha):
        statuses = dict(Appointment.objects.filter(doctor=doctor).values_list("id", "status"))
    assert statuses == {first.pk: "completed", second.pk: "cancelled"}


def test_the_list_filters_by_date_doctor_and_status(alpha, admin_client):
    doctor, day = bookable_doctor(alpha, name="Dr Filter One")
    other, _ = bookable_doctor(alpha, name="Dr Filter Two")
    kept, gone = book_slot(alpha, doctor, day), book_slot(alpha, other, day)
    admin_client.post(f"/appointments/{gone.pk}/cancel/", {"reason": "Test"})

    def listed(**query):
        html = admin_client.get("/appointments/", query).content.decode()
        return {a.pk for a in (kept, gone) if str(a.pk) in html}

    assert listed(date_from=str(day), date_to=str(day)) == {kept.pk, gone.pk}
    assert listed(date_from=str(day), doctor=str(other.pk)) == {gone.pk}
    assert listed(date_from=str(day), status="booked") == {kept.pk}
    assert listed(date_from=str(day + dt.timedelta(days=1))) == set()


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "yesterday"},
        {"doctor": "not-a-doctor"},
        {"status": "lost"},
        {"date_from": "2030-01-02", "date_to": "2030-01-01"},
    ],
)
def test_bad_filters_are_inline_errors(admin_client, query):
    response = admin_client.get("/appointments/", query)
    assert response.status_code == 400
    assert "Please correct the filters." in errors_in(response)


def test_the_list_is_paginated(alpha, admin_client):
    doctor, day = bookable_doctor(alpha, start="06:00", end="20:00")
    for n in range(27):
        minutes = 6 * 60 + n * 30
        book_slot(alpha, doctor, day, f"{minutes // 60:02d}:{minutes % 60:02d}")

    first = admin_client.get("/appointments/", {"date_from": str(day)}).content.decode()
    second = admin_client.get("/appointments/", {"date_from": str(day), "page": "2"}).content.decode()

    assert "27 appointments" in first
    assert "Page 1 of 2" in first
    assert f"?date_from={day}&amp;page=2" in first
    assert "Page 2 of 2" in second


# Hospital profile ------------------------------------------------------------------------------------------------


def profile_form(hospital, **changes) -> dict:
    form = {
        "name": hospital.name,
        "address": hospital.address,
        "phone_number": hospital.phone_number,
        "city": hospital.city,
        "timezone": hospital.timezone,
        "brand_color": hospital.brand_color,
        "min_booking_notice_minutes": hospital.min_booking_notice_minutes,
        "cancellation_notice_hours": hospital.cancellation_notice_hours,
        "booking_horizon_days": hospital.booking_horizon_days,
        "reminder_offsets_minutes": ", ".join(str(m) for m in hospital.reminder_offsets_minutes),
        "no_show_limit": hospital.no_show_limit,
    }
    return {**form, **changes}


def logo_upload(color=(200, 30, 30), fmt="PNG", name="logo.png"):
    return SimpleUploadedFile(name, image_bytes(fmt, color=color), content_type="image/png")


def test_the_admin_updates_the_profile_and_the_directory_city_follows(alpha, admin_client):
    doctor = make_doctor(alpha)
    form = profile_form(alpha, name="Alpha General Hospital", city="Oxford", brand_color="#0a7a3d")

    response = admin_client.post("/profile/", form, follow=True)

    assert "The hospital&#x27;s profile was saved." in errors_in(response)
    assert 'data-testid="hospital-name">Alpha General Hospital<' in errors_in(response)
    assert "--brand: #0a7a3d" in errors_in(response)
    hospital = Hospital.objects.get(pk=alpha.pk)
    assert (hospital.name, hospital.city, hospital.brand_color) == ("Alpha General Hospital", "Oxford", "#0a7a3d")
    assert DoctorEntry.objects.get(doctor_id=doctor.pk).city == "Oxford"
    row = AuditLog.objects.get(hospital=alpha, action="hospital.profile_updated")
    assert row.metadata == {"fields": ["brand_color", "city", "name"]}


def test_a_new_logo_is_re_encoded_and_shown_in_the_header(alpha, admin_client):
    admin_client.post("/profile/", {**profile_form(alpha), "logo": logo_upload()})
    first = Hospital.objects.get(pk=alpha.pk).logo.url
    admin_client.post("/profile/", {**profile_form(alpha), "logo": logo_upload(color=(0, 0, 0), fmt="JPEG")})
    second = Hospital.objects.get(pk=alpha.pk).logo.url

    assert first != second
    assert second.endswith(".jpg")
    html = admin_client.get("/").content.decode()
    assert f'<img src="{second}" alt="" data-testid="hospital-logo">' in html
    assert admin_client.get(second).status_code == 200

    admin_client.post("/profile/", {**profile_form(alpha), "remove_logo": "on"})
    assert not Hospital.objects.get(pk=alpha.pk).logo


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"logo": SimpleUploadedFile("x.png", b"<svg></svg>", content_type="image/png")},
            "must be a PNG, JPEG or WebP",
        ),
        ({"brand_color": "red"}, "Use a colour like #1a6fb0."),
        ({"phone_number": "12"}, "Enter a valid phone number"),
        ({"timezone": "Mars/Olympus"}, "Select a valid choice"),
        ({"name": ""}, "This field is required."),
    ],
)
def test_refused_profile_changes_are_inline_errors_and_nothing_is_saved(alpha, admin_client, changes, message):
    response = admin_client.post("/profile/", profile_form(alpha, city="Changed", **changes))

    assert response.status_code == 400
    assert message in errors_in(response)
    assert Hospital.objects.get(pk=alpha.pk).city == alpha.city
    assert not AuditLog.objects.filter(hospital=alpha, action="hospital.profile_updated").exists()


def test_a_light_brand_colour_gets_dark_text_on_buttons(alpha, admin_client):
    admin_client.post("/profile/", profile_form(alpha, brand_color="#ffd400"))
    assert "--brand-ink: #111111" in admin_client.get("/").content.decode()


# Activity, password reset ----------------------------------------------------------------------------------------


def test_activity_lists_this_hospitals_audit_rows_only(alpha, beta, admin_client):
    alpha_doctor, beta_doctor = make_doctor(alpha), make_doctor(beta)

    html = admin_client.get("/activity/").content.decode()

    assert "doctor.created" in html
    assert str(alpha_doctor.pk)[:10] in html
    assert str(beta_doctor.pk)[:10] not in html


def test_a_password_reset_request_from_the_sign_in_page(alpha_admin, monkeypatch, django_capture_on_commit_callbacks):
    from shared_apps.accounts.tasks import password_reset_send

    # The lookup runs on the worker (password_reset_send): run it here, as the worker would.
    monkeypatch.setattr(password_reset_send, "delay", lambda email: password_reset_send.apply(args=[email]))
    client = client_for()
    assert client.get("/password-reset/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/password-reset/", {"email": alpha_admin.email.upper()}, follow=True)

    assert response.redirect_chain == [("/sign-in/", 302)]
    assert "If an account uses this email" in errors_in(response)
    assert AuditLog.objects.filter(action="user.password_reset_requested", entity_id=str(alpha_admin.pk)).exists()


def test_a_password_reset_for_an_unknown_email_looks_the_same(alpha):
    response = client_for().post("/password-reset/", {"email": "nobody@example.com"})
    assert (response.status_code, response["Location"]) == (302, "/sign-in/")


def test_the_password_reset_form_shows_errors_inline():
    response = client_for().post("/password-reset/", {"email": "not an email"})
    assert response.status_code == 400
    assert "Enter a valid email address." in errors_in(response)
