"""scripts/bench my-appointments: GET /api/appointments/user/ for a patient with bookings in 10 hospitals,
while 10 and then 1,000 hospitals exist. The list reads the directory (one query), so it must not grow.
"""

import datetime as dt

from scripts.benchmarks.common import recreate_database, table, use_database
from scripts.benchmarks.dataset import DATABASE, open_dataset
from scripts.benchmarks.serving import gunicorn, warm, wrk

SMALL_DATABASE = "rhms_bench_small"
PATIENT_EMAIL = "bench-traveller@example.com"


def run(*, quick: bool = False) -> None:
    import subprocess
    import sys

    from scripts.benchmarks.common import ROOT

    # Each data set needs its own Django process (settings are read once per process).
    rows = []
    for database, hospitals in ((SMALL_DATABASE, 10), (DATABASE, 100 if quick else 1000)):
        output = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from scripts.benchmarks.my_appointments import measure; measure({database!r}, {hospitals}, {quick})",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rows.append(eval(output.strip().splitlines()[-1]))  # noqa: S307 - our own subprocess's repr output
    small, large = rows
    table(
        "my-appointments: a patient with bookings in 10 hospitals",
        ["hospitals", "req/s", "p50 ms", "p95 ms", "errors", "vs empty"],
        [[r["hospitals"], r["rps"], r["p50_ms"], r["p95_ms"], r["errors"], r["vs_empty"]] for r in rows],
    )
    print(
        f"p95 at {large['hospitals']} vs {small['hospitals']} hospitals: {large['p95_ms'] / small['p95_ms']:.2f}x "
        f"(target <= 1.25x)"
    )


def measure(database: str, hospitals: int, quick: bool) -> None:
    if database == SMALL_DATABASE:
        recreate_database(SMALL_DATABASE)
        use_database(SMALL_DATABASE)
        from scripts.benchmarks import dataset

        dataset.DATABASE = SMALL_DATABASE
        from django.core.management import call_command

        call_command("migrate_schemas", interactive=False, verbosity=0)
        call_command("setup_platform", verbosity=0)
        dataset._grow_hospitals(hospitals)
        dataset._grow_doctors(20)
    else:
        open_dataset(hospitals=hospitals, doctors_per_hospital=20)
    token = _traveller_token()
    seconds = 5 if quick else 15
    with gunicorn(database):
        warm("/api/ping/")
        floor = wrk("/api/ping/", seconds=seconds)
        headers = {"Authorization": f"Bearer {token}"}
        warm("/api/appointments/user/", headers=headers)
        result = wrk("/api/appointments/user/", seconds=seconds, headers=headers)
    print(
        repr(
            {
                "hospitals": hospitals,
                "rps": result["rps"],
                "p50_ms": result["p50_ms"],
                "p95_ms": result["p95_ms"],
                "errors": result["non2xx"] + result["socket_errors"],
                "vs_empty": result["rps"] / floor["rps"],
            }
        )
    )


def _traveller_token() -> str:
    """A patient with one booking in each of the first 10 hospitals (made once, through the real service)."""
    from django.utils import timezone

    from shared_apps.accounts.models import Patient, User
    from shared_apps.accounts.tokens import tokens_for
    from shared_apps.directory.models import BookingEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.services import appointment_book
    from tenant_apps.doctors.models import Doctor
    from tenant_apps.doctors.services import availability_set

    patient = User.objects.filter(email=PATIENT_EMAIL).first()
    if patient is None:
        patient = User.objects.create_user(email=PATIENT_EMAIL, name="Travelling Patient")
        Patient.objects.create(user=patient)
    if BookingEntry.objects.filter(patient=patient, status="booked", starts_at__gt=timezone.now()).count() < 10:
        for hospital in Hospital.objects.approved().order_by("pk")[:10]:
            actor = hospital.memberships.get(role="hospital_admin").user
            day = timezone.now().astimezone(hospital.zone).date() + dt.timedelta(days=30)
            with hospital_context(hospital):
                doctor = Doctor.objects.order_by("pk").first()
                availability_set(
                    actor=actor,
                    hospital=hospital,
                    doctor=doctor,
                    windows=[{"date": day, "start_time": dt.time(9), "end_time": dt.time(10), "is_available": True}],
                )
                appointment_book(actor=patient, hospital=hospital, doctor=doctor, date=day, time=dt.time(9))
    return tokens_for(patient)["access"]
