"""The benchmark data set, built once in its own database and reused between runs.

Hospitals are approved through the real service (each gets a cloned schema); bulk rows (doctors, windows,
patients, appointments) are inserted in batches inside each hospital's schema, with their directory rows.
"""

import random
import time
import uuid
from decimal import Decimal

from scripts.benchmarks.common import (
    DATABASE_PREFIX,
    analyze,
    database_exists,
    record,
    recreate_database,
    use_database,
)

DATABASE = DATABASE_PREFIX
SPECIALIZATIONS = [
    "Cardiology",
    "Dermatology",
    "Neurology",
    "Pediatrics",
    "Oncology",
    "Orthopedics",
    "Psychiatry",
    "Radiology",
    "Urology",
    "Gastroenterology",
]
CITIES = ["London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Oxford"]


def open_dataset(*, hospitals: int, doctors_per_hospital: int, full: bool = False) -> float | None:
    """Point Django at the benchmark database, building or growing it to the requested size.

    `full` adds issue 9's volume: 60 days of availability per doctor, 50,000 patients and 200 appointments per
    hospital (200,000 at 1,000 hospitals). Returns the wall seconds it took when it built anything, else None
    (reused), and counts them in this process's BUILD.
    """
    opened = time.perf_counter()
    fresh = not database_exists(DATABASE)
    if fresh:
        recreate_database(DATABASE)
    use_database(DATABASE)
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)
    call_command("setup_platform", verbosity=0)
    built = _grow_hospitals(hospitals)
    built |= _grow_doctors(doctors_per_hospital)
    if full:
        started = time.perf_counter()
        patients = _grow_patients(PATIENTS)
        built |= _grow_schedules(patients)
        print(f"full data set ready ({time.perf_counter() - started:.0f} s spent on volume)", flush=True)
    analyze()
    seconds = time.perf_counter() - opened if built or fresh else None
    note_build(seconds)
    return seconds


# This process's open_dataset() calls (and its child processes', passed on with note_build): whether any ran, and
# the seconds spent building (None while every one reused the data set). Written as dataset_build_s.
BUILD = {"opened": False, "seconds": None}


def note_build(seconds: float | None) -> None:
    BUILD["opened"] = True
    if seconds is not None:
        BUILD["seconds"] = (BUILD["seconds"] or 0.0) + seconds


def record_build() -> None:
    """The run's dataset_build_s, when a subcommand opened the data set: null when it was reused."""
    if BUILD["opened"]:
        record("dataset_build_s", BUILD["seconds"], "s")


PATIENTS = 50_000
APPOINTMENTS_PER_HOSPITAL = 200
AVAILABILITY_DAYS = 60


def _grow_patients(target: int, prefix: str = "volume-patient-") -> list[int]:
    """Patient users with no usable password (made in bulk: hashing 50,000 passwords would take an hour)."""
    from django.contrib.auth.hashers import make_password

    from shared_apps.accounts.models import Patient, Role, User

    existing = User.objects.filter(email__startswith=prefix).count()
    if existing < target:
        print(f"adding {target - existing} patients ({prefix}*)…", flush=True)
        unusable = make_password(None)
        for start in range(existing, target, 5000):
            users = User.objects.bulk_create(
                User(
                    email=f"{prefix}{n}@example.com",
                    name=f"{prefix.replace('-', ' ').title().strip()} {n}",
                    role=Role.PATIENT,
                    password=unusable,
                )
                for n in range(start, min(target, start + 5000))
            )
            Patient.objects.bulk_create(Patient(user=user) for user in users)
    return list(User.objects.filter(email__startswith=prefix).order_by("pk").values_list("pk", flat=True))


