"""scripts/bench waitlist: a cancellation storm. One doctor's SLOTS booked slots are cancelled at once through
gunicorn while WAITING patients wait for that doctor; a real Celery worker runs the matching queued after each
cancellation's commit.

Checks: every freed slot is offered to exactly one patient, no patient gets two offers, no slot is offered twice
(the audit's waitlist.offered rows), 0 × 5xx. Reports offers per second (first cancellation sent → last offer
made) and the median and p95 time from a slot's cancellation (its cancelled_at) to its offer (the hold's
created_at).
"""

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from scripts.benchmarks.common import ROOT, child_output, median, p95, purge_leftover_tasks, record, table
from scripts.benchmarks.dataset import DATABASE, fresh_doctor_open_days, open_dataset
from scripts.benchmarks.serving import PORT, gunicorn, server_environment

SLOTS = 200
WAITING = 200
DAYS = 10  # 20 half-hour slots a day, 08:00–18:00
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WAITLIST_WORKERS", "2"))


def run(*, quick: bool = False) -> None:
    slots = 40 if quick else SLOTS
    waiting = 40 if quick else WAITING
    open_dataset(hospitals=2, doctors_per_hospital=2)
    hospital, doctor, days = _fresh_doctor(slots)
    appointments = _book_every_slot(hospital, doctor, days, slots)
    entries = _join_waitlist(hospital, doctor, days, waiting)
    jobs = [
        {
            "method": "POST",
            "path": f"/api/appointments/{appointment.pk}/cancel/",
            "headers": {"Authorization": f"Bearer {token}"},
            "body": {"reason": "storm"},
        }
        for appointment, token in appointments
    ]
    with gunicorn(DATABASE), celery_worker(DATABASE), tempfile.NamedTemporaryFile("w", suffix=".json") as spec:
        json.dump(jobs, spec)
        spec.flush()
        sent_at = time.time()
        output = child_output([sys.executable, str(ROOT / "scripts/benchmarks/load.py"), str(PORT), spec.name])
        settled = _wait_for_offers(hospital, doctor, expected=min(slots, waiting))
    result = json.loads(output)
    statuses = result["statuses"]
    server_errors = sum(n for status, n in statuses.items() if status.startswith("5") or status.startswith("error"))
    facts = _offers(hospital, doctor, entries)
    lags = facts["lags"]
    span = (facts["last_offer"] - sent_at) if facts["last_offer"] else float("nan")
    table(
        f"waitlist: {slots} booked slots of one doctor cancelled at once, {waiting} patients waiting "
        f"(gunicorn 2 sync workers, celery worker -c {WORKER_CONCURRENCY})",
        [
            "cancelled (200)",
            "5xx/errors",
            "offers",
            "slots offered",
            "patients offered",
            "offered twice",
            "held rows",
            "cancel s",
            "offers/s",
            "p50 cancel→offer s",
            "p95 cancel→offer s",
        ],
        [
            [
                statuses.get("200", 0),
                server_errors,
                facts["audited_offers"],
                facts["distinct_slots"],
                facts["distinct_patients"],
                facts["twice"],
                facts["held"],
                result["seconds"],
                facts["audited_offers"] / span if span == span and span > 0 else 0.0,
                median(lags) if lags else float("nan"),
                p95(lags) if lags else float("nan"),
            ]
        ],
    )
    expected = min(slots, waiting)
    print(
        f"expected: cancelled = {slots}, 5xx = 0, offers = slots offered = patients offered = held rows = "
        f"{expected}, offered twice = 0 (settled: {settled})"
    )
    _record(statuses, server_errors, facts, result, span)


