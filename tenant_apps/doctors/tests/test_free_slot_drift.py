"""The directory's free-slot facts never drift: a seeded random sequence of every write that moves free slots, in
two hospitals, leaves each doctor's DoctorDay rows and next_available equal to a computation from scratch after
every step, and directory_rebuild() then finds nothing to repair; and when facts are corrupted by hand, the
rebuild names exactly the doctors it repaired."""

import datetime as dt
import io
import random
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from shared_apps.common.errors import ApplicationError
from shared_apps.directory.models import DoctorDay, DoctorEntry
from shared_apps.hospitals.models import Hospital
from shared_apps.hospitals.tenancy import hospital_context
from tenant_apps.appointments.models import Appointment, AppointmentStatus
from tenant_apps.appointments.services import appointment_book, appointment_cancel, appointment_reschedule
from tenant_apps.doctors.directory_sync import DirectoryDrift, directory_rebuild
from tenant_apps.doctors.models import DoctorAvailability, DoctorStatus, TimeOff
from tenant_apps.doctors.selectors import doctor_free_slots
from tenant_apps.doctors.services import (
    availability_set,
    doctor_update,
    schedule_set,
    time_off_add,
    time_off_remove,
)
from tenant_apps.doctors.services.facts import hospital_policy_change
from tenant_apps.doctors.tests.factories import admin_of, make_doctor, open_day
from tenant_apps.doctors.tests.helpers import new_patient, recomputed, stored
from tenant_apps.waitlist.models import WaitlistEntry, WaitlistStatus
from tenant_apps.waitlist.services import waitlist_decline
from tenant_apps.waitlist.tests.helpers import join, match

pytestmark = pytest.mark.django_db

SEED = 16
STEPS = 80
NEAR_DAYS = 14  # dated writes fall on today .. today + NEAR_DAYS, where the weekly hours fall too
REFUSED = (ApplicationError, ValidationError)  # a random pick the rules refuse: expected, nothing written


@pytest.fixture
def frozen_now():
    """The services' clock stops at the real now: no slot enters the booking notice halfway, so any difference
    between stored and recomputed facts is a write that forgot them, never time passing."""
    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now):
        yield now


def no_drift(drift: DirectoryDrift) -> dict:
    return {"missing": drift.missing, "stale": drift.stale, "orphaned": drift.orphaned, "facts": drift.facts}


NOTHING = {"missing": [], "stale": [], "orphaned": [], "facts": []}