def _grow_schedules(patient_ids: list[int]) -> bool:
    """For each hospital without them: 60 days of 09:00–17:00 windows per doctor and 200 booked appointments.
    Returns whether any hospital needed them."""
    import datetime as dt

    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from shared_apps.directory.models import BookingEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.models import Appointment
    from tenant_apps.doctors.models import Doctor, DoctorAvailability

    hospitals = list(Hospital.objects.approved().order_by("pk"))
    done = set(
        BookingEntry.objects.filter(patient__email__startswith="volume-patient-")
        .values("hospital_id")
        .annotate(n=Count("appointment_id"))
        .filter(n__gte=APPOINTMENTS_PER_HOSPITAL)
        .values_list("hospital_id", flat=True)
    )
    todo = [h for h in hospitals if h.pk not in done]
    if not todo:
        return False
    print(
        f"adding {AVAILABILITY_DAYS} days of availability and {APPOINTMENTS_PER_HOSPITAL} appointments to "
        f"{len(todo)} hospitals…",
        flush=True,
    )
    started = time.perf_counter()
    first_day = timezone.now().date() + dt.timedelta(days=1)
    days = [first_day + dt.timedelta(days=n) for n in range(AVAILABILITY_DAYS)]
    # A patient has one appointment at a time across hospitals (the directory's no-overlap constraint): hospitals
    # added after the first build (provision, migrate) must not give a volume patient a second one at that hour.
    busy = set(BookingEntry.objects.filter(starts_at__gte=timezone.now()).values_list("patient_id", "starts_at"))
    for index, hospital in enumerate(todo):
        with transaction.atomic(), hospital_context(hospital):
            doctors = list(Doctor.objects.order_by("pk"))
            per_doctor = -(-APPOINTMENTS_PER_HOSPITAL // len(doctors))
            # Days other benchmarks used already: dated windows, or appointments (availability's week is built on
            # weekly hours, so its bookings stand on days without a dated window).
            taken = set(DoctorAvailability.objects.values_list("doctor_id", "date"))
            taken |= set(Appointment.objects.values_list("doctor_id", "appointment_date"))
            free_days = {d.pk: [day for day in days if (d.pk, day) not in taken] for d in doctors}
            DoctorAvailability.objects.bulk_create(
                DoctorAvailability(doctor=d, date=day, start_time=dt.time(9), end_time=dt.time(17))
                for d in doctors
                for day in free_days[d.pk]
            )
            appointments = []
            for n, doctor in enumerate(doctors):
                for k, day in enumerate(free_days[doctor.pk][:per_doctor]):
                    if len(appointments) == APPOINTMENTS_PER_HOSPITAL:
                        break
                    starts_at = dt.datetime.combine(day, dt.time(9), tzinfo=hospital.zone)
                    start = hospital.pk * APPOINTMENTS_PER_HOSPITAL + n * per_doctor + k
                    patient = next(
                        patient_ids[(start + step) % len(patient_ids)]
                        for step in range(len(patient_ids))
                        if (patient_ids[(start + step) % len(patient_ids)], starts_at) not in busy
                    )
                    busy.add((patient, starts_at))
                    appointments.append(
                        Appointment(
                            doctor=doctor,
                            patient_id=patient,
                            appointment_date=day,
                            appointment_time=dt.time(9),
                            starts_at=starts_at,
                            ends_at=starts_at + dt.timedelta(minutes=30),
                        )
                    )
            Appointment.objects.bulk_create(appointments)
            BookingEntry.objects.bulk_create(
                BookingEntry(
                    appointment_id=a.pk,
                    hospital=hospital,
                    doctor_id=a.doctor_id,
                    patient_id=a.patient_id,
                    appointment_date=a.appointment_date,
                    appointment_time=a.appointment_time,
                    starts_at=a.starts_at,
                    ends_at=a.ends_at,
                    status="booked",
                )
                for a in appointments
            )
        if (index + 1) % 100 == 0:
            print(f"  {index + 1} hospitals ({time.perf_counter() - started:.0f} s)", flush=True)
    return True


# Issue 13's week (scripts/bench availability): every doctor works weekly hours, and the measured week (from a
# Monday) holds a few dated overrides, partial time off for a quarter of the doctors, and bookings.
WEEKLY_PATIENT_PREFIX = "weekly-patient-"
WEEKLY_HOURS = [(day, start, end) for day in range(5) for start, end in (((9, 0), (12, 30)), ((13, 30), (17, 0)))]
OVERRIDE_DAY, OVERRIDE_HOURS = 2, ((13, 0), (19, 0))  # Wednesday's hours replaced by an evening clinic (the marker)
BLOCK_DAY, BLOCK_HOURS = 1, ((10, 0), (11, 0))  # a blocked hour on Tuesday
TIME_OFF_DAY, TIME_OFF_HOURS = 3, ((14, 0), (17, 0))  # Thursday afternoon off, every fourth doctor
BOOKINGS = [(0, (9, 0)), (0, (9, 30)), (1, (11, 0)), (2, (13, 0)), (2, (18, 0)), (3, (9, 30)), (4, (15, 0))]


def grow_weekly_schedules():
    """Give every doctor without them weekly hours (Monday–Friday 09:00–12:30 and 13:30–17:00), and to every hospital
    not yet done, in the measured week: one dated override and one blocked hour per doctor, Thursday afternoon off
    for every fourth doctor, and 7 booked appointments per doctor (each doctor's own patient), with directory rows.
    Returns the measured week's Monday: the one already built if it is still ahead, else the next one.

    Rows are written in bulk (as the rest of the data set), inside each hospital's schema; (doctor, date) pairs that
    already have dated windows (the full data set's 60 days) and slots already booked there are left alone.
    """
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.models import DoctorAvailability

    hospitals = list(Hospital.objects.approved().order_by("pk"))
    today = timezone.now().astimezone(hospitals[0].zone).date()
    start, end = dt.time(*OVERRIDE_HOURS[0]), dt.time(*OVERRIDE_HOURS[1])
    with hospital_context(hospitals[0]):
        marker = (
            DoctorAvailability.objects.filter(start_time=start, end_time=end, date__gt=today + dt.timedelta(days=2))
            .order_by("date")
            .values_list("date", flat=True)
            .first()
        )
    monday = marker - dt.timedelta(days=OVERRIDE_DAY) if marker else today + dt.timedelta(days=7 - today.weekday())
    patients = _grow_patients(20 * len(hospitals), prefix=WEEKLY_PATIENT_PREFIX)
    started, built = time.perf_counter(), 0
    for index, hospital in enumerate(hospitals):
        override_day = monday + dt.timedelta(days=OVERRIDE_DAY)
        with transaction.atomic(), hospital_context(hospital):
            if DoctorAvailability.objects.filter(date=override_day, start_time=start, end_time=end).exists():
                continue
            _week_for_hospital(hospital, monday, patients[index * 20 : index * 20 + 20], today)
        built += 1
        if built % 100 == 0:
            print(f"  week of {monday}: {built} hospitals ({time.perf_counter() - started:.0f} s)", flush=True)
    if built:
        print(f"week of {monday} built in {built} hospitals ({time.perf_counter() - started:.0f} s)", flush=True)
    return monday


def _week_for_hospital(hospital, monday, patients, today) -> None:
    import datetime as dt

    from shared_apps.directory.models import BookingEntry
    from tenant_apps.appointments.models import Appointment, AppointmentStatus
    from tenant_apps.doctors.models import Doctor, DoctorAvailability, TimeOff, WeeklyHours

    def day(n):
        return monday + dt.timedelta(days=n)

    doctors = list(Doctor.objects.order_by("pk"))
    with_hours = set(WeeklyHours.objects.values_list("doctor_id", flat=True).distinct())
    WeeklyHours.objects.bulk_create(
        WeeklyHours(doctor=d, weekday=w, start_time=dt.time(*s), end_time=dt.time(*e), valid_from=today)
        for d in doctors
        if d.pk not in with_hours
        for w, s, e in WEEKLY_HOURS
    )
    dated = set(DoctorAvailability.objects.filter(date__gte=monday, date__lte=day(6)).values_list("doctor_id", "date"))
    windows = []
    for d in doctors:
        for n, (s, e), available in ((OVERRIDE_DAY, OVERRIDE_HOURS, True), (BLOCK_DAY, BLOCK_HOURS, False)):
            if (d.pk, day(n)) not in dated:
                windows.append(
                    DoctorAvailability(
                        doctor=d, date=day(n), start_time=dt.time(*s), end_time=dt.time(*e), is_available=available
                    )
                )
    DoctorAvailability.objects.bulk_create(windows)
    TimeOff.objects.bulk_create(
        TimeOff(
            doctor=d,
            start_date=day(TIME_OFF_DAY),
            end_date=day(TIME_OFF_DAY),
            start_time=dt.time(*TIME_OFF_HOURS[0]),
            end_time=dt.time(*TIME_OFF_HOURS[1]),
            reason="Training",
        )
        for d in doctors[::4]
    )
    booked = set(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED, appointment_date__gte=monday, appointment_date__lte=day(6)
        ).values_list("doctor_id", "starts_at")
    )
    appointments = []
    for d, patient in zip(doctors, patients, strict=False):
        for n, hm in BOOKINGS:
            starts_at = dt.datetime.combine(day(n), dt.time(*hm), tzinfo=hospital.zone)
            if (d.pk, starts_at) in booked:
                continue
            appointments.append(
                Appointment(
                    doctor=d,
                    patient_id=patient,
                    appointment_date=day(n),
                    appointment_time=dt.time(*hm),
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=d.slot_minutes),
                )
            )
    Appointment.objects.bulk_create(appointments)
    BookingEntry.objects.bulk_create(
        BookingEntry(
            appointment_id=a.pk,
            hospital=hospital,
            doctor_id=a.doctor_id,
            patient_id=a.patient_id,
            appointment_date=a.appointment_date,
            appointment_time=a.appointment_time,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            status="booked",
        )
        for a in appointments
    )