def _record(statuses: dict, server_errors: int, facts: dict, result: dict, span: float) -> None:
    lags = facts["lags"]
    record("waitlist_cancelled", statuses.get("200", 0), "count")
    record("waitlist_5xx", server_errors, "count")
    record("waitlist_offers", facts["audited_offers"], "count")
    record("waitlist_offered_twice", facts["twice"], "count")
    record("waitlist_held_rows", facts["held"], "count")
    record("waitlist_cancel_s", result["seconds"], "s")
    record("waitlist_offer_span_s", span, "s")
    record("waitlist_lag_median_s", median(lags) if lags else None, "s")
    record("waitlist_lag_p95_s", p95(lags) if lags else None, "s")


@contextmanager
def celery_worker(database: str):
    env = server_environment(database)
    purge_leftover_tasks()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--concurrency={WORKER_CONCURRENCY}",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        from config.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not app.control.ping(timeout=1):
            time.sleep(0.5)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def _fresh_doctor(slots: int):
    """A new doctor with 20 free 30-minute slots a day on enough days for `slots`."""
    return fresh_doctor_open_days(label="storm", day_count=-(-slots // 20))


def _patients(prefix: str, count: int):
    from shared_apps.accounts.models import Patient, Role, User

    users = list(User.objects.filter(email__startswith=prefix, role=Role.PATIENT).order_by("pk")[:count])
    for n in range(len(users), count):
        user = User.objects.create_user(email=f"{prefix}{n}@example.com", name=f"Storm Patient {n}")
        Patient.objects.create(user=user)
        users.append(user)
    return users


def _book_every_slot(hospital, doctor, days, slots: int):
    from shared_apps.accounts.tokens import tokens_for
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.services import appointment_book

    patients = _patients("storm-booker-", slots)
    booked = []
    with hospital_context(hospital):
        for n, patient in enumerate(patients):
            day, k = days[n // 20], n % 20
            at = dt.time(8 + k // 2, 30 * (k % 2))
            appointment = appointment_book(actor=patient, hospital=hospital, doctor=doctor, date=day, time=at)
            booked.append((appointment, tokens_for(patient)["access"]))
    return booked


def _join_waitlist(hospital, doctor, days, waiting: int):
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.waitlist.services import waitlist_join

    entries = []
    with hospital_context(hospital):
        for patient in _patients("storm-waiter-", waiting):
            entries.append(
                waitlist_join(actor=patient, hospital=hospital, doctor=doctor, date_from=days[0], date_to=days[-1])
            )
    return entries


def _wait_for_offers(hospital, doctor, *, expected: int, timeout: float = 300) -> bool:
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.models import HELD, Appointment

    deadline, last, still_since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        with hospital_context(hospital):
            held = Appointment.objects.filter(doctor=doctor, status=HELD).count()
        if held >= expected:
            time.sleep(2)  # anything more (a second offer) would show up now
            return True
        if held != last:
            last, still_since = held, time.monotonic()
        elif time.monotonic() - still_since > 30:
            return False
        time.sleep(0.2)
    return False


def _offers(hospital, doctor, entries) -> dict:
    from shared_apps.audit.models import AuditLog
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.models import HELD, Appointment, AppointmentStatus

    ids = [str(e.pk) for e in entries]
    audited = list(
        AuditLog.objects.filter(action="waitlist.offered", entity_id__in=ids).values_list("entity_id", "metadata")
    )
    starts = [m["starts_at"] for _, m in audited]
    with hospital_context(hospital):
        holds = list(Appointment.objects.filter(doctor=doctor, status=HELD).values_list("starts_at", "created_at"))
        cancelled = dict(
            Appointment.objects.filter(doctor=doctor, status=AppointmentStatus.CANCELLED).values_list(
                "starts_at", "cancelled_at"
            )
        )
    lags = [(created - cancelled[start]).total_seconds() for start, created in holds if start in cancelled]
    return {
        "audited_offers": len(audited),
        "distinct_slots": len(set(starts)),
        "distinct_patients": len({entity for entity, _ in audited}),
        "twice": len(starts) - len(set(starts)),
        "held": len(holds),
        "lags": sorted(lags),
        "last_offer": max((c.timestamp() for _, c in holds), default=None),
    }
