"""Reads for the dashboard's pages, inside the hospital's schema (the tenant middleware has chosen it).

Who sees what is decided here and in the selectors reused from the doctors and appointments apps: a hospital
admin sees the whole hospital; a doctor sees their own record, schedule and appointments only.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from shared_apps.accounts.access import StaffAccess
from shared_apps.accounts.models import User
from shared_apps.hospitals.models import Hospital
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.appointments.selectors import appointment_list_for_staff
from tenant_apps.doctors.models import Doctor, DoctorAvailability, DoctorStatus
from tenant_apps.doctors.selectors import availability_windows, doctor_free_slots, doctors_for_staff, schedules_for
from tenant_apps.doctors.slots import DayPlan, day_plan, free_slots
from tenant_apps.waitlist.selectors import waiting_counts

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


def utilisation(*, hospital: Hospital, doctors: list[Doctor], date_from: dt.date, date_to: dt.date) -> Utilisation:
    """Booked slots / offered slots of `doctors` between two local dates, past slots included.

    Offered: every slot of the doctors' schedules (the one slot computation, from the beginning of time). Booked:
    those of them taken by a booked or completed appointment.
    """
    schedules = schedules_for(doctors=doctors, date_from=date_from, date_to=date_to)
    occupied = _occupied_by_doctor(doctors, date_from, date_to)
    offered = booked = 0
    for doctor in doctors:
        grid = {
            "schedule": schedules[doctor.pk],
            "date_from": date_from,
            "date_to": date_to,
            "slot_minutes": doctor.slot_minutes,
            "zone": hospital.zone,
            "not_before": BEGINNING_OF_TIME,
        }
        all_slots = len(free_slots(**grid))
        still_free = len(free_slots(**grid, busy=occupied[doctor.pk]))
        offered += all_slots
        booked += all_slots - still_free
    return Utilisation(offered_slots=offered, booked_slots=booked)


@dataclass
class DoctorToday:
    doctor: Doctor
    plan: DayPlan
    free_slots_left: int = 0


def doctors_available_on(*, hospital: Hospital, doctors: list[Doctor], day: dt.date) -> list[DoctorToday]:
    """Active doctors with open hours on `day` (weekly or dated), their plan for it and how many slots are left."""
    active = [d for d in doctors if d.status == DoctorStatus.ACTIVE]
    schedules = schedules_for(doctors=active, date_from=day, date_to=day)
    occupied = _occupied_by_doctor(active, day, day)
    result = []
    for doctor in active:
        plan = day_plan(schedules[doctor.pk], day)
        if not plan.open:
            continue
        left = doctor_free_slots(
            hospital=hospital,
            doctor=doctor,
            date_from=day,
            date_to=day,
            schedule=schedules[doctor.pk],
            busy=occupied[doctor.pk],
        )
        result.append(DoctorToday(doctor=doctor, plan=plan, free_slots_left=len(left)))
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
    utilisation (of active doctors), and the doctors available today — of the whole hospital for its admin, of
    themself for a doctor.
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
    waiting: int = 0


def availability_week(*, hospital: Hospital, doctor: Doctor, monday: dt.date) -> list[Day]:
    """Seven days of one doctor's schedule from `monday`: windows, free slots left, booked appointments, patients
    on the waitlist."""
    sunday = monday + dt.timedelta(days=6)
    rows = list(availability_windows(doctor=doctor, date_from=monday, date_to=sunday))
    free = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=monday, date_to=sunday)
    booked = (
        Appointment.objects.filter(
            doctor=doctor, status=AppointmentStatus.BOOKED, appointment_date__gte=monday, appointment_date__lte=sunday
        )
        .values("appointment_date")
        .annotate(n=Count("id"))
    )
    booked_by_day = {row["appointment_date"]: row["n"] for row in booked}
    week = [monday + dt.timedelta(days=offset) for offset in range(7)]
    waiting = waiting_counts(doctors=[doctor], dates=week)
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
                waiting=waiting.get((doctor.pk, day), 0),
            )
        )
    return days


def window_get(*, doctor: Doctor, window_id: int) -> DoctorAvailability | None:
    """One of `doctor`'s windows by id, or None (another doctor's window is as missing as a deleted one)."""
    return DoctorAvailability.objects.filter(doctor=doctor, pk=window_id).first()
