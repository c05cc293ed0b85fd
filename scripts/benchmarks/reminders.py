"""scripts/bench reminders: the periodic reminder query at 200,000 appointments (EXPLAIN ANALYZE) and one run of
the job.

Its own database (rhms_bench_reminders), public schema only: the job reads nothing else. 200 hospitals rows (no
schemas: the job never enters one), 50,000 patients, 200,000 booking entries spread over the past 30 and the next
60 days (85% booked), and the reminders the service would hold for them: both default offsets armed for every
booked appointment, those due more than two minutes ago already claimed (as a job running every minute leaves
them). Then ANALYZE, the query's plan with EXPLAIN (ANALYZE, BUFFERS), its median time over 50 runs, and the job
over what is due, rolled back (no outbox row is kept, nothing is sent).
"""

import datetime as dt
import statistics
import time

from scripts.benchmarks.common import DATABASE_PREFIX, analyze, database_exists, recreate_database, use_database

DATABASE = f"{DATABASE_PREFIX}_reminders"
APPOINTMENTS = 200_000
PATIENTS = 50_000
HOSPITALS = 200
DAY = dt.timedelta(days=1)
DOCTORS = 2_000

# Plain SQL: 200,000 rows through the ORM would take minutes, and this is a data set, not a test of the services.
BUILD = [
    """INSERT INTO hospitals_hospital (schema_name, name, slug, registration_number, email, logo, address,
       phone_number, city, timezone, brand_color, status, rejection_reason, is_active, created_at,
       min_booking_notice_minutes, cancellation_notice_hours, booking_horizon_days, reminder_offsets_minutes,
       no_show_limit)
       SELECT 'h_rbench_' || n, 'Reminder Bench ' || n, 'rbench-' || n, 'RBENCH-' || n,
              'admin' || n || '@rbench.example.com', '', '1 Bench Street', '+442079460000', 'London',
              'Europe/London', '', 'approved', '', true, now(), 60, 4, 90, ARRAY[1440, 120], 3
       FROM generate_series(1, %(hospitals)s) n""",
    """INSERT INTO accounts_user (password, is_superuser, email, name, role, is_staff, is_active, date_joined,
       phone_number)
       SELECT '!', false, 'rbench-patient-' || n || '@example.com', 'Patient ' || n, 'patient', false, true, now(),
              CASE WHEN n %% 2 = 0 THEN '+4420794' || lpad(n::text, 5, '0') ELSE '' END
       FROM generate_series(1, %(patients)s) n""",
    """INSERT INTO directory_doctorentry (doctor_id, hospital_id, name, specialization, fee, slot_minutes, status,
       city, listed, updated_at)
       SELECT gen_random_uuid(), h.id, 'Dr ' || n, 'Cardiology', 100, 30, 'active', 'London', true, now()
       FROM generate_series(1, %(doctors)s) n
       JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM hospitals_hospital
             WHERE slug LIKE 'rbench-%%') h ON h.k = n %% %(hospitals)s""",
    # Appointment n: one slot every ~39 minutes across 90 days, each doctor's rows apart, patients spread so that
    # no patient holds two overlapping booked rows (the exclusion constraint).
    """WITH doctors AS (SELECT doctor_id, hospital_id, row_number() OVER (ORDER BY doctor_id) - 1 AS k
                        FROM directory_doctorentry),
            patients AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM accounts_user
                         WHERE email LIKE 'rbench-patient-%%'),
            slots AS (SELECT n, date_trunc('hour', now()) - interval '30 days'
                                + (n * interval '90 days' / %(appointments)s) AS starts_at
                      FROM generate_series(0, %(appointments)s - 1) n)
       INSERT INTO directory_bookingentry (appointment_id, hospital_id, doctor_id, patient_id, appointment_date,
              appointment_time, starts_at, ends_at, status, updated_at)
       SELECT gen_random_uuid(), d.hospital_id, d.doctor_id, p.id, s.starts_at::date, s.starts_at::time,
              s.starts_at, s.starts_at + interval '30 minutes',
              CASE WHEN s.n %% 20 = 0 THEN 'cancelled'
                   WHEN s.n %% 20 = 1 THEN 'no_show'
                   WHEN s.n %% 20 = 2 THEN 'cancelled'
                   WHEN s.starts_at < now() THEN 'completed' ELSE 'booked' END,
              now()
       FROM slots s
       JOIN doctors d ON d.k = s.n %% %(doctors)s
       JOIN patients p ON p.k = s.n %% %(patients)s""",
    # What the service leaves: booked rows in the future hold their reminders; those more than two minutes overdue
    # were claimed by earlier runs.
    """INSERT INTO directory_reminder (appointment_id, hospital_id, offset_minutes, due_at, queued_at, skipped)
       SELECT b.appointment_id, b.hospital_id, o.minutes, b.starts_at - make_interval(mins => o.minutes),
              CASE WHEN b.starts_at - make_interval(mins => o.minutes) < now() - interval '2 minutes'
                   THEN b.starts_at - make_interval(mins => o.minutes) END, ''
       FROM directory_bookingentry b CROSS JOIN (VALUES (1440), (120)) o(minutes)
       WHERE b.status = 'booked' AND b.starts_at > now()""",
]