class Drive:
    """The world the random steps act on: the hospitals (kept current across policy changes) and their doctors."""

    def __init__(self, rng: random.Random, hospitals: list[Hospital]):
        self.rng = rng
        self.hospitals = {h.pk: h for h in hospitals}
        self.doctors = []  # (hospital id, doctor)
        for hospital in hospitals:
            for slot_minutes in (20, 30, 30)[: 3 if hospital.slug == "alpha" else 2]:
                doctor = make_doctor(hospital, slot_minutes=slot_minutes)
                self.doctors.append((hospital.pk, doctor))
                self.weekly_hours(hospital, doctor)

    # what a step acts on

    def pick(self):
        hospital_id, doctor = self.rng.choice(self.doctors)
        return self.hospitals[hospital_id], doctor

    def doctor(self, pk):
        """The drive's own instance of a doctor (the one whose status and slot length it changes)."""
        return next(doctor for _, doctor in self.doctors if doctor.pk == pk)

    def today(self, hospital) -> dt.date:
        return timezone.now().astimezone(hospital.zone).date()

    def near_day(self, hospital) -> dt.date:
        return self.today(hospital) + dt.timedelta(days=self.rng.randint(0, NEAR_DAYS))

    def free_slot(self, hospital, doctor):
        today = self.today(hospital)
        free = doctor_free_slots(
            hospital=hospital, doctor=doctor, date_from=today, date_to=today + dt.timedelta(days=NEAR_DAYS)
        )
        return self.rng.choice(free) if free else None

    def booked(self, hospital):
        appointments = Appointment.objects.filter(status=AppointmentStatus.BOOKED).select_related("doctor", "patient")
        appointments = list(appointments.order_by("starts_at", "doctor__name"))
        return self.rng.choice(appointments) if appointments else None

    def times(self):
        start = dt.datetime.combine(dt.date(2000, 1, 1), dt.time(self.rng.choice((8, 9, 13)), self.rng.choice((0, 30))))
        end = start + dt.timedelta(minutes=self.rng.choice((60, 90, 120)))
        return start.time(), end.time()

    # the steps: each writes through a service and says what it did

    def weekly_hours(self, hospital, doctor):
        rows = []
        for weekday in sorted(self.rng.sample(range(7), self.rng.randint(1, 4))):
            start, end = self.times()
            rows.append({"weekday": weekday, "start_time": start, "end_time": end})
        with hospital_context(hospital):
            schedule_set(actor=admin_of(hospital), hospital=hospital, doctor=doctor, weekly_hours=rows)
        return f"weekly hours {[(r['weekday'], str(r['start_time'])) for r in rows]}"

    def book(self, hospital, doctor):
        with hospital_context(hospital):
            slot = self.free_slot(hospital, doctor)
            if slot is None or self.rng.random() < 0.1:  # now and then a time that is no free slot
                day, time = self.near_day(hospital), self.times()[0]
            else:
                day, time = slot.date, slot.time
            appointment_book(actor=new_patient(), hospital=hospital, doctor=doctor, date=day, time=time)
        return f"book {day} {time}"

    def cancel(self, hospital, doctor):
        with hospital_context(hospital):
            appointment = self.booked(hospital)
            if appointment is None:
                return "cancel: none booked"
            appointment_cancel(actor=admin_of(hospital), hospital=hospital, appointment=appointment)
        return f"cancel {appointment.appointment_date} {appointment.appointment_time}"

    def reschedule(self, hospital, doctor):
        with hospital_context(hospital):
            appointment = self.booked(hospital)
            slot = appointment and self.free_slot(hospital, appointment.doctor)
            if slot is None:
                return "reschedule: nothing to move"
            was = appointment.appointment_date
            appointment_reschedule(
                actor=admin_of(hospital), hospital=hospital, appointment=appointment, date=slot.date, time=slot.time
            )
        return f"reschedule {was} → {slot.date} {slot.time}"

    def time_off(self, hospital, doctor):
        """Time off over a booked appointment (cancelled with it) or a free slot, whole days or an hour of each."""
        with hospital_context(hospital):
            appointment = self.booked(hospital) if self.rng.random() < 0.5 else None
            if appointment is not None:
                doctor, day, at = (
                    self.doctor(appointment.doctor_id),
                    appointment.appointment_date,
                    appointment.appointment_time,
                )
            else:
                slot = self.free_slot(hospital, doctor)
                day, at = (slot.date, slot.time) if slot else (self.near_day(hospital), dt.time(9))
            start = max(day - dt.timedelta(days=self.rng.randint(0, 1)), self.today(hospital))
            end = day + dt.timedelta(days=self.rng.randint(0, 1))
            hour = (dt.datetime.combine(day, at) + dt.timedelta(hours=1)).time()
            times = (at, hour) if self.rng.random() < 0.5 and hour > at else (None, None)
            _, cancelled = time_off_add(
                actor=admin_of(hospital),
                hospital=hospital,
                doctor=doctor,
                start_date=start,
                end_date=end,
                start_time=times[0],
                end_time=times[1],
                cancel_appointments=True,
            )
        return f"{doctor.name} time off {start}..{end} {times}, {len(cancelled)} cancelled"

    def time_off_end(self, hospital, doctor):
        with hospital_context(hospital):
            leave = list(TimeOff.objects.order_by("start_date", "start_time", "end_date", "doctor__name"))
            if not leave:
                return "time off removal: none"
            chosen = self.rng.choice(leave)
            doctor = self.doctor(chosen.doctor_id)
            time_off_remove(actor=admin_of(hospital), hospital=hospital, doctor=doctor, time_off=chosen)
        return f"{doctor.name} time off removed {chosen.start_date}..{chosen.end_date}"

    def window(self, hospital, doctor):
        day = self.near_day(hospital)
        start, end = self.times()
        blocked = [("10:00", "10:30")] if self.rng.random() < 0.3 else []
        open_day(hospital, doctor, day, f"{start:%H:%M}", f"{end:%H:%M}", blocked=blocked)
        return f"window {day} {start}-{end} blocked {blocked}"

    def window_clear(self, hospital, doctor):
        with hospital_context(hospital):
            windows = DoctorAvailability.objects.order_by("date", "doctor__name").values_list("doctor_id", "date")
            if not windows:
                return "window clear: none"
            doctor_id, day = self.rng.choice(sorted(set(windows), key=lambda w: (w[1], self.doctor(w[0]).name)))
            doctor = self.doctor(doctor_id)
            availability_set(actor=admin_of(hospital), hospital=hospital, doctor=doctor, windows=[], clear_dates=[day])
        return f"{doctor.name} windows cleared on {day}"

    def status(self, hospital, doctor):
        status = DoctorStatus.INACTIVE if doctor.status == DoctorStatus.ACTIVE else DoctorStatus.ACTIVE
        with hospital_context(hospital):
            doctor_update(actor=admin_of(hospital), hospital=hospital, doctor=doctor, status=status)
        return f"status {status}"

    def slot_length(self, hospital, doctor):
        minutes = self.rng.choice((15, 20, 30, 45))
        with hospital_context(hospital):
            doctor_update(actor=admin_of(hospital), hospital=hospital, doctor=doctor, slot_minutes=minutes)
        return f"slot minutes {minutes}"

    def policy(self, hospital, doctor):
        notice, horizon = self.rng.choice((0, 60, 240, 1440)), self.rng.choice((10, 30, 60, 90))
        with hospital_context(hospital):
            self.hospitals[hospital.pk] = hospital_policy_change(
                actor=admin_of(hospital),
                hospital=hospital,
                min_booking_notice_minutes=notice,
                booking_horizon_days=horizon,
            )
        return f"policy notice {notice} min, horizon {horizon} days"

    def waitlist_hold(self, hospital, doctor):
        with hospital_context(hospital):
            slot = self.free_slot(hospital, doctor)
        if slot is None:
            return "waitlist: no free slot"
        join(hospital, new_patient(), doctor, slot.date)
        offered = match(hospital, doctor)
        return f"waitlist join {slot.date}, {len(offered)} offered"

    def waitlist_declined(self, hospital, doctor):
        with hospital_context(hospital):
            offers = list(WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED).order_by("created_at"))
            if not offers:
                return "waitlist decline: no offer"
            entry = self.rng.choice(offers)
            waitlist_decline(actor=entry.patient, hospital=hospital, entry=entry)
        return f"waitlist decline {entry.offer_starts_at}"

    WEIGHTS = {  # step: weight
        book: 8,
        cancel: 3,
        reschedule: 3,
        weekly_hours: 2,
        time_off: 3,
        time_off_end: 2,
        window: 3,
        window_clear: 1,
        status: 1,
        slot_length: 1,
        policy: 1,
        waitlist_hold: 2,
        waitlist_declined: 2,
    }

    def step(self) -> tuple[Hospital, str]:
        (action,) = self.rng.choices(list(self.WEIGHTS), weights=list(self.WEIGHTS.values()))
        hospital, doctor = self.pick()
        try:
            done = action(self, hospital, doctor)
        except REFUSED as exc:
            done = f"{action.__name__} refused: {getattr(exc, 'code', exc)}"
        return hospital, f"{hospital.slug} {doctor.name}: {done}"

    def drift(self, hospital: Hospital | None = None) -> dict:
        """Doctor name → (stored, recomputed) for each doctor (of `hospital`: a step writes in one) whose stored
        facts differ from a fresh computation."""
        differ = {}
        for hospital_id, doctor in self.doctors:
            if hospital is None or hospital_id == hospital.pk:
                fresh, facts = recomputed(self.hospitals[hospital_id], doctor), stored(doctor)
                if facts != fresh:
                    differ[doctor.name] = (facts, fresh)
        return differ


