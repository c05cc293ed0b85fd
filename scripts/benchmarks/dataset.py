"""The benchmark data set, built once in its own database and reused between runs.

Hospitals are approved through the real service (each gets a cloned schema); bulk rows (doctors, windows,
patients, appointments) are inserted in batches inside each hospital's schema, with their directory rows.
"""

import random
import time
import uuid
from decimal import Decimal

from scripts.benchmarks.common import database_exists, recreate_database, use_database

DATABASE = "rhms_bench"
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


def open_dataset(*, hospitals: int, doctors_per_hospital: int) -> None:
    """Point Django at the benchmark database, building or growing it to the requested size."""
    fresh = not database_exists(DATABASE)
    if fresh:
        recreate_database(DATABASE)
    use_database(DATABASE)
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)
    call_command("setup_platform", verbosity=0)
    _grow_hospitals(hospitals)
    _grow_doctors(doctors_per_hospital)


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
            timezone_name="Europe/London",
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
