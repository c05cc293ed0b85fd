"""The overview's chart: appointments per day over the last and the next four weeks, and utilisation per doctor.

`activity_chart` reads the numbers in a few queries and lays the bars out, so the template only draws SVG
shapes at given coordinates (no JavaScript, nothing from a CDN, no style attributes: the CSP forbids inline
styles). Every number drawn is also given as text: a caption with the totals and a table per day.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, F, Value, When

from shared_apps.accounts.access import StaffAccess
from tenant_apps.appointments.models import AppointmentStatus
from tenant_apps.appointments.selectors import appointment_list_for_staff
from tenant_apps.dashboard.selectors import Utilisation, utilisation_by_doctor
from tenant_apps.doctors.models import Doctor
from tenant_apps.doctors.selectors import doctors_for_staff

WEEKS = 4
# SVG user units (the viewBox): 56 bars of 12 units, axis labels left and below.
WIDTH, HEIGHT = 720, 240
LEFT, TOP, BOTTOM = 40, 18, 34
BAR_STEP, BAR_WIDTH = 12, 10
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    key: str
    label: str


# Stacked from the bottom up; each has its own fill pattern in the stylesheet (not colour alone).
SERIES = (
    Series("completed", "Completed"),
    Series("booked", "Booked"),
    Series("no_show", "No-show"),
    Series("cancelled_by_patient", "Cancelled by patient"),
    Series("cancelled_by_hospital", "Cancelled by hospital"),
)


@dataclass(frozen=True)
class Segment:
    series: str
    y: float
    height: float


@dataclass
class ChartDay:
    date: dt.date
    counts: dict[str, int]
    is_future: bool
    x: float = 0
    segments: list[Segment] = field(default_factory=list)
    axis_label: str = ""

    @property
    def values(self) -> list[int]:
        return [self.counts[s.key] for s in SERIES]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def summary(self) -> str:
        parts = [f"{self.counts[s.key]} {s.label.lower()}" for s in SERIES if self.counts[s.key]]
        return f"{self.date:%a} {self.date.day} {self.date:%b}: {', '.join(parts) or 'no appointments'}"


@dataclass(frozen=True)
class DoctorUtilisation:
    doctor: Doctor
    last_weeks: Utilisation
    next_weeks: Utilisation

    @property
    def cells(self) -> list[tuple[Utilisation, str]]:
        """The two table cells, with the meter's kind (its fill pattern)."""
        return [(self.last_weeks, "last"), (self.next_weeks, "next")]


@dataclass
class ActivityChart:
    today: dt.date
    date_from: dt.date
    date_to: dt.date
    days: list[ChartDay]
    y_ticks: list[tuple[int, float]]
    today_x: float
    doctors: list[DoctorUtilisation]
    series: tuple[Series, ...] = SERIES
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH
    plot_bottom: int = HEIGHT - BOTTOM

    def _totals(self, days) -> list[tuple[Series, int]]:
        return [(s, sum(d.counts[s.key] for d in days)) for s in SERIES]

    @property
    def last_totals(self) -> list[tuple[Series, int]]:
        return self._totals([d for d in self.days if not d.is_future])

    @property
    def next_totals(self) -> list[tuple[Series, int]]:
        return self._totals([d for d in self.days if d.is_future])


def day_counts(*, access: StaffAccess, date_from: dt.date, date_to: dt.date) -> dict[dt.date, dict[str, int]]:
    """Appointments per local date and series between two dates, for what `access` may see (one query).

    A cancellation is "by patient" when the patient cancelled it themself; by anyone else (staff, or the system
    for time off) it is "by hospital".
    """
    counts = {
        date_from + dt.timedelta(days=n): {s.key: 0 for s in SERIES} for n in range((date_to - date_from).days + 1)
    }
    by_patient = Case(
        When(cancelled_by=F("patient"), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    rows = (
        appointment_list_for_staff(access=access, date_from=date_from, date_to=date_to)
        .order_by()
        .annotate(by_patient=by_patient)
        .values("appointment_date", "status", "by_patient")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["appointment_date"]][_series_of(row["status"], row["by_patient"])] += row["n"]
    return counts


def _series_of(status: str, by_patient: bool) -> str:
    if status == AppointmentStatus.CANCELLED:
        return "cancelled_by_patient" if by_patient else "cancelled_by_hospital"
    return status


def _y_max(days: list[ChartDay]) -> int:
    """The axis top: the busiest day rounded up to a multiple of 4 (whole-number gridlines at quarters)."""
    return max(4, 4 * math.ceil(max((d.total for d in days), default=0) / 4))


def _lay_out(days: list[ChartDay], y_max: int) -> None:
    scale = PLOT_HEIGHT / y_max
    for n, day in enumerate(days):
        day.x = LEFT + n * BAR_STEP + (BAR_STEP - BAR_WIDTH) / 2
        base = TOP + PLOT_HEIGHT
        for series in SERIES:
            height = day.counts[series.key] * scale
            if height:
                base -= height
                day.segments.append(Segment(series=series.key, y=round(base, 2), height=round(height, 2)))
        if day.date.weekday() == 0:
            day.axis_label = f"{day.date.day} {day.date:%b}"


def activity_chart(*, access: StaffAccess, today: dt.date) -> ActivityChart:
    """The overview chart's data and layout: per day from four weeks before `today` to four weeks after (today
    counts as the first of the next four weeks), and each active doctor's utilisation over both halves
    (utilisation_by_doctor) — the hospital's for its admin, their own for a doctor. Ten queries.
    """
    date_from, date_to = today - dt.timedelta(weeks=WEEKS), today + dt.timedelta(weeks=WEEKS, days=-1)
    counts = day_counts(access=access, date_from=date_from, date_to=date_to)
    days = [ChartDay(date=day, counts=c, is_future=day >= today) for day, c in counts.items()]
    y_max = _y_max(days)
    _lay_out(days, y_max)
    return ActivityChart(
        today=today,
        date_from=date_from,
        date_to=date_to,
        days=days,
        y_ticks=[(y_max * q // 4, TOP + PLOT_HEIGHT * (1 - q / 4)) for q in range(5)],
        today_x=LEFT + (today - date_from).days * BAR_STEP,
        doctors=_doctor_utilisation(access=access, today=today, date_from=date_from, date_to=date_to),
    )


def _doctor_utilisation(*, access, today, date_from, date_to) -> list[DoctorUtilisation]:
    doctors = [d for d in doctors_for_staff(access=access) if d.is_active]
    hospital = access.hospital
    last = utilisation_by_doctor(
        hospital=hospital, doctors=doctors, date_from=date_from, date_to=today - dt.timedelta(days=1)
    )
    upcoming = utilisation_by_doctor(hospital=hospital, doctors=doctors, date_from=today, date_to=date_to)
    return [DoctorUtilisation(doctor=d, last_weeks=last[d.pk], next_weeks=upcoming[d.pk]) for d in doctors]
