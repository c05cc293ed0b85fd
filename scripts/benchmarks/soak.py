"""scripts/bench soak: 60 s of mixed patient traffic through gunicorn, with a Celery worker restarted and Redis
restarted in the middle; then reconcile the database with what the clients were told.

Reconciliation: every 201 booking exists exactly once in its hospital's schema and in the directory, with the
status the clients last saw; no doctor has overlapping booked appointments; every notification is sent or queued
(after the requeue job has run); and no request got a 5xx.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from scripts.benchmarks.common import ROOT, purge_leftover_tasks, record, table
from scripts.benchmarks.dataset import DATABASE, open_dataset
from scripts.benchmarks.serving import PORT, gunicorn, server_environment

HOSPITALS = 10
DOCTORS_PER_HOSPITAL = 3
PATIENTS = 200


def run(*, quick: bool = False) -> None:
    open_dataset(hospitals=100 if quick else 1000, doctors_per_hospital=20)
    seconds = 20 if quick else 60
    spec = _prepare()
    env = server_environment(DATABASE)
    from django.utils import timezone

    since = timezone.now()
    with gunicorn(DATABASE), tempfile.TemporaryDirectory() as work:
        spec_path, out_path = os.path.join(work, "spec.json"), os.path.join(work, "log.json")
        with open(spec_path, "w") as handle:
            json.dump(spec, handle)
        purge_leftover_tasks()
        worker = _start_worker(env)
        load = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts/benchmarks/soak_load.py"),
                str(PORT),
                spec_path,
                str(seconds),
                out_path,
            ]
        )
        events = []
        faults = threading.Thread(target=_inject_faults, args=(seconds, env, worker, events))
        faults.start()
        load.wait()
        faults.join()
        worker = events[-1][2] if events and events[-1][2] else worker
        _settle(since)
        _stop(worker)
        with open(out_path) as handle:
            log = json.load(handle)
    report = _reconcile(log, since)
    for at, what, _ in events:
        print(f"  t+{at:.0f}s {what}")
    table(
        f"soak: {seconds} s mixed traffic, 12 client threads, gunicorn 2 workers, worker and Redis restarted",
        [
            "requests",
            "5xx",
            "errors",
            "201 bookings",
            "cancelled",
            "booked rows ok",
            "directory ok",
            "double-booked",
            "notifications sent",
            "queued",
            "failed",
        ],
        [
            [
                log["requests"],
                report["5xx"],
                report["errors"],
                len(log["bookings"]),
                len(log["cancelled"]),
                report["rows_ok"],
                report["directory_ok"],
                report["overlaps"],
                report["sent"],
                report["queued"],
                report["failed"],
            ]
        ],
    )
    print("by kind: " + json.dumps(log["by_kind"], sort_keys=True))
    print("expected: 5xx = 0, rows ok = directory ok = 201 bookings, double-booked = 0, failed = 0")
    _record(log, report)


def _record(log: dict, report: dict) -> None:
    record("soak_requests", log["requests"], "count")
    record("soak_5xx", report["5xx"], "count")
    record("soak_errors", report["errors"], "count")
    record("soak_bookings", len(log["bookings"]), "count")
    record("soak_rows_wrong", len(log["bookings"]) - report["rows_ok"], "count")
    record("soak_directory_wrong", len(log["bookings"]) - report["directory_ok"], "count")
    record("soak_double_booked", report["overlaps"], "count")
    record("soak_notifications_sent", report["sent"], "count")
    record("soak_notifications_queued", report["queued"], "count")
    record("soak_notifications_failed", report["failed"], "count")


def _prepare() -> dict:
    """Ten hospitals with three doctors each, open 08:00–20:00 two days ahead; 200 patients with tokens."""
    from django.utils import timezone

    from shared_apps.accounts.models import Patient, Role, User
    from shared_apps.accounts.tokens import tokens_for
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.models import Doctor
    from tenant_apps.doctors.services import availability_set

    hospitals = list(Hospital.objects.approved().order_by("pk")[:HOSPITALS])
    day = timezone.now().astimezone(hospitals[0].zone).date() + dt.timedelta(days=2)
    doctors = []
    for hospital in hospitals:
        actor = hospital.memberships.get(role="hospital_admin").user
        with hospital_context(hospital):
            for doctor in Doctor.objects.order_by("pk")[:DOCTORS_PER_HOSPITAL]:
                availability_set(
                    actor=actor,
                    hospital=hospital,
                    doctor=doctor,
                    windows=[{"date": day, "start_time": dt.time(8), "end_time": dt.time(20), "is_available": True}],
                )
                doctors.append({"id": str(doctor.pk), "specialization": doctor.specialization})
    patients = list(User.objects.filter(email__startswith="soak-patient-", role=Role.PATIENT).order_by("pk"))
    for n in range(len(patients), PATIENTS):
        user = User.objects.create_user(email=f"soak-patient-{n}@example.com", name=f"Soak Patient {n}")
        Patient.objects.create(user=user)
        patients.append(user)
    times = [f"{8 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(24)]
    return {
        "day": str(day),
        "times": times,
        "doctors": doctors,
        "patients": [{"email": p.email, "token": tokens_for(p)["access"]} for p in patients],
    }


def _start_worker(env):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _inject_faults(seconds, env, worker, events) -> None:
    started = time.monotonic()
    time.sleep(seconds * 0.3)
    _stop(worker)
    events.append((time.monotonic() - started, "Celery worker stopped", None))
    time.sleep(2)
    worker = _start_worker(env)
    events.append((time.monotonic() - started, "Celery worker started again", worker))
    time.sleep(seconds * 0.25)
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, capture_output=True)
    events.append((time.monotonic() - started, "Redis shut down", worker))
    time.sleep(3)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
    )
    events.append((time.monotonic() - started, "Redis started again", worker))


def _settle(since) -> None:
    """What beat's requeue job does after an outage (for this run's rows): send again what stayed queued, and
    give the worker time to drain."""
    from shared_apps.notifications.models import Notification
    from shared_apps.notifications.tasks import notification_send

    for _ in range(60):
        pending = Notification.objects.filter(created_at__gte=since, status__in=["queued", "sending"])
        if not pending.exists():
            return
        for notification_id in pending.filter(status="queued").values_list("pk", flat=True):
            notification_send.delay(notification_id)
        time.sleep(2)


def _reconcile(log, since) -> dict:
    from django.db import connection

    from shared_apps.directory.models import BookingEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from shared_apps.notifications.models import Notification
    from tenant_apps.appointments.models import Appointment

    cancelled = set(log["cancelled"])
    rows_ok = directory_ok = overlaps = 0
    by_hospital: dict[int, list[dict]] = {}
    for booking in log["bookings"]:
        by_hospital.setdefault(booking["hospital_id"], []).append(booking)
    for hospital_id, bookings in by_hospital.items():
        hospital = Hospital.objects.get(pk=hospital_id)
        with hospital_context(hospital):
            for booking in bookings:
                expected = "cancelled" if booking["id"] in cancelled else "booked"
                rows = list(Appointment.objects.filter(pk=booking["id"]).values_list("status", flat=True))
                rows_ok += rows == [expected]
                entries = list(
                    BookingEntry.objects.filter(appointment_id=booking["id"]).values_list("status", flat=True)
                )
                directory_ok += entries == [expected]
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b "
                    "ON a.doctor_id = b.doctor_id AND a.id < b.id AND a.status = 'booked' AND b.status = 'booked' "
                    "AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)"
                )
                overlaps += cursor.fetchone()[0]
    statuses = log["statuses"]
    return {
        "5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "errors": statuses.get("None", 0),
        "rows_ok": rows_ok,
        "directory_ok": directory_ok,
        "overlaps": overlaps,
        "sent": Notification.objects.filter(created_at__gte=since, status="sent").count(),
        "queued": Notification.objects.filter(created_at__gte=since, status__in=["queued", "sending"]).count(),
        "failed": Notification.objects.filter(created_at__gte=since, status="failed").count(),
    }
