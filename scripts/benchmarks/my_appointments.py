"""scripts/bench my-appointments: the patient-facing reads at 10 and at 1,000 hospitals, against the floor.

For each data set (10 hospitals; the 1,000-hospital one with 200,000 appointments), through the same gunicorn:
the empty endpoint, the hospital list, the directory, a doctor's availability, GET /api/appointments/user/ for
a patient with bookings in 10 hospitals and GET /api/waitlist/ for the same patient, waiting in those 10
hospitals. Then the p95 ratio of 1,000 to 10 hospitals per endpoint, and a gunicorn worker's resident memory
after serving availability for 10 hospitals and then for all of them.
"""

import datetime as dt
import urllib.request

from scripts.benchmarks.common import (
    DATABASE_PREFIX,
    analyze,
    python_output,
    record,
    recreate_database,
    table,
    use_database,
)
from scripts.benchmarks.dataset import DATABASE, note_build, open_dataset
from scripts.benchmarks.serving import PORT, gunicorn, warm, wrk

SMALL_DATABASE = f"{DATABASE_PREFIX}_small"
PATIENT_EMAIL = "bench-traveller@example.com"
ENDPOINTS = ["empty (/api/ping/)", "hospital list", "directory", "availability", "my appointments", "waitlist list"]
SLUGS = dict(
    zip(
        ENDPOINTS,
        ["empty", "hospital_list", "directory", "availability", "my_appointments", "waitlist_list"],
        strict=True,
    )
)


def run(*, quick: bool = False) -> None:
    results = {}
    for database, hospitals in ((SMALL_DATABASE, 10), (DATABASE, 100 if quick else 1000)):
        output = python_output(
            f"from scripts.benchmarks.my_appointments import measure; measure({database!r}, {hospitals}, {quick})"
        )
        *notes, last = output.strip().splitlines()
        print(*notes, sep="\n", flush=True)  # building the data set, ANALYZE
        results[hospitals] = eval(last)  # noqa: S307 - our own subprocess's repr
        if "dataset_build_s" in results[hospitals]:
            note_build(results[hospitals].pop("dataset_build_s"))
    small, large = sorted(results)
    rows = []
    for endpoint in ENDPOINTS:
        a, b = results[small][endpoint], results[large][endpoint]
        floor_a, floor_b = results[small][ENDPOINTS[0]], results[large][ENDPOINTS[0]]
        rows.append(
            [
                endpoint,
                a["rps"],
                a["p95_ms"],
                a["rps"] / floor_a["rps"],
                b["rps"],
                b["p95_ms"],
                b["rps"] / floor_b["rps"],
                b["p95_ms"] / a["p95_ms"],
                a["errors"] + b["errors"],
            ]
        )
    table(
        f"reads at {small} and {large} hospitals (gunicorn 2 sync workers, wrk 8 connections)",
        [
            "endpoint",
            f"req/s @{small}",
            "p95 ms",
            "vs empty",
            f"req/s @{large}",
            "p95 ms",
            "vs empty",
            f"p95 {large}/{small}",
            "errors",
        ],
        rows,
    )
    memory = results[large]["memory"]
    print(
        f"worker RSS: {memory['after_10']:.1f} MiB after 10 hospitals, {memory['after_all']:.1f} MiB after "
        f"{large}: {memory['after_all'] / memory['after_10']:.2f}x (target <= 1.5x)"
    )
    print("targets: each read >= 0.50 of the empty endpoint; p95 ratio <= 1.25")
    _record(results[small], results[large])


def _record(small: dict, large: dict) -> None:
    """Each read's share of the empty endpoint at 10 and at 1,000 hospitals (100 with --quick), its p95 growth."""
    floor_small, floor_large = small[ENDPOINTS[0]]["rps"], large[ENDPOINTS[0]]["rps"]
    record("read_rps_empty_10", floor_small, "req/s")
    record("read_rps_empty_1000", floor_large, "req/s")
    for endpoint in ENDPOINTS[1:]:
        slug = SLUGS[endpoint]
        record(f"read_ratio_{slug}_10", small[endpoint]["rps"] / floor_small, "ratio", floor_small)
        record(f"read_ratio_{slug}_1000", large[endpoint]["rps"] / floor_large, "ratio", floor_large)
        record(f"read_p95_growth_{slug}_1000_vs_10", large[endpoint]["p95_ms"] / small[endpoint]["p95_ms"], "ratio")
    record("read_errors", sum(r[e]["errors"] for r in (small, large) for e in ENDPOINTS), "count")
    memory = large["memory"]
    record("read_worker_rss_after_10_mib", memory["after_10"], "MiB")
    record("read_worker_rss_after_all_mib", memory["after_all"], "MiB")
    record("read_worker_rss_growth", memory["after_all"] / memory["after_10"], "ratio")