def test_a_random_drive_of_slot_moving_writes_leaves_the_facts_exact_and_nothing_to_rebuild(alpha, beta, frozen_now):
    directory_rebuild()  # what other tests committed is repaired here first, so the last rebuild sees only ours
    drive = Drive(random.Random(SEED), [alpha, beta])
    log = []
    for n in range(STEPS):
        hospital, done = drive.step()
        log.append(done)
        assert drive.drift(hospital) == {}, f"step {n}: {done}\n" + "\n".join(log)
    assert sum("refused" not in line and ": none" not in line for line in log) > STEPS // 2, "\n".join(log)
    assert drive.drift() == {}  # every doctor, before the rebuild repairs anything

    drift = directory_rebuild()

    assert no_drift(drift) == NOTHING, "\n".join(log)
    assert drive.drift() == {}


def day_fact(doctor_id, day, hospital, free_slots=3, at=dt.time(9)):
    return DoctorDay(
        doctor_id=doctor_id,
        date=day,
        free_slots=free_slots,
        first_free_time=at,
        first_free_at=dt.datetime.combine(day, at, tzinfo=hospital.zone),
    )


@pytest.fixture
def five_doctors(alpha, beta, frozen_now):
    """Two doctors of alpha and three of beta, each with one dated window on days 2 and 4 ahead (4 slots a day),
    their facts settled by a first rebuild (which also repairs what other tests committed)."""
    doctors = []
    for hospital, count in ((alpha, 2), (beta, 3)):
        today = frozen_now.astimezone(hospital.zone).date()
        for _ in range(count):
            doctor = make_doctor(hospital)
            open_day(hospital, doctor, today + dt.timedelta(days=2), "09:00", "11:00")
            open_day(hospital, doctor, today + dt.timedelta(days=4), "09:00", "11:00")
            doctors.append((hospital, doctor, today))
    directory_rebuild()
    return doctors


