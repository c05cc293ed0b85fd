"""Reads for the dashboard's pages, inside the hospital's schema (the tenant middleware has chosen it).

Who sees what is decided here and in the selectors reused from the doctors and appointments apps: a hospital
admin sees the whole hospital; a doctor sees their own record, schedule and appointments only.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from shared_apps.accounts.access import StaffAccess
from shared_apps.accounts.models import User
from shared_apps.hospitals.models import Hospital
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.appointments.selectors import appointment_list_for_staff
from tenant_apps.doctors.models import Doctor, DoctorAvailability, DoctorStatus
from tenant_apps.doctors.selectors import availability_windows, doctor_free_slots, doctors_for_staff
from tenant_apps.doctors.slots import Window, free_slots

# Passed as `now` to free_slots to count every slot of a window, including those that have already started.
BEGINNING_OF_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
UPCOMING_LIMIT = 10
OCCUPYING = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)


def local_today(hospital: Hospital) -> dt.date:
    return timezone.now().astimezone(hospital.zone).date()


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def own_doctor(*, user: User) -> Doctor | None:
    """The doctor record of a signed-in doctor, or None (an admin, or a doctor whose record is gone)."""
    return Doctor.objects.filter(user=user).first()


def _windows_by_doctor(doctors: list[Doctor], date_from: dt.date, date_to: dt.date) -> dict:
    windows = defaultdict(list)
    rows = DoctorAvailability.objects.filter(doctor__in=doctors, date__gte=date_from, date__lte=date_to)
    for w in rows.order_by("date", "start_time"):
        windows[w.doctor_id].append(Window(w.date, w.start_time, w.end_time, w.is_available))
    return windows


def _occupied_by_doctor(doctors: list[Doctor], date_from: dt.date, date_to: dt.date) -> dict:
    """Booked and completed appointments' intervals per doctor (a day of margin: local dates vs UTC instants)."""
    occupied = defaultdict(list)
    rows = Appointment.objects.filter(
        doctor__in=doctors,
        status__in=OCCUPYING,
        appointment_date__gte=date_from - dt.timedelta(days=1),
        appointment_date__lte=date_to + dt.timedelta(days=1),
    ).values_list("doctor_id", "starts_at", "ends_at")
    for doctor_id, starts_at, ends_at in rows:
        occupied[doctor_id].append((starts_at, ends_at))
    return occupied


@dataclass(frozen=True)
class Utilisation:
    offered_slots: int
    booked_slots: int

    @property
    def rate(self) -> float | None:
        return self.booked_slots / self.offered_slots if self.offered_slots else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


def utilisation_by_doctor(
    *, hospital: Hospital, doctors: list[Doctor], date_from: dt.date, date_to: dt.date
) -> dict[object, Utilisation]:
    """Booked slots / offered slots of each doctor between two local dates, past slots included (two queries).

    Offered: every slot on the doctor's grid inside their available windows, outside blocked time. Booked: those
    of them taken by a booked or completed appointment.
    """
    windows = _windows_by_doctor(doctors, date_from, date_to)
    occupied = _occupied_by_doctor(doctors, date_from, date_to)
    result = {}
    for doctor in doctors:
        grid = {"windows": windows[doctor.pk], "slot_minutes": doctor.slot_minutes, "zone": hospital.zone}
        all_slots = len(free_slots(**grid, now=BEGINNING_OF_TIME))
        still_free = len(free_slots(**grid, busy=occupied[doctor.pk], now=BEGINNING_OF_TIME))
        result[doctor.pk] = Utilisation(offered_slots=all_slots, booked_slots=all_slots - still_free)
    return result


def utilisation(*, hospital: Hospital, doctors: list[Doctor], date_from: dt.date, date_to: dt.date) -> Utilisation:
    """utilisation_by_doctor, summed over `doctors`."""
    each = utilisation_by_doctor(hospital=hospital, doctors=doctors, date_from=date_from, date_to=date_to).values()
    return Utilisation(offered_slots=sum(u.offered_slots for u in each), booked_slots=sum(u.booked_slots for u in each))


@dataclass
class DoctorToday:
    doctor: Doctor
    open_windows: list[Window] = field(default_factory=list)
    blocked_windows: list[Window] = field(default_factory=list)
    free_slots_left: int = 0


