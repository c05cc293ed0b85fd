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
from tenant_apps.appointments.models import HELD, Appointment, AppointmentStatus
from tenant_apps.appointments.selectors import appointment_list_for_staff
from tenant_apps.doctors.models import Doctor, DoctorAvailability, DoctorStatus
from tenant_apps.doctors.selectors import (
    availability_windows,
    doctor_free_slots,
    doctor_schedule,
    doctors_for_staff,
    schedules_for,
)
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


def _occupied_by_doctor(doctors: list[Doctor], date_from: dt.date, date_to: dt.date, *, holds: bool = False) -> dict:
    """Booked and completed appointments' intervals per doctor (a day of margin: local dates vs UTC instants);
    with `holds`, slots held for waitlist offers too (taken, though not booked)."""
    occupied = defaultdict(list)
    rows = Appointment.objects.filter(
        doctor__in=doctors,
        status__in=(*OCCUPYING, HELD) if holds else OCCUPYING,
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
    """Booked slots / offered slots of each doctor between two local dates, past slots included (four queries).

    Offered: every slot of the doctors' schedules (the one slot computation, from the beginning of time). Booked:
    those of them taken by a booked or completed appointment.
    """
    schedules = schedules_for(doctors=doctors, date_from=date_from, date_to=date_to)
    occupied = _occupied_by_doctor(doctors, date_from, date_to)
    result = {}
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
        result[doctor.pk] = Utilisation(offered_slots=all_slots, booked_slots=all_slots - still_free)
    return result


def utilisation(*, hospital: Hospital, doctors: list[Doctor], date_from: dt.date, date_to: dt.date) -> Utilisation:
    """utilisation_by_doctor, summed over `doctors`."""
    each = utilisation_by_doctor(hospital=hospital, doctors=doctors, date_from=date_from, date_to=date_to).values()
    return Utilisation(offered_slots=sum(u.offered_slots for u in each), booked_slots=sum(u.booked_slots for u in each))


@dataclass
class DoctorToday:
    doctor: Doctor
    plan: DayPlan
    free_slots_left: int = 0


def doctors_available_on(*, hospital: Hospital, doctors: list[Doctor], day: dt.date) -> list[DoctorToday]:
    """Active doctors with open hours on `day` (weekly or dated), their plan for it and how many slots are left."""
    active = [d for d in doctors if d.status == DoctorStatus.ACTIVE]
    schedules = schedules_for(doctors=active, date_from=day, date_to=day)
    occupied = _occupied_by_doctor(active, day, day, holds=True)
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


@dataclass(frozen=True)
class Entry:
    """One thing on a day of the week view. `kind` (open, blocked, time_off, booked) picks the style; `label` says
    the same in words, so that colour is never the only sign.
    """

    kind: str
    label: str
    start: dt.time
    end: dt.time | None  # None: to the end of the day
    window: DoctorAvailability | None = None  # a dated window, removable from the week view
    appointment_id: object = None


@dataclass
class Day:
    date: dt.date
    entries: list[Entry]
    free: list[dt.time]
    from_weekly_hours: bool
    is_past: bool
    waiting: int = 0

    @property
    def booked(self) -> int:
        return sum(1 for entry in self.entries if entry.kind == "booked")

    @property
    def free_slots(self) -> int:
        return len(self.free)

    @property
    def windows(self) -> list[DoctorAvailability]:
        return [entry.window for entry in self.entries if entry.window is not None]


def _range_times(date: dt.date, start: dt.datetime, end: dt.datetime) -> tuple[dt.time, dt.time | None]:
    """A local range of `date` as clock times; an end past the date's last minute (time off to midnight) is None."""
    return max(start, dt.datetime.combine(date, dt.time())).time(), (end.time() if end.date() == date else None)


def _day_entries(plan: DayPlan, windows: list[DoctorAvailability], booked: list[dict], zone) -> list[Entry]:
    entries = []
    if plan.from_weekly_hours:
        entries += [Entry("open", "Open · weekly hours", start, end) for start, end in plan.open]
    for window in windows:
        kind, label = ("open", "Open · this date only") if window.is_available else ("blocked", "Blocked")
        entries.append(Entry(kind, label, window.start_time, window.end_time, window=window))
    for start, end in plan.time_off:
        start_time, end_time = _range_times(plan.date, start, end)
        whole_day = start_time == dt.time() and end_time is None
        entries.append(Entry("time_off", "Time off · all day" if whole_day else "Time off", start_time, end_time))
    for row in booked:
        end = row["ends_at"].astimezone(zone)
        label = "Booked" if row["status"] == AppointmentStatus.BOOKED else "Booked · completed"
        end_time = end.time() if end.date() == plan.date else None
        entries.append(Entry("booked", label, row["appointment_time"], end_time, appointment_id=row["id"]))
    return sorted(entries, key=lambda e: (e.start, e.kind != "open"))


def availability_week(*, hospital: Hospital, doctor: Doctor, monday: dt.date) -> list[Day]:
    """Seven days of one doctor's schedule from `monday`, all from the one slot computation: each day's open hours
    (weekly, or the date's own windows), blocked windows and time off (`day_plan`), its free slots
    (`doctor_free_slots`), its booked and completed appointments, and how many patients wait. Six queries, whatever
    the week holds.
    """
    sunday = monday + dt.timedelta(days=6)
    schedule = doctor_schedule(doctor=doctor, date_from=monday, date_to=sunday)
    windows = list(availability_windows(doctor=doctor, date_from=monday, date_to=sunday))
    appointments = list(
        Appointment.objects.filter(
            doctor=doctor,
            status__in=(*OCCUPYING, HELD),  # a slot held for a waiting patient is not free either
            # A day of margin each side, as busy_intervals: one that starts late on Sunday may end in this week.
            appointment_date__gte=monday - dt.timedelta(days=1),
            appointment_date__lte=sunday + dt.timedelta(days=1),
        )
        .order_by("starts_at")
        .values("id", "appointment_date", "appointment_time", "starts_at", "ends_at", "status")
    )
    busy = [(row["starts_at"], row["ends_at"]) for row in appointments]
    free = doctor_free_slots(
        hospital=hospital, doctor=doctor, date_from=monday, date_to=sunday, schedule=schedule, busy=busy
    )
    week = [monday + dt.timedelta(days=offset) for offset in range(7)]
    waiting = waiting_counts(doctors=[doctor], dates=week)
    today = local_today(hospital)
    days = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        plan = day_plan(schedule, day)
        booked = [row for row in appointments if row["appointment_date"] == day and row["status"] != HELD]
        days.append(
            Day(
                date=day,
                entries=_day_entries(plan, [w for w in windows if w.date == day], booked, hospital.zone),
                free=[slot.time for slot in free if slot.date == day],
                from_weekly_hours=plan.from_weekly_hours and bool(plan.open),
                is_past=day < today,
                waiting=waiting.get((doctor.pk, day), 0),
            )
        )
    return days


def appointments_listed(*, doctor: Doctor, appointment_ids: list) -> list[Appointment]:
    """The doctor's appointments among `appointment_ids` with their patients, in time order (the ones a time off
    would cancel, for the confirmation page).
    """
    return list(
        Appointment.objects.filter(doctor=doctor, pk__in=appointment_ids)
        .select_related("patient")
        .order_by("starts_at")
    )


def window_get(*, doctor: Doctor, window_id: int) -> DoctorAvailability | None:
    """One of `doctor`'s windows by id, or None (another doctor's window is as missing as a deleted one)."""
    return DoctorAvailability.objects.filter(doctor=doctor, pk=window_id).first()