def test_the_rebuild_names_and_repairs_exactly_the_doctors_whose_facts_were_corrupted(five_doctors):
    (alpha, deleted, today), (_, recounted, _), (beta, nulled, _), (_, bogus, beta_today), (_, untouched, _) = (
        five_doctors
    )
    DoctorDay.objects.filter(doctor_id=deleted.pk, date=today + dt.timedelta(days=4)).delete()
    DoctorDay.objects.filter(doctor_id=recounted.pk, date=today + dt.timedelta(days=2)).update(free_slots=1)
    DoctorEntry.objects.filter(doctor_id=nulled.pk).update(next_available_at=None)
    DoctorDay.objects.bulk_create([day_fact(bogus.pk, beta_today + dt.timedelta(days=3), beta)])
    before = stored(untouched)

    drift = directory_rebuild()

    assert sorted(drift.facts) == sorted(str(d.pk) for d in (deleted, recounted, nulled, bogus))
    assert (drift.missing, drift.stale, drift.orphaned) == ([], [], [])
    for hospital, doctor, _ in five_doctors:
        assert stored(doctor) == recomputed(hospital, doctor)
        assert len(stored(doctor)["days"]) == 2
    assert stored(untouched) == before
    assert no_drift(directory_rebuild()) == NOTHING


def test_rebuild_directory_prints_the_doctors_whose_facts_it_repaired(five_doctors):
    _, doctor, today = five_doctors[0]
    DoctorDay.objects.filter(doctor_id=doctor.pk, date=today + dt.timedelta(days=2)).update(free_slots=9)
    out = io.StringIO()

    call_command("rebuild_directory", stdout=out)

    hospitals = Hospital.objects.approved().count()
    assert out.getvalue().splitlines() == [
        f"{hospitals} hospitals checked; repaired 1: 0 missing, 0 stale, 0 orphaned, 1 with stale free-slot facts.",
        f"  facts: {doctor.pk}",
    ]
    assert stored(doctor)["days"][today + dt.timedelta(days=2)][0] == 4