def _superadmin():
    from shared_apps.accounts.models import Role, User

    user, _ = User.objects.get_or_create(
        email="bench-root@example.com", defaults={"role": Role.SUPERADMIN, "is_superuser": True, "is_staff": True}
    )
    return user


def _grow_hospitals(target: int) -> bool:
    """Approve hospitals up to `target`; whether any was added."""
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.services import hospital_approve, hospital_register

    have = Hospital.objects.approved().count()
    if have >= target:
        return False
    print(f"building hospitals {have} → {target} (each approval clones a schema)…", flush=True)
    actor, started = _superadmin(), time.perf_counter()
    for n in range(have + 1, target + 1):
        hospital = hospital_register(
            actor=None,
            name=f"Bench Hospital {n:04d}",
            registration_number=f"BENCH-{n:05d}",
            email=f"admin{n}@bench-hospital.example.com",
            address=f"{n} Bench Street",
            phone_number="+442079460000",
            city=CITIES[n % len(CITIES)],
            timezone="Europe/London",
            subdomain=f"bench-{n:04d}",
        )
        hospital_approve(actor=actor, hospital=hospital)
        if n % 100 == 0:
            print(f"  {n} hospitals ({time.perf_counter() - started:.0f} s)", flush=True)
    return True


def _grow_doctors(per_hospital: int) -> bool:
    """Doctors up to `per_hospital` in every hospital; whether any was added."""
    from django.db import transaction

    from shared_apps.directory.models import DoctorEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.models import Doctor

    counts = dict(_doctor_counts())
    todo = [h for h in Hospital.objects.approved().order_by("pk") if counts.get(h.pk, 0) < per_hospital]
    if not todo:
        return False
    print(f"adding doctors to {len(todo)} hospitals…", flush=True)
    rng = random.Random(42)
    for hospital in todo:
        missing = per_hospital - counts.get(hospital.pk, 0)
        doctors = [
            Doctor(
                id=uuid.uuid4(),
                name=f"Dr {rng.choice(FIRST)} {rng.choice(LAST)}",
                email=f"{uuid.uuid4().hex[:12]}@doctors.example.com",
                specialization=rng.choice(SPECIALIZATIONS),
                fee=Decimal(rng.randrange(50, 300)),
                slot_minutes=30,
            )
            for _ in range(missing)
        ]
        with transaction.atomic(), hospital_context(hospital):
            Doctor.objects.bulk_create(doctors)
            DoctorEntry.objects.bulk_create(
                DoctorEntry(
                    doctor_id=d.id,
                    hospital=hospital,
                    name=d.name,
                    specialization=d.specialization,
                    fee=d.fee,
                    slot_minutes=d.slot_minutes,
                    status="active",
                    city=hospital.city,
                    listed=True,
                )
                for d in doctors
            )
    return True


