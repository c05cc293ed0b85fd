"""The benchmark data set, built once in its own database and reused between runs.

Hospitals are approved through the real service (each gets a cloned schema); bulk rows (doctors, windows,
patients, appointments) are inserted in batches inside each hospital's schema, with their directory rows.
"""

import random
import time
import uuid
from decimal import Decimal

from scripts.benchmarks.common import DATABASE_PREFIX, analyze, database_exists, recreate_database, use_database

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


def open_dataset(*, hospitals: int, doctors_per_hospital: int, full: bool = False) -> None:
    """Point Django at the benchmark database, building or growing it to the requested size.

    `full` adds issue 9's volume: 60 days of availability per doctor, 50,000 patients and 200 appointments per
    hospital (200,000 at 1,000 hospitals).
    """
    fresh = not database_exists(DATABASE)
    if fresh:
        recreate_database(DATABASE)
    use_database(DATABASE)
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)
    call_command("setup_platform", verbosity=0)
    _grow_hospitals(hospitals)
    _grow_doctors(doctors_per_hospital)
    if full:
        started = time.perf_counter()
        patients = _grow_patients(PATIENTS)
        _grow_schedules(patients)
        print(f"full data set ready ({time.perf_counter() - started:.0f} s spent on volume)", flush=True)
    analyze()


PATIENTS = 50_000
APPOINTMENTS_PER_HOSPITAL = 200
AVAILABILITY_DAYS = 60


def _grow_patients(target: int) -> list[int]:
    """Patient users with no usable password (made in bulk: hashing 50,000 passwords would take an hour)."""
    from django.contrib.auth.hashers import make_password

    from shared_apps.accounts.models import Patient, Role, User

    existing = User.objects.filter(email__startswith="volume-patient-").count()
    if existing < target:
        print(f"adding {target - existing} patients…", flush=True)
        unusable = make_password(None)
        for start in range(existing, target, 5000):
            users = User.objects.bulk_create(
                User(
                    email=f"volume-patient-{n}@example.com",
                    name=f"Volume Patient {n}",
                    role=Role.PATIENT,
                    password=unusable,
                )
                for n in range(start, min(target, start + 5000))
            )
            Patient.objects.bulk_create(Patient(user=user) for user in users)
    return list(User.objects.filter(email__startswith="volume-patient-").order_by("pk").values_list("pk", flat=True))


def _grow_schedules(patient_ids: list[int]) -> None:
    """For each hospital without them: 60 days of 09:00–17:00 windows per doctor and 200 booked appointments."""
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
        return
    print(
        f"adding {AVAILABILITY_DAYS} days of availability and {APPOINTMENTS_PER_HOSPITAL} appointments to "
        f"{len(todo)} hospitals…",
        flush=True,
    )
    started = time.perf_counter()
    first_day = timezone.now().date() + dt.timedelta(days=1)
    days = [first_day + dt.timedelta(days=n) for n in range(AVAILABILITY_DAYS)]
    for index, hospital in enumerate(todo):
        with transaction.atomic(), hospital_context(hospital):
            doctors = list(Doctor.objects.order_by("pk"))
            per_doctor = -(-APPOINTMENTS_PER_HOSPITAL // len(doctors))
            taken = set(DoctorAvailability.objects.values_list("doctor_id", "date"))  # left by other benchmarks
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
                    patient = patient_ids[
                        (hospital.pk * APPOINTMENTS_PER_HOSPITAL + n * per_doctor + k) % len(patient_ids)
                    ]
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


def _superadmin():
    from shared_apps.accounts.models import Role, User

    user, _ = User.objects.get_or_create(
        email="bench-root@example.com", defaults={"role": Role.SUPERADMIN, "is_superuser": True, "is_staff": True}
    )
    return user


def _grow_hospitals(target: int) -> None:
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.services import hospital_approve, hospital_register

    have = Hospital.objects.approved().count()
    if have >= target:
        return
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


def _grow_doctors(per_hospital: int) -> None:
    from django.db import transaction

    from shared_apps.directory.models import DoctorEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.models import Doctor

    counts = dict(_doctor_counts())
    todo = [h for h in Hospital.objects.approved().order_by("pk") if counts.get(h.pk, 0) < per_hospital]
    if not todo:
        return
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
