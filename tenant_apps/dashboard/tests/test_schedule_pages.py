"""The weekly-hours editor, the time-off list and its confirmation, and the week view built from them: every write
goes through the schedule services (database state, audit rows), refusals are inline errors and change nothing.
"""

import datetime as dt

import pytest

from shared_apps.audit.models import AuditLog
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment
from tenant_apps.dashboard.tests.conftest import book_slot, client_for
from tenant_apps.doctors.models import TimeOff, WeeklyHours
from tenant_apps.doctors.services import availability_window_add, schedule_set, time_off_add
from tenant_apps.doctors.tests.factories import admin_of, make_doctor
from tenant_apps.doctors.tests.test_schedule_api import next_weekday

pytestmark = pytest.mark.django_db

MONDAY, WEDNESDAY = 0, 2


def grid(*rows, action="save") -> dict:
    """The editor's POST: one formset row per dict (keys weekday, start_time, end_time, valid_from, valid_until,
    DELETE), and the button pressed."""
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "50",
        action: "1",
    }
    for n, row in enumerate(rows):
        data |= {f"hours-{n}-{name}": value for name, value in row.items()}
    return data


def row(weekday="", start="", end="", **extra) -> dict:
    return {"weekday": str(weekday), "start_time": start, "end_time": end, **extra}


def weekly_rows(hospital, doctor) -> list[tuple]:
    with hospital_context(hospital):
        rows = WeeklyHours.objects.filter(doctor=doctor).order_by("weekday", "start_time")
        return [(r.weekday, f"{r.start_time:%H:%M}", f"{r.end_time:%H:%M}", r.valid_until) for r in rows]


def set_hours(hospital, doctor, *rows):
    with hospital_context(hospital):
        schedule_set(actor=admin_of(hospital), hospital=hospital, doctor=doctor, weekly_hours=list(rows))


def hours(weekday, start="09:00", end="12:00") -> dict:
    return {"weekday": weekday, "start_time": dt.time.fromisoformat(start), "end_time": dt.time.fromisoformat(end)}


def audit_count(hospital, action) -> int:
    return AuditLog.objects.filter(hospital=hospital, action=action).count()


@pytest.fixture
def doctor(alpha):
    return make_doctor(alpha, name="Dr Grid", slot_minutes=60)


# Weekly hours ----------------------------------------------------------------------------------------------------


def test_the_editor_lists_the_saved_rows_or_one_blank_row(alpha, admin_client, doctor):
    html = admin_client.get(f"/availability/{doctor.pk}/hours/").content.decode()
    assert 'name="hours-TOTAL_FORMS" value="1"' in html
    assert '<label for="id_hours-0-weekday" class="visually-hidden">Day, row 1</label>' in html

    set_hours(alpha, doctor, hours(MONDAY), hours(WEDNESDAY, "14:00", "17:00"))
    html = admin_client.get(f"/availability/{doctor.pk}/hours/").content.decode()
    assert 'name="hours-TOTAL_FORMS" value="2"' in html
    assert 'name="hours-1-start_time" value="14:00"' in html
    assert '<option value="2" selected>Wednesday</option>' in html


