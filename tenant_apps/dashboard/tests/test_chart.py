"""The overview chart: appointments per day over the last and next four weeks, utilisation per doctor, drawn as SVG
with its numbers also as text."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.access import staff_access
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment
from tenant_apps.appointments.services import appointment_cancel
from tenant_apps.appointments.tests.helpers import future_day
from tenant_apps.dashboard.chart import activity_chart
from tenant_apps.dashboard.tests.conftest import book_slot, client_for
from tenant_apps.doctors.tests.factories import admin_of, make_doctor, open_day

pytestmark = pytest.mark.django_db


def set_status(hospital, appointment, status):
    with hospital_context(hospital):
        Appointment.objects.filter(pk=appointment.pk).update(status=status)


@pytest.fixture
def week_of_activity(alpha):
    """'Today' is 7 days ahead (so both halves can hold bookable slots); returns (today, doctor, idle doctor)."""
    today = future_day(alpha, 7)
    doctor = make_doctor(alpha, name="Dr Busy", slot_minutes=30)
    idle = make_doctor(alpha, name="Dr Idle")
    before, after = today - dt.timedelta(days=2), today + dt.timedelta(days=3)
    for day in (before, today, after):
        open_day(alpha, doctor, day, "09:00", "12:00")  # 6 slots each
    set_status(alpha, book_slot(alpha, doctor, before, "09:00"), "completed")
    set_status(alpha, book_slot(alpha, doctor, before, "09:30"), "no_show")
    by_patient = book_slot(alpha, doctor, before, "10:00")
    with hospital_context(alpha):
        appointment_cancel(actor=by_patient.patient, hospital=alpha, appointment=by_patient)
    book_slot(alpha, doctor, today, "09:00")
    by_hospital = book_slot(alpha, doctor, today, "09:30")
    with hospital_context(alpha):
        appointment_cancel(actor=admin_of(alpha), hospital=alpha, appointment=by_hospital)
    book_slot(alpha, doctor, after, "11:00")
    return today, doctor, idle


def chart_for(hospital, user, today):
    with hospital_context(hospital):
        return activity_chart(access=staff_access(user, hospital), today=today)


def test_the_chart_counts_each_day_by_status_and_who_cancelled(alpha, alpha_admin, week_of_activity):
    today, _, _ = week_of_activity
    chart = chart_for(alpha, alpha_admin, today)

    assert (chart.date_from, chart.date_to, len(chart.days)) == (
        today - dt.timedelta(days=28),
        today + dt.timedelta(days=27),
        56,
    )
    by_date = {d.date: d.counts for d in chart.days if d.total}
    assert by_date == {
        today - dt.timedelta(days=2): {
            "completed": 1,
            "booked": 0,
            "no_show": 1,
            "cancelled_by_patient": 1,
            "cancelled_by_hospital": 0,
        },
        today: {"completed": 0, "booked": 1, "no_show": 0, "cancelled_by_patient": 0, "cancelled_by_hospital": 1},
        today + dt.timedelta(days=3): {
            "completed": 0,
            "booked": 1,
            "no_show": 0,
            "cancelled_by_patient": 0,
            "cancelled_by_hospital": 0,
        },
    }
    assert [n for _, n in chart.last_totals] == [1, 0, 1, 1, 0]  # completed, booked, no-show, by patient, by hospital
    assert [n for _, n in chart.next_totals] == [0, 2, 0, 0, 1]


def test_utilisation_per_doctor_over_each_half(alpha, alpha_admin, week_of_activity):
    today, doctor, idle = week_of_activity
    rows = {row.doctor.pk: row for row in chart_for(alpha, alpha_admin, today).doctors}

    busy = rows[doctor.pk]
    assert (busy.last_weeks.booked_slots, busy.last_weeks.offered_slots, busy.last_weeks.percent) == (1, 6, 17)
    assert (busy.next_weeks.booked_slots, busy.next_weeks.offered_slots, busy.next_weeks.percent) == (2, 12, 17)
    assert rows[idle.pk].last_weeks.percent is None


def test_the_bars_are_stacked_to_scale(alpha, alpha_admin, week_of_activity):
    today, _, _ = week_of_activity
    chart = chart_for(alpha, alpha_admin, today)
    day = next(d for d in chart.days if d.date == today - dt.timedelta(days=2))

    assert [v for v, _ in chart.y_ticks] == [0, 1, 2, 3, 4]  # busiest day 3, axis rounded up to 4
    assert [s.series for s in day.segments] == ["completed", "no_show", "cancelled_by_patient"]
    assert {s.height for s in day.segments} == {47.0}  # (240 − 18 − 34) / 4 per appointment
    assert day.segments[0].y + day.segments[0].height == 206  # the first sits on the axis
    assert chart.today_x == 40 + 28 * 12


def test_the_chart_takes_a_few_queries_whatever_the_activity(alpha, alpha_admin, week_of_activity):
    today, _, _ = week_of_activity
    with hospital_context(alpha):
        access = staff_access(alpha_admin, alpha)
        with CaptureQueriesContext(connection) as queries:
            activity_chart(access=access, today=today)
    selects = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    # counts per day; doctors; for each half's utilisation: weekly hours, dated windows, time off and appointments
    assert len(selects) == 10


def test_a_doctors_chart_is_their_own(alpha, doctor_with_login, week_of_activity):
    today, _, _ = week_of_activity
    own, user = doctor_with_login
    open_day(alpha, own, today, "14:00", "15:00")
    book_slot(alpha, own, today, "14:00")

    chart = chart_for(alpha, user, today)

    assert [n for _, n in chart.next_totals] == [0, 1, 0, 0, 0]
    assert [row.doctor.pk for row in chart.doctors] == [own.pk]


def test_the_overview_draws_the_chart_with_its_text_equivalents(alpha, alpha_admin, week_of_activity, monkeypatch):
    import tenant_apps.dashboard.urls  # noqa: F401 - see test_selectors.pretend_today
    from tenant_apps.dashboard import selectors

    today, _, _ = week_of_activity
    monkeypatch.setattr(selectors, "local_today", lambda hospital: today)
    html = client_for(alpha_admin).get("/").content.decode()
    chart = html[html.index('<section aria-labelledby="chart-heading"') :]
    chart = chart[: chart.index("</section>")]

    assert re.search(r'<svg class="chart-svg" viewBox="0 0 720 240" role="img" aria-labelledby="chart-title', chart)
    assert "<figcaption" in chart
    assert "Numbers per day" in chart
    assert chart.count('<tr aria-current="date">') == 1
    assert "Dr Busy" in chart
    assert '17% <span class="hint">(1 of 6 slots)</span>' in chart
    assert "no offered slots" in chart  # Dr Idle
    assert "style=" not in chart  # the CSP allows no inline styles
    for label in ("Completed", "Booked", "No-show", "Cancelled by patient", "Cancelled by hospital"):
        assert label in chart