def measure(database: str, hospitals: int, quick: bool) -> None:
    result = {}
    if database == SMALL_DATABASE:
        _small_dataset(hospitals)
    else:  # its seconds go back to the parent's dataset_build_s
        result["dataset_build_s"] = open_dataset(hospitals=hospitals, doctors_per_hospital=20, full=not quick)
    token, doctor_id, day = _traveller()
    analyze()  # the traveller's bookings and waitlist rows came after the data set's ANALYZE
    seconds = 5 if quick else 10
    auth = {"Authorization": f"Bearer {token}"}
    paths = {
        "empty (/api/ping/)": ("/api/ping/", {}),
        "hospital list": ("/api/hospitals/?city=Leeds", {}),
        "directory": ("/api/doctors/?specialization=Cardiology", {}),
        "availability": (f"/api/doctors/{doctor_id}/availability/?from={day}&to={day + dt.timedelta(days=6)}", {}),
        "my appointments": ("/api/appointments/user/", auth),
        "waitlist list": ("/api/waitlist/", auth),
    }
    with gunicorn(database) as server:
        for label, (path, headers) in paths.items():
            warm(path, headers=headers)
            r = wrk(path, seconds=seconds, headers=headers)
            result[label] = {"rps": r["rps"], "p95_ms": r["p95_ms"], "errors": r["non2xx"] + r["socket_errors"]}
        if database != SMALL_DATABASE:
            result["memory"] = _memory_growth(server)
    print(repr(result))


def _small_dataset(hospitals: int) -> None:
    recreate_database(SMALL_DATABASE)
    use_database(SMALL_DATABASE)
    from django.core.management import call_command

    from scripts.benchmarks import dataset

    call_command("migrate_schemas", interactive=False, verbosity=0)
    call_command("setup_platform", verbosity=0)
    dataset._grow_hospitals(hospitals)
    dataset._grow_doctors(20)
    analyze()


def _memory_growth(server) -> dict:
    """Resident memory of the gunicorn workers after availability requests for 10 hospitals, then for all."""
    import psutil

    from shared_apps.directory.models import DoctorEntry

    doctors = list(
        DoctorEntry.objects.order_by("hospital_id", "doctor_id")
        .distinct("hospital_id")
        .values_list("doctor_id", flat=True)
    )

    def hit(doctor_ids):
        for doctor_id in doctor_ids:
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}/api/doctors/{doctor_id}/availability/", headers={"Host": "localhost"}
            )
            with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - loopback
                pass

    def rss() -> float:
        workers = psutil.Process(server.pid).children()
        return max(worker.memory_info().rss for worker in workers) / 2**20

    hit(doctors[:10] * 3)
    after_10 = rss()
    hit(doctors)
    return {"after_10": after_10, "after_all": rss()}


def _traveller():
    """A patient with one booking and one waitlist entry in each of the first 10 hospitals (made once, through the
    real services)."""
    from django.utils import timezone

    from shared_apps.accounts.models import Patient, User
    from shared_apps.accounts.tokens import tokens_for
    from shared_apps.directory.models import BookingEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.models import Doctor
    from tenant_apps.doctors.services import availability_set

    patient = User.objects.filter(email=PATIENT_EMAIL).first()
    if patient is None:
        patient = User.objects.create_user(email=PATIENT_EMAIL, name="Travelling Patient")
        Patient.objects.create(user=patient)
    hospitals = list(Hospital.objects.approved().order_by("pk")[:10])
    day = timezone.now().astimezone(hospitals[0].zone).date() + dt.timedelta(days=75)
    if BookingEntry.objects.filter(patient=patient, status="booked", starts_at__gt=timezone.now()).count() < 10:
        for hospital in hospitals:
            actor = hospital.memberships.get(role="hospital_admin").user
            with hospital_context(hospital):
                doctor = Doctor.objects.order_by("-pk").first()
                availability_set(
                    actor=actor,
                    hospital=hospital,
                    doctor=doctor,
                    windows=[{"date": day, "start_time": dt.time(6), "end_time": dt.time(20), "is_available": True}],
                )
                _book_a_free_hour(patient, hospital, doctor, day)
    _join_waitlists(patient, hospitals, day)
    with hospital_context(hospitals[0]):
        doctor_id = Doctor.objects.order_by("pk").values_list("pk", flat=True).first()
    return tokens_for(patient)["access"], doctor_id, timezone.now().date() + dt.timedelta(days=1)


def _book_a_free_hour(patient, hospital, doctor, day) -> None:
    """One booking that overlaps none of the patient's others (hospitals in one time zone share the hours)."""
    from shared_apps.common.errors import Conflict
    from tenant_apps.appointments.services import appointment_book

    for hour in range(6, 20):
        try:
            appointment_book(actor=patient, hospital=hospital, doctor=doctor, date=day, time=dt.time(hour))
            return
        except Conflict:
            continue
    raise RuntimeError(f"no free hour for the travelling patient at {hospital.slug}")


def _join_waitlists(patient, hospitals, day) -> None:
    """One waiting entry in each of `hospitals` without one, through the real service (so the directory's
    WaitlistListing rows exist). Evenings only (21:00–23:00), after every schedule the benchmarks give a doctor:
    the matching queued on commit finds nothing to offer, so the entries stay "waiting" and hold no slot."""
    from shared_apps.directory.models import WaitlistListing
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.doctors.models import Doctor
    from tenant_apps.waitlist.models import ACTIVE
    from tenant_apps.waitlist.services import waitlist_join

    waiting = set(
        WaitlistListing.objects.filter(patient=patient, status__in=ACTIVE).values_list("hospital_id", flat=True)
    )
    for hospital in hospitals:
        if hospital.pk in waiting:
            continue
        with hospital_context(hospital):
            waitlist_join(
                actor=patient,
                hospital=hospital,
                doctor=Doctor.objects.order_by("-pk").first(),
                date_from=day,
                date_to=day + dt.timedelta(days=6),
                time_from=dt.time(21),
                time_to=dt.time(23),
            )