def test_saving_the_grid_replaces_the_weekly_hours_in_one_request(alpha, admin_client, doctor):
    set_hours(alpha, doctor, hours(4, "08:00", "10:00"))  # Friday: not sent again, so it goes
    audits_before = audit_count(alpha, "schedule.updated")

    response = admin_client.post(
        f"/availability/{doctor.pk}/hours/",
        grid(
            row(MONDAY, "09:00", "12:00"),
            row(),  # left blank: ignored
            row(WEDNESDAY, "14:00", "16:00", valid_until="2030-12-31"),
            row(MONDAY, "13:00", "15:00", DELETE="on"),  # ticked "Remove"
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == f"/availability/{doctor.pk}/"
    assert weekly_rows(alpha, doctor) == [
        (MONDAY, "09:00", "12:00", None),
        (WEDNESDAY, "14:00", "16:00", dt.date(2030, 12, 31)),
    ]
    assert audit_count(alpha, "schedule.updated") == audits_before + 1

    monday = next_weekday(alpha, MONDAY)
    week = admin_client.get(f"/availability/{doctor.pk}/?week={monday}").content.decode()
    assert "Open · weekly hours" in week
    assert "0 booked · 3 free" in week  # Monday 09:00–12:00 in 60-minute slots


def test_add_a_row_shows_what_was_typed_and_one_blank_row_more_and_saves_nothing(alpha, admin_client, doctor):
    response = admin_client.post(
        f"/availability/{doctor.pk}/hours/", grid(row(MONDAY, "09:00", "25:99"), action="add_row")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="hours-TOTAL_FORMS" value="2"' in html
    assert 'name="hours-0-end_time" value="25:99"' in html  # kept as typed, not validated yet
    assert 'name="hours-1-weekday"' in html
    assert "errorlist" not in html
    assert weekly_rows(alpha, doctor) == []


def test_rows_the_service_refuses_are_marked_and_nothing_is_saved(alpha, admin_client, doctor):
    set_hours(alpha, doctor, hours(4))
    audits_before = audit_count(alpha, "schedule.updated")

    response = admin_client.post(
        f"/availability/{doctor.pk}/hours/",
        grid(row(), row(MONDAY, "09:00", "12:00"), row(MONDAY, "11:00", "13:00")),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert" id="weekly-hours-errors"' in html
    assert "Nothing was saved" in html
    # Shown as sent (the blank row gone), so the service's "Row 1 … overlaps row 2" names the rows on the page.
    assert 'name="hours-TOTAL_FORMS" value="2"' in html
    assert 'id="row-1-errors"' in html
    assert 'id="row-2-errors"' in html
    assert 'aria-describedby="row-2-errors"' in html
    assert "overlaps" in html
    assert weekly_rows(alpha, doctor) == [(4, "09:00", "12:00", None)]
    assert audit_count(alpha, "schedule.updated") == audits_before


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        (row(MONDAY, "09:00", "24:00"), "end_time", "Enter a valid time."),
        (row(9, "09:00", "10:00"), "weekday", "Select a valid choice."),
        (row("", "09:00", "10:00"), "weekday", "This field is required."),
    ],
)
def test_malformed_rows_are_field_errors_tied_to_their_field(alpha, admin_client, doctor, bad, field, message):
    response = admin_client.post(f"/availability/{doctor.pk}/hours/", grid(bad))

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_hours-0-{field}_error"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert weekly_rows(alpha, doctor) == []


def test_the_service_refusal_of_a_past_end_is_shown(alpha, admin_client, doctor):
    response = admin_client.post(
        f"/availability/{doctor.pk}/hours/", grid(row(MONDAY, "09:00", "10:00", valid_until="2001-01-01"))
    )
    assert response.status_code == 400
    assert "valid_until is in the past" in response.content.decode()
    assert weekly_rows(alpha, doctor) == []


# Time off --------------------------------------------------------------------------------------------------------


def time_off_of(hospital, doctor) -> list[tuple]:
    with hospital_context(hospital):
        return list(TimeOff.objects.filter(doctor=doctor).values_list("start_date", "end_date", "reason"))


def test_time_off_is_added_listed_and_removed(alpha, admin_client, doctor):
    day = next_weekday(alpha, MONDAY)
    body = {"start_date": str(day), "end_date": str(day + dt.timedelta(days=4)), "reason": "Conference"}

    response = admin_client.post(f"/availability/{doctor.pk}/time-off/add/", body, follow=True)

    assert response.redirect_chain == [(f"/availability/{doctor.pk}/time-off/", 302)]
    html = response.content.decode()
    assert "Time off added" in html
    assert "Conference" in html
    assert "Whole days" in html
    assert time_off_of(alpha, doctor) == [(day, day + dt.timedelta(days=4), "Conference")]
    assert audit_count(alpha, "time_off.added") == 1

    with hospital_context(alpha):
        time_off = TimeOff.objects.get(doctor=doctor)
    response = admin_client.post(f"/availability/{doctor.pk}/time-off/{time_off.pk}/remove/")
    assert response.status_code == 302
    assert time_off_of(alpha, doctor) == []
    assert AuditLog.objects.get(hospital=alpha, action="time_off.removed").metadata == {"time_off_id": str(time_off.pk)}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2001-01-01"}, "end_date", "Must not be before start_date."),
        ({"start_time": "10:00"}, "end_time", "Give both start_time and end_time"),
        ({"start_time": "12:00", "end_time": "10:00"}, "end_time", "Must be after start_time."),
        ({"start_date": "someday"}, "start_date", "Enter a valid date."),
    ],
)
def test_refused_time_off_is_an_inline_error_and_nothing_is_saved(alpha, admin_client, doctor, changes, field, message):
    day = next_weekday(alpha, MONDAY)
    body = {"start_date": str(day), "end_date": str(day), **changes}

    response = admin_client.post(f"/availability/{doctor.pk}/time-off/add/", body)

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert time_off_of(alpha, doctor) == []


