"""The overview's numbers: utilisation (booked slots / offered slots), cancellation rate, counts, who is in today."""

import datetime as dt

import pytest

from shared_apps.accounts.access import staff_access
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.services import appointment_cancel
from tenant_apps.appointments.tests.helpers import bookable_doctor, future_day
from tenant_apps.dashboard import selectors
from tenant_apps.dashboard.tests.conftest import book_slot, client_for
from tenant_apps.doctors.tests.factories import admin_of, make_doctor, open_day

pytestmark = pytest.mark.django_db


def cancel(hospital, appointment):
    with hospital_context(hospital):
        return appointment_cancel(actor=admin_of(hospital), hospital=hospital, appointment=appointment)


def test_utilisation_counts_offered_slots_outside_blocked_time_and_the_booked_ones(alpha):
    doctor = make_doctor(alpha, slot_minutes=30)
    day = future_day(alpha, 4)
    open_day(alpha, doctor, day, "09:00", "12:00", blocked=[("10:00", "11:00")])  # 6 slots, 2 blocked
    book_slot(alpha, doctor, day, "09:00")
    cancel(alpha, book_slot(alpha, doctor, day, "09:30"))
    book_slot(alpha, doctor, day, "11:30")

    with hospital_context(alpha):
        result = selectors.utilisation(hospital=alpha, doctors=[doctor], date_from=day, date_to=day)

    assert (result.offered_slots, result.booked_slots, result.percent) == (4, 2, 50)


def test_no_offered_slots_means_no_utilisation_rather_than_a_division_by_zero(alpha):
    doctor = make_doctor(alpha)
    with hospital_context(alpha):
        result = selectors.utilisation(
            hospital=alpha, doctors=[doctor], date_from=future_day(alpha), date_to=future_day(alpha)
        )
    assert (result.offered_slots, result.rate, result.percent) == (0, None, None)


@pytest.fixture
def pretend_today(monkeypatch, alpha):
    """Make a future day 'today' for the overview, so its week can hold bookable slots whatever today is."""
    # The views bind `local_today` by name when first imported: import them first, or a view module imported while
    # the patch is active would keep the fake "today" for every later test.
    import tenant_apps.dashboard.urls  # noqa: F401

    day = future_day(alpha, 7)
    monkeypatch.setattr(selectors, "local_today", lambda hospital: day)
    return day


def test_the_overview_for_the_admin(alpha, alpha_admin, pretend_today):
    day = pretend_today
    doctor, _ = bookable_doctor(alpha, days=7, name="Dr Today")  # 09:00–12:00: 6 slots today
    idle = make_doctor(alpha, name="Dr Idle")
    todays = book_slot(alpha, doctor, day, "09:00")
    cancel(alpha, book_slot(alpha, doctor, day, "10:00"))
    open_day(alpha, doctor, day + dt.timedelta(days=1))
    tomorrow = book_slot(alpha, doctor, day + dt.timedelta(days=1), "11:00")

    with hospital_context(alpha):
        overview = selectors.overview_for(access=staff_access(alpha_admin, alpha))

    assert [a.pk for a in overview.todays_appointments][0] == todays.pk
    assert len(overview.todays_appointments) == 2
    assert tomorrow.pk in [a.pk for a in overview.upcoming_appointments]
    week_has_tomorrow = (day + dt.timedelta(days=1)).weekday() != 0
    assert overview.week_counts["cancelled"] == 1
    assert overview.week_counts["booked"] == (2 if week_has_tomorrow else 1)
    assert overview.cancellation_percent == (33 if week_has_tomorrow else 50)
    assert overview.utilisation.booked_slots == (2 if week_has_tomorrow else 1)
    assert [entry.doctor.pk for entry in overview.available_today] == [doctor.pk]
    assert overview.available_today[0].free_slots_left == 5
    assert idle.pk not in [entry.doctor.pk for entry in overview.available_today]


def test_the_overview_of_a_doctor_is_their_own(alpha, doctor_with_login, pretend_today):
    own, user = doctor_with_login
    other, _ = bookable_doctor(alpha, days=7)
    open_day(alpha, own, pretend_today, "14:00", "15:00")
    mine = book_slot(alpha, own, pretend_today, "14:00")
    book_slot(alpha, other, pretend_today, "09:00")

    with hospital_context(alpha):
        overview = selectors.overview_for(access=staff_access(user, alpha))

    assert [a.pk for a in overview.todays_appointments] == [mine.pk]
    assert [entry.doctor.pk for entry in overview.available_today] == [own.pk]
    assert (overview.utilisation.offered_slots, overview.utilisation.booked_slots) == (2, 1)


def test_the_overview_page_shows_the_numbers(alpha, alpha_admin, pretend_today):
    doctor, _ = bookable_doctor(alpha, days=7, name="Dr On Duty")
    book_slot(alpha, doctor, pretend_today, "09:00")

    html = client_for(alpha_admin).get("/").content.decode()

    assert "Dr On Duty" in html
    assert "17%" in html  # 1 of 6 slots
    assert "1 of 6 offered slots booked" in html
    assert "5 free slots left" in html