def _doctor_counts():
    from django.db.models import Count

    from shared_apps.directory.models import DoctorEntry

    return DoctorEntry.objects.values_list("hospital_id").annotate(n=Count("doctor_id")).values_list("hospital_id", "n")


FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Edsger",
    "Donald",
    "Frances",
    "John",
    "Margaret",
    "Ken",
    "Radia",
    "Tim",
    "Katherine",
    "Dennis",
    "Hedy",
    "Niklaus",
    "Sophie",
    "Guido",
    "Anita",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Dijkstra",
    "Knuth",
    "Allen",
    "McCarthy",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Ritchie",
    "Lamarr",
    "Wirth",
    "Wilson",
    "Rossum",
    "Borg",
]


def fresh_doctor_open_days(*, label: str, day_count: int):
    """A new doctor (name and email from `label`) in the first approved hospital, open 08:00–18:00 on `day_count`
    days from two days ahead. Returns (hospital, doctor, days)."""
    import datetime as dt

    from django.utils import timezone

    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.services import availability_set, doctor_create

    hospital = Hospital.objects.approved().order_by("pk").first()
    actor = hospital.memberships.get(role="hospital_admin").user
    first = timezone.now().astimezone(hospital.zone).date() + dt.timedelta(days=2)
    days = [first + dt.timedelta(days=n) for n in range(day_count)]
    with hospital_context(hospital):
        stamp = timezone.now().strftime("%H%M%S%f")
        doctor = doctor_create(
            actor=actor,
            hospital=hospital,
            name=f"Dr {label.title()} {stamp}",
            email=f"{label}{stamp}@doctors.example.com",
            specialization="Benchmarks",
            fee=1,
        )
        windows = [{"date": d, "start_time": dt.time(8), "end_time": dt.time(18), "is_available": True} for d in days]
        availability_set(actor=actor, hospital=hospital, doctor=doctor, windows=windows)
    return hospital, doctor, days