def test_time_off_over_a_booking_lists_it_and_cancels_it_only_once_confirmed(alpha, admin_client, doctor, patient):
    day = next_weekday(alpha, MONDAY)
    set_hours(alpha, doctor, hours(MONDAY))
    booked = book_slot(alpha, doctor, day, "10:00", patient=patient)
    kept = book_slot(alpha, doctor, day, "11:00")  # after the time off's end
    body = {"start_date": str(day), "end_date": str(day), "start_time": "09:00", "end_time": "11:00"}

    response = admin_client.post(f"/availability/{doctor.pk}/time-off/add/", {**body, "reason": "Training"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "1 booked appointment inside this time off" in html
    assert patient.name in html
    assert f"{day:%a %-d %b %Y}" in html
    assert ">10:00<" in html
    assert '<input type="hidden" name="cancel_appointments" value="true">' in html
    assert f'<input type="hidden" name="start_date" value="{day}">' in html
    assert '<input type="hidden" name="reason" value="Training">' in html
    assert time_off_of(alpha, doctor) == []
    with hospital_context(alpha):
        assert Appointment.objects.get(pk=booked.pk).status == "booked"

    response = admin_client.post(
        f"/availability/{doctor.pk}/time-off/add/",
        {**body, "reason": "Training", "cancel_appointments": "true"},
        follow=True,
    )

    assert "1 appointment cancelled; the patients are told" in response.content.decode()
    assert time_off_of(alpha, doctor) == [(day, day, "Training")]
    with hospital_context(alpha):
        statuses = dict(Appointment.objects.filter(doctor=doctor).values_list("id", "status"))
    assert statuses == {booked.pk: "cancelled", kept.pk: "booked"}
    assert AuditLog.objects.get(hospital=alpha, action="time_off.added").metadata["cancelled_appointments"] == 1


def test_another_doctors_time_off_cannot_be_removed_through_this_doctor(alpha, admin_client, doctor):
    other = make_doctor(alpha)
    day = next_weekday(alpha, MONDAY)
    with hospital_context(alpha):
        time_off, _ = time_off_add(actor=admin_of(alpha), hospital=alpha, doctor=other, start_date=day, end_date=day)

    response = admin_client.post(f"/availability/{doctor.pk}/time-off/{time_off.pk}/remove/")

    assert response.status_code == 404
    assert len(time_off_of(alpha, other)) == 1


# A doctor signed in --------------------------------------------------------------------------------------------


def test_a_doctor_edits_their_own_hours_and_time_off_and_nobody_elses(alpha, doctor_with_login, doctor):
    own, user = doctor_with_login
    colleague = doctor
    day = next_weekday(alpha, MONDAY)
    with hospital_context(alpha):
        colleague_off, _ = time_off_add(
            actor=admin_of(alpha), hospital=alpha, doctor=colleague, start_date=day, end_date=day
        )
    client = client_for(user)

    assert client.get(f"/availability/{own.pk}/hours/").status_code == 200
    assert client.post(f"/availability/{own.pk}/hours/", grid(row(MONDAY, "09:00", "10:00"))).status_code == 302
    assert client.get(f"/availability/{own.pk}/time-off/").status_code == 200
    add = {"start_date": str(day), "end_date": str(day)}
    assert client.post(f"/availability/{own.pk}/time-off/add/", add).status_code == 302
    assert weekly_rows(alpha, own) == [(MONDAY, "09:00", "10:00", None)]
    assert AuditLog.objects.filter(user=user, action="time_off.added").exists()

    for path in (f"/availability/{colleague.pk}/hours/", f"/availability/{colleague.pk}/time-off/"):
        assert client.get(path).status_code == 404, path
    posts = [
        (f"/availability/{colleague.pk}/hours/", grid(row(MONDAY, "09:00", "10:00"))),
        (f"/availability/{colleague.pk}/time-off/add/", add),
        (f"/availability/{colleague.pk}/time-off/{colleague_off.pk}/remove/", {}),
        (f"/availability/{own.pk}/time-off/{colleague_off.pk}/remove/", {}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 404, path
    assert weekly_rows(alpha, colleague) == []
    assert len(time_off_of(alpha, colleague)) == 1


# The week view ---------------------------------------------------------------------------------------------------


def test_the_week_shows_free_booked_blocked_and_time_off_each_in_its_own_style_and_words(alpha, admin_client, doctor):
    monday = next_weekday(alpha, MONDAY)
    wednesday = monday + dt.timedelta(days=2)
    set_hours(alpha, doctor, hours(MONDAY, "09:00", "13:00"), hours(WEDNESDAY, "09:00", "12:00"))
    with hospital_context(alpha):
        window = {"date": monday, "start_time": dt.time(12), "end_time": dt.time(13), "is_available": False}
        availability_window_add(actor=admin_of(alpha), hospital=alpha, doctor=doctor, window=window)
        time_off_add(
            actor=admin_of(alpha),
            hospital=alpha,
            doctor=doctor,
            start_date=wednesday,
            end_date=wednesday,
            start_time=dt.time(9),
            end_time=dt.time(10),
        )
    book_slot(alpha, doctor, monday, "10:00")

    html = admin_client.get(f"/availability/{doctor.pk}/?week={monday}").content.decode()

    monday_card = html.split(f'id="day-{monday:%Y%m%d}"')[1].split("</li>\n  \n  <li")[0]
    assert '<li class="entry open" data-kind="open">' in monday_card
    assert '09:00–13:00 <span class="kind">Open · weekly hours</span>' in monday_card
    assert '12:00–13:00 <span class="kind">Blocked</span>' in monday_card
    assert '10:00–11:00 <span class="kind">Booked</span>' in monday_card
    assert [f">{t}<" in monday_card for t in ("09:00", "11:00")] == [True, True]  # free slots
    assert '<li class="slot">10:00</li>' not in monday_card
    assert '<li class="slot">12:00</li>' not in monday_card
    assert "1 booked · 2 free" in monday_card

    wednesday_card = html.split(f'id="day-{wednesday:%Y%m%d}"')[1]
    assert '09:00–10:00 <span class="kind">Time off</span>' in wednesday_card
    assert "0 booked · 2 free" in wednesday_card
    assert f'href="/availability/{doctor.pk}/hours/"' in html
    assert f'href="/availability/{doctor.pk}/time-off/"' in html


def test_whole_day_time_off_reads_as_all_day(alpha, admin_client, doctor):
    monday = next_weekday(alpha, MONDAY)
    set_hours(alpha, doctor, hours(MONDAY))
    with hospital_context(alpha):
        time_off_add(actor=admin_of(alpha), hospital=alpha, doctor=doctor, start_date=monday, end_date=monday)

    html = admin_client.get(f"/availability/{doctor.pk}/?week={monday}").content.decode()

    assert '00:00–24:00 <span class="kind">Time off · all day</span>' in html
    assert "0 booked · 0 free" in html.split(f'id="day-{monday:%Y%m%d}"')[1]


def test_the_doctors_list_links_to_each_doctors_hours_and_time_off(admin_client, doctor):
    html = admin_client.get("/doctors/").content.decode()
    assert f'href="/availability/{doctor.pk}/hours/"' in html
    assert f'href="/availability/{doctor.pk}/time-off/"' in html
