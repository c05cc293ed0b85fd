"""scripts/bench booking: 200+ patients try to book at once, over 20 free slots of one doctor, through gunicorn.

Every attempt is a real POST /api/appointments/book/ from a separate load process. The database must end with
exactly 20 appointments: booked = 20, conflicts = the rest, 5xx = 0. Then, in the same server, the empty endpoint's
requests/s (/api/ping/): the floor that attempts/s is compared with (booking_attempts_ratio).
"""

import json
import sys
import tempfile

from scripts.benchmarks.common import ROOT, child_output, median, p95, record, table
from scripts.benchmarks.dataset import DATABASE, fresh_doctor_open_days, open_dataset
from scripts.benchmarks.serving import PORT, gunicorn, warm, wrk

SLOTS = 20
ATTEMPTS = 240


def run(*, quick: bool = False) -> None:
    open_dataset(hospitals=100 if quick else 1000, doctors_per_hospital=20)
    hospital, doctor, day = _fresh_doctor_with_slots()
    jobs = _jobs(doctor, day)
    with gunicorn(DATABASE), tempfile.NamedTemporaryFile("w", suffix=".json") as spec:
        json.dump(jobs, spec)
        spec.flush()
        output = child_output([sys.executable, str(ROOT / "scripts/benchmarks/load.py"), str(PORT), spec.name])
        warm("/api/ping/")  # after the attempts, so that they meet the server as before
        floor = wrk("/api/ping/", seconds=5 if quick else 10)["rps"]
    result = json.loads(output)
    statuses = result["statuses"]
    stored = _stored_appointments(hospital, doctor)
    server_errors = sum(n for status, n in statuses.items() if status.startswith("5") or status.startswith("error"))
    table(
        f"booking: {ATTEMPTS} concurrent attempts on {SLOTS} free slots of one doctor (gunicorn 2 sync workers)",
        [
            "booked (201)",
            "conflicts (409)",
            "5xx/errors",
            "other",
            "stored rows",
            "seconds",
            "attempts/s",
            "bookings/s",
            "p50 ms",
            "p95 ms",
        ],
        [
            [
                statuses.get("201", 0),
                statuses.get("409", 0),
                server_errors,
                ATTEMPTS - statuses.get("201", 0) - statuses.get("409", 0) - server_errors,
                stored,
                result["seconds"],
                ATTEMPTS / result["seconds"],
                statuses.get("201", 0) / result["seconds"],
                median(result["latencies"]) * 1000,
                p95(result["latencies"]) * 1000,
            ]
        ],
    )
    print(f"expected: booked = {SLOTS}, conflicts = {ATTEMPTS - SLOTS}, 5xx = 0, stored rows = {SLOTS}")
    ratio = ATTEMPTS / result["seconds"] / floor
    print(f"empty endpoint in the same server, after the attempts: {floor:.0f} req/s; attempts/s is {ratio:.3f} of it")
    _record(statuses, server_errors, stored, result, floor)


def _record(statuses: dict, server_errors: int, stored: int, result: dict, floor: float) -> None:
    booked, conflicts = statuses.get("201", 0), statuses.get("409", 0)
    attempts_per_s = ATTEMPTS / result["seconds"]
    record("booking_booked", booked, "count")
    record("booking_conflicts", conflicts, "count")
    record("booking_5xx", server_errors, "count")
    record("booking_other", ATTEMPTS - booked - conflicts - server_errors, "count")
    record("booking_stored_rows", stored, "count")
    record("booking_seconds", result["seconds"], "s")
    record("booking_attempts_per_s", attempts_per_s, "req/s", floor)
    record("booking_attempts_ratio", attempts_per_s / floor, "ratio", floor)
    record("booking_p50_ms", median(result["latencies"]) * 1000, "ms")
    record("booking_p95_ms", p95(result["latencies"]) * 1000, "ms")


def _fresh_doctor_with_slots():
    """A new doctor in the first hospital with exactly SLOTS free 30-minute slots tomorrow + 2 days."""
    hospital, doctor, (day,) = fresh_doctor_open_days(label="bench", day_count=1)
    return hospital, doctor, day


def _jobs(doctor, day) -> list[dict]:
    from shared_apps.accounts.models import Patient, Role, User
    from shared_apps.accounts.tokens import tokens_for

    patients = list(
        User.objects.filter(email__startswith="bench-patient-", role=Role.PATIENT).order_by("pk")[:ATTEMPTS]
    )
    for n in range(len(patients), ATTEMPTS):
        user = User.objects.create_user(email=f"bench-patient-{n}@example.com", name=f"Bench Patient {n}")
        Patient.objects.create(user=user)
        patients.append(user)
    times = [f"{8 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(SLOTS)]
    return [
        {
            "method": "POST",
            "path": "/api/appointments/book/",
            "headers": {"Authorization": f"Bearer {tokens_for(patient)['access']}"},
            "body": {"doctor_id": str(doctor.pk), "date": str(day), "time": times[n % SLOTS]},
        }
        for n, patient in enumerate(patients)
    ]


def _stored_appointments(hospital, doctor) -> int:
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.models import Appointment

    with hospital_context(hospital):
        return Appointment.objects.filter(doctor=doctor, status="booked").count()