def doctors_available_on(*, hospital: Hospital, doctors: list[Doctor], day: dt.date) -> list[DoctorToday]:
    """Active doctors with an available window on `day`, their hours and how many slots are still free."""
    active = [d for d in doctors if d.status == DoctorStatus.ACTIVE]
    windows = _windows_by_doctor(active, day, day)
    occupied = _occupied_by_doctor(active, day, day)
    result = []
    for doctor in active:
        own = windows[doctor.pk]
        if not any(w.is_available for w in own):
            continue
        left = free_slots(
            windows=own,
            slot_minutes=doctor.slot_minutes,
            zone=hospital.zone,
            busy=occupied[doctor.pk],
            now=timezone.now(),
        )
        result.append(
            DoctorToday(
                doctor=doctor,
                open_windows=[w for w in own if w.is_available],
                blocked_windows=[w for w in own if not w.is_available],
                free_slots_left=len(left),
            )
        )
    return result


@dataclass
class Overview:
    today: dt.date
    week_from: dt.date
    week_to: dt.date
    todays_appointments: list[Appointment]
    upcoming_appointments: list[Appointment]
    week_counts: dict[str, int]
    cancellation_rate: float | None
    utilisation: Utilisation
    available_today: list[DoctorToday]

    @property
    def week_total(self) -> int:
        return sum(self.week_counts.values())

    @property
    def cancellation_percent(self) -> int | None:
        return None if self.cancellation_rate is None else round(self.cancellation_rate * 100)


def overview_for(*, access: StaffAccess) -> Overview:
    """The overview page: today's and upcoming appointments, this week's counts by status, cancellation rate and
    utilisation (of active doctors) and the doctors available today — of the whole hospital for its admin, of
    themself for a doctor. The chart of the last and next four weeks is tenant_apps/dashboard/chart.py's.
    """
    hospital = access.hospital
    today = local_today(hospital)
    monday = week_start(today)
    sunday = monday + dt.timedelta(days=6)
    doctors = list(doctors_for_staff(access=access))
    staff_list = {"access": access}

    todays = list(appointment_list_for_staff(**staff_list, date_from=today, date_to=today))
    upcoming = list(
        appointment_list_for_staff(
            **staff_list, date_from=today + dt.timedelta(days=1), status=AppointmentStatus.BOOKED
        )[:UPCOMING_LIMIT]
    )
    week = appointment_list_for_staff(**staff_list, date_from=monday, date_to=sunday)
    counts = {status: 0 for status in AppointmentStatus.values}
    for row in week.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    total = sum(counts.values())
    return Overview(
        today=today,
        week_from=monday,
        week_to=sunday,
        todays_appointments=todays,
        upcoming_appointments=upcoming,
        week_counts=counts,
        cancellation_rate=counts[AppointmentStatus.CANCELLED] / total if total else None,
        utilisation=utilisation(
            hospital=hospital, doctors=[d for d in doctors if d.is_active], date_from=monday, date_to=sunday
        ),
        available_today=doctors_available_on(hospital=hospital, doctors=doctors, day=today),
    )


@dataclass
class Day:
    date: dt.date
    windows: list[DoctorAvailability]
    free_slots: int
    booked: int
    is_past: bool


def availability_week(*, hospital: Hospital, doctor: Doctor, monday: dt.date) -> list[Day]:
    """Seven days of one doctor's schedule from `monday`: windows, free slots left, booked appointments."""
    sunday = monday + dt.timedelta(days=6)
    rows = list(availability_windows(doctor=doctor, date_from=monday, date_to=sunday))
    free = doctor_free_slots(hospital=hospital, doctor=doctor, windows=rows, date_from=monday, date_to=sunday)
    booked = (
        Appointment.objects.filter(
            doctor=doctor, status=AppointmentStatus.BOOKED, appointment_date__gte=monday, appointment_date__lte=sunday
        )
        .values("appointment_date")
        .annotate(n=Count("id"))
    )
    booked_by_day = {row["appointment_date"]: row["n"] for row in booked}
    today = local_today(hospital)
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        days.append(
            Day(
                date=day,
                windows=[w for w in rows if w.date == day],
                free_slots=sum(1 for s in free if s.date == day),
                booked=booked_by_day.get(day, 0),
                is_past=day < today,
            )
        )
    return days


def window_get(*, doctor: Doctor, window_id: int) -> DoctorAvailability | None:
    """One of `doctor`'s windows by id, or None (another doctor's window is as missing as a deleted one)."""
    return DoctorAvailability.objects.filter(doctor=doctor, pk=window_id).first()