def _build() -> None:
    from django.db import connection, transaction

    print(f"building {APPOINTMENTS:,} appointments in {DATABASE}…", flush=True)
    started = time.perf_counter()
    params = {"hospitals": HOSPITALS, "patients": PATIENTS, "doctors": DOCTORS, "appointments": APPOINTMENTS}
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in BUILD:
            cursor.execute(statement, params)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def _open() -> None:
    fresh = not database_exists(DATABASE)
    if fresh:
        recreate_database(DATABASE)
    use_database(DATABASE)
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    from shared_apps.directory.models import BookingEntry

    if not BookingEntry.objects.exists():
        _build()
    analyze()


def _counts() -> dict:
    from django.utils import timezone

    from shared_apps.directory.models import BookingEntry, Reminder

    return {
        "appointments": BookingEntry.objects.count(),
        "booked upcoming": BookingEntry.objects.filter(status="booked", starts_at__gt=timezone.now()).count(),
        "reminders": Reminder.objects.count(),
        "unclaimed": Reminder.objects.filter(queued_at__isnull=True).count(),
        "due now": Reminder.objects.filter(queued_at__isnull=True, due_at__lte=timezone.now()).count(),
    }


def _explain(*, ahead: dt.timedelta = dt.timedelta(0)) -> list[str]:
    """The plan of the periodic query as the job would run it `ahead` from now (later: a bigger backlog)."""
    from django.db import connection
    from django.utils import timezone

    from shared_apps.directory.reminders import reminders_due_query

    sql, params = reminders_due_query(now=timezone.now() + ahead).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def _median_execution_ms(*, ahead: dt.timedelta = dt.timedelta(0), runs: int = 20) -> float:
    """PostgreSQL's own "Execution Time" of the query, median of `runs` EXPLAIN ANALYZE."""
    times = []
    for _ in range(runs):
        last = _explain(ahead=ahead)[-1]
        times.append(float(last.split(":")[1].split()[0]))
    return statistics.median(times)


def _median_query_ms(runs: int = 50) -> float:
    from django.utils import timezone

    from shared_apps.directory.reminders import reminders_due

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        reminders_due(now=timezone.now())
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _job_rolled_back() -> tuple[int, float]:
    from django.db import transaction

    from shared_apps.directory.reminders import reminders_queue_due

    class Rollback(Exception):
        pass

    started, queued = time.perf_counter(), 0
    try:
        with transaction.atomic():  # on_commit never runs: nothing reaches the broker
            queued = reminders_queue_due()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return queued, elapsed * 1000


def run(*, quick: bool = False) -> None:
    _open()
    from scripts.benchmarks.common import record, table

    table("reminder data set", ["rows", "count"], [[k, f"{v:,}"] for k, v in _counts().items()])
    print("\n== EXPLAIN (ANALYZE, BUFFERS) of the periodic query (reminders_due)")
    print("\n".join(_explain()))
    queued, job_ms = _job_rolled_back()
    execution_ms, backlog_ms, orm_ms = _median_execution_ms(), _median_execution_ms(ahead=DAY), _median_query_ms()
    table(
        f"reminder job at {APPOINTMENTS:,} appointments",
        ["measure", "value"],
        [
            ["periodic query, SQL execution, median of 20 EXPLAIN ANALYZE (ms)", execution_ms],
            ["same, a day's backlog (the job stopped a day; LIMIT 500 full) (ms)", backlog_ms],
            ["periodic query through the ORM, median of 50 (ms)", orm_ms],
            [f"one job run, {queued} reminders queued, rolled back (ms)", job_ms],
        ],
    )
    record("reminders_query_ms", execution_ms, "ms")
    record("reminders_query_backlog_ms", backlog_ms, "ms")
    record("reminders_query_orm_ms", orm_ms, "ms")
    record("reminders_job_ms", job_ms, "ms")
    record("reminders_job_queued", queued, "count")
