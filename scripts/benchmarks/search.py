"""scripts/bench search: issue 16's search by next availability at 1,000 hospitals and 20,000 doctors (100 and
2,000 with --quick).

The data set is availability's (dataset.grow_weekly_schedules: weekly hours for every doctor, the measured week's
override, blocked hour, time off and 7 bookings per doctor), plus a day of leave on the searched date (the measured
week's Friday) for every third doctor of each hospital, so `available_on` has doctors to leave out. The rows are
bulk-loaded, so the free-slot facts (DoctorDay, next_available) are computed by directory_rebuild(), timed, when
they are missing or older than the data (BENCH_REBUILD=1 times one anyway); then ANALYZE.

Measured:
- EXPLAIN (ANALYZE, BUFFERS) of each search's page query (the SQL of directory_page_sql with the pagination's
  total's scalar COUNT subquery and LIMIT), checked for sequential scans of the directory's tables;
- through gunicorn with wrk, the empty endpoint (/api/ping/) against the search
  (?specialization=&city=&available_on=&ordering=next_available), ?ordering=next_available alone and
  ?available_on= alone: cache off (CATALOG_CACHE_SECONDS=0, targets >= 0.25) and on (300, targets >= 0.50);
- freshness, cache on: a listed doctor is left one free slot on the searched date, that slot is booked through
  POST /api/appointments/book/, and right after the 201 the search is requested until the doctor is gone
  (goal: the first request), FRESHNESS_ROUNDS times on different doctors;
- the periodic refresh (doctor_facts_refresh_due) on DUE_DOCTORS doctors marked due across the hospitals.
"""

import datetime as dt
import http.client
import json
import os
import time

import psycopg

from scripts.benchmarks.common import admin_conninfo, analyze, close_connections, median, record, table
from scripts.benchmarks.dataset import DATABASE, grow_weekly_schedules, open_dataset
from scripts.benchmarks.serving import PORT, gunicorn, warm, wrk

SEARCH_WEEKDAY = 4  # the measured week's Friday: weekly hours and one booking (15:00) per doctor
LEAVE_REASON = "Search benchmark leave"  # the whole searched day off, every third doctor of each hospital
SPECIALIZATION, CITY = "Cardiology", "Leeds"  # dataset.SPECIALIZATIONS and CITIES: ~1 in 80 doctors
FRESHNESS_ROUNDS = 20
DUE_DOCTORS = 2000
FLOOR = "empty DRF endpoint (/api/ping/)"
DIRECTORY_TABLES = ("directory_doctorentry", "directory_doctorday")
SLUGS = {
    "search": "search_next_available",
    "ordering alone": "search_ordering",
    "available_on alone": "search_available_on",
}


def run(*, quick: bool = False) -> None:
    copies = int(os.environ.get("BENCH_SEARCH_COPIES", "0"))
    hospitals = 100 if quick or copies else 1000
    open_dataset(hospitals=hospitals, doctors_per_hospital=20)
    day = grow_weekly_schedules() + dt.timedelta(days=SEARCH_WEEKDAY)
    leave_added = _grow_leave(day)
    rebuild = _ensure_facts(force=leave_added or os.environ.get("BENCH_REBUILD") == "1")
    analyze()
    if copies:
        _measure_reads_on_copies(day, copies, quick=quick)
        return
    _forget_cached_responses()
    searches = _searches(day)
    shape = _shape(day)
    print(
        f"{SPECIALIZATION} in {CITY}: {shape['matching']} doctors, {shape['available']} with a free slot on {day} "
        f"(available_on leaves out {shape['matching'] - shape['available']}); all listed doctors with a free slot "
        f"that day: {shape['available_all']} of {shape['doctors']}; {shape['doctor_days']} DoctorDay rows",
        flush=True,
    )
    _report_reads(searches, shape, hospitals, day, quick=quick)
    _report_freshness(day, _freshness(day, _path(searches["search"]), rounds=5 if quick else FRESHNESS_ROUNDS))
    _report_facts_cost(rebuild, _refresh_cost(due=DUE_DOCTORS // 10 if quick else DUE_DOCTORS))


def _report_reads(searches: dict, shape: dict, hospitals: int, day: dt.date, *, quick: bool) -> None:
    plans = {label: _explain(filters) for label, filters in searches.items()}
    _report_plans(searches, plans)
    record("search_page_sql_ms", plans["search"]["execution_ms"], "ms")
    record("search_page_seq_scans", len(plans["search"]["seq_scans"]), "count")
    table(
        f"search: {hospitals} hospitals, {shape['doctors']} doctors, searched date {day} ({day:%A}); "
        "gunicorn 2 sync workers, wrk 8 connections",
        ["endpoint", "cache", "req/s", "p50 ms", "p95 ms", "errors", "vs empty"],
        _throughput(searches, seconds=5 if quick else 15),
    )
    print("targets: uncached >= 0.25 of the empty endpoint, cached >= 0.50 (cache on is how it is deployed)")


def _measure_reads_on_copies(day: dt.date, copies: int, *, quick: bool) -> None:
    """BENCH_SEARCH_COPIES=N: the reads (plans, throughput) at N times the 100-hospital set's size, on a copy of its
    database (<name>_xN) whose public directory rows (hospitals, doctor entries, their days) are repeated N times by
    SQL. The search reads only those public tables, so this is its full-size workload without building and
    rebuilding N times the hospital schemas; freshness and the refresh cost, which write through the schemas, are
    measured on the real set (run without the variable)."""
    from django.db import connection

    copy = f"{DATABASE}_x{copies}"
    close_connections()
    with psycopg.connect(admin_conninfo(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{DATABASE}"')
    connection.settings_dict["NAME"] = copy
    started = time.perf_counter()
    _repeat_public_directory(copies)
    print(f"{copy}: public directory rows repeated {copies}× in {time.perf_counter() - started:.0f} s", flush=True)
    _forget_cached_responses()
    searches = _searches(day)
    shape = _shape(day)
    _report_reads(searches, shape, shape["hospitals"], day, quick=quick)


COPY_SQL = [
    # Hospitals n = 1 … N-1 of each original: new id, unique slug, schema name, e-mail and registration number.
    """
    INSERT INTO hospitals_hospital ({columns})
    SELECT {values} FROM hospitals_hospital h CROSS JOIN generate_series(1, %(n)s - 1) AS n
    WHERE h.status = 'approved' AND h.schema_name <> 'public'
    """,
    """
    INSERT INTO directory_doctorentry ({entry_columns})
    SELECT {entry_values} FROM directory_doctorentry e
    JOIN hospitals_hospital h ON h.id = e.hospital_id
    JOIN hospitals_hospital c ON c.slug LIKE h.slug || '-copy-%%'
    """,
    """
    INSERT INTO directory_doctorday (doctor_id, date, free_slots, first_free_time, first_free_at)
    SELECT md5(d.doctor_id::text || c.slug)::uuid, d.date, d.free_slots, d.first_free_time, d.first_free_at
    FROM directory_doctorday d
    JOIN directory_doctorentry e ON e.doctor_id = d.doctor_id
    JOIN hospitals_hospital h ON h.id = e.hospital_id
    JOIN hospitals_hospital c ON c.slug LIKE h.slug || '-copy-%%'
    """,
]
COPIED = {  # column -> its value in a copy (h: the original hospital, n: the copy's number, c: the copy)
    "slug": "h.slug || '-copy-' || n",
    "schema_name": "left(h.schema_name, 40) || '_copy_' || n",
    "email": "'copy-' || n || '-' || h.email",
    "registration_number": "h.registration_number || '-C' || n",
    "name": "h.name || ' ' || n",
}
ENTRY_COPIED = {"doctor_id": "md5(e.doctor_id::text || c.slug)::uuid", "hospital_id": "c.id"}


def _repeat_public_directory(copies: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        hospital_columns = _columns(cursor, "hospitals_hospital", exclude={"id"})
        entry_columns = _columns(cursor, "directory_doctorentry")
        sql = [
            COPY_SQL[0].format(
                columns=", ".join(hospital_columns),
                values=", ".join(COPIED.get(c, f"h.{c}") for c in hospital_columns),
            ),
            COPY_SQL[1].format(
                entry_columns=", ".join(entry_columns),
                entry_values=", ".join(ENTRY_COPIED.get(c, f"e.{c}") for c in entry_columns),
            ),
            COPY_SQL[2],
        ]
        for statement in sql:
            cursor.execute(statement, {"n": copies})
    close_connections()
    with psycopg.connect(
        admin_conninfo().replace("dbname=postgres", f"dbname={connection.settings_dict['NAME']}"), autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")


def _columns(cursor, table_name: str, exclude: frozenset | set = frozenset()) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "ORDER BY ordinal_position",
        [table_name],
    )
    return [name for (name,) in cursor.fetchall() if name not in exclude]


def _report_plans(searches: dict[str, dict], plans: dict[str, dict]) -> None:
    print(f"\n== EXPLAIN (ANALYZE, BUFFERS) of the search's page query ({_label('search', searches['search'])})")
    print("\n".join(plans["search"]["lines"]))
    table(
        "page queries (EXPLAIN ANALYZE; sequential scans of directory_doctorentry / directory_doctorday)",
        ["query", "execution ms", "planning ms", "seq scans of the directory", "rows counted"],
        [
            [
                _label(label, searches[label]),
                p["execution_ms"],
                p["planning_ms"],
                ", ".join(p["seq_scans"]) or "none",
                p["total"],
            ]
            for label, p in plans.items()
        ],
    )


def _report_freshness(day: dt.date, rounds: list[dict]) -> None:
    lags = [r["ms"] for r in rounds]
    requests = [r["requests"] for r in rounds]
    table(
        f"freshness (cache on): the last free slot on {day} booked through the API, then the search until the "
        "doctor is gone",
        ["rounds", "gone on the 1st request", "requests max", "requests median", "ms max", "ms median", "book p50 ms"],
        [
            [
                len(rounds),
                sum(1 for n in requests if n == 1),
                max(requests),
                median(requests),
                max(lags),
                median(lags),
                median([r["book_ms"] for r in rounds]),
            ]
        ],
    )
    record("search_freshness_rounds", len(rounds), "count")
    record("search_freshness_first_request", sum(1 for n in requests if n == 1), "count")
    record("search_freshness_median_ms", median(lags), "ms")
    record("search_freshness_max_ms", max(lags), "ms")


def _report_facts_cost(rebuild: dict | None, refresh: dict) -> None:
    if rebuild:
        rebuild_row = ["directory_rebuild()", rebuild["doctors"], rebuild["hospitals"], rebuild["seconds"]]
        rebuild_row += [rebuild["doctors"] / rebuild["seconds"], rebuild["note"]]
    else:
        rebuild_row = ["directory_rebuild()", "", "", "", "", "skipped: facts current (BENCH_REBUILD=1 times one)"]
    table(
        "free-slot facts: rebuild and periodic refresh (in-process, DEBUG off)",
        ["measure", "doctors", "hospitals", "seconds", "doctors/s", "note"],
        [
            rebuild_row,
            [
                "doctor_facts_refresh_due(), drain",
                refresh["drained"],
                "",
                refresh["drain_seconds"],
                refresh["drained"] / refresh["drain_seconds"] if refresh["drained"] else "",
                "due by themselves before marking",
            ],
            [
                "doctor_facts_refresh_due(), marked due",
                refresh["refreshed"],
                refresh["hospitals"],
                refresh["seconds"],
                refresh["refreshed"] / refresh["seconds"],
                f"{refresh['marked']} marked; today recomputed",
            ],
        ],
    )
    record("search_rebuild_s", rebuild["seconds"] if rebuild else None, "s")
    record("search_rebuild_doctors", rebuild["doctors"] if rebuild else None, "count")
    record("search_refresh_s", refresh["seconds"], "s")
    record("search_refresh_doctors", refresh["refreshed"], "count")


def _searches(day: dt.date) -> dict[str, dict]:
    return {
        "search": {
            "specialization": SPECIALIZATION,
            "city": CITY,
            "available_on": day,
            "ordering": "next_available",
        },
        "ordering alone": {"ordering": "next_available"},
        "available_on alone": {"available_on": day},
    }


def _path(filters: dict) -> str:
    return "/api/doctors/?" + "&".join(f"{name}={value}" for name, value in filters.items())


def _label(label: str, filters: dict) -> str:
    return f"{label} {_path(filters).removeprefix('/api/doctors/')}"


def _grow_leave(day: dt.date) -> bool:
    """A whole day of leave on `day` for every third doctor of each hospital without it; whether any was added.

    Bulk rows like the rest of the data set: their facts are the rebuild's to compute.
    """
    from django.db import transaction

    from shared_apps.hospitals.tenancy import for_each_hospital
    from tenant_apps.doctors.models import Doctor, TimeOff

    added, started = 0, time.perf_counter()
    for _ in for_each_hospital():
        if TimeOff.objects.filter(reason=LEAVE_REASON, start_date=day).exists():
            continue
        with transaction.atomic():
            doctors = list(Doctor.objects.exclude(specialization="Benchmarks").order_by("pk"))
            TimeOff.objects.bulk_create(
                TimeOff(doctor=d, start_date=day, end_date=day, reason=LEAVE_REASON) for d in doctors[1::3]
            )
        added += 1
    if added:
        print(f"leave on {day} added in {added} hospitals ({time.perf_counter() - started:.0f} s)", flush=True)
    return bool(added)


def _ensure_facts(*, force: bool) -> dict | None:
    """Compute the free-slot facts with directory_rebuild() when they are missing, stale (computed on an earlier
    day) or `force`d; returns its timing, or None when the facts were current."""
    from django.test.utils import override_settings
    from django.utils import timezone

    from shared_apps.directory.models import DoctorEntry
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.policy import last_bookable_date
    from tenant_apps.doctors.directory_sync import directory_rebuild

    first = Hospital.objects.approved().order_by("pk").first()
    until = last_bookable_date(first, timezone.now().astimezone(first.zone).date())
    listed = DoctorEntry.objects.filter(listed=True)
    stale = listed.filter(facts_until__isnull=True).count() + listed.filter(facts_until__lt=until).count()
    if not (stale or force):
        return None
    print(f"directory_rebuild(): facts of {stale} listed doctors missing or stale…", flush=True)
    started = time.perf_counter()
    with override_settings(DEBUG=False):  # as in production: no query log
        drift = directory_rebuild()
    seconds = time.perf_counter() - started
    doctors = DoctorEntry.objects.count()
    print(f"directory_rebuild(): {doctors} doctors, {drift.hospitals} hospitals in {seconds:.0f} s", flush=True)
    return {
        "doctors": doctors,
        "hospitals": drift.hospitals,
        "seconds": seconds,
        "note": f"facts drift {len(drift.facts)}, missing {len(drift.missing)}, stale {len(drift.stale)}",
    }


def _forget_cached_responses() -> None:
    """Responses are cached by URL in the benchmarks' one Redis database: ones built from another data set (or
    before the rebuild, which bumps no version) must not be served here."""
    from shared_apps.directory.cache import catalog_changed, free_slots_changed

    catalog_changed()
    free_slots_changed()


def _shape(day: dt.date) -> dict:
    from django.db.models.functions import Upper

    from shared_apps.directory.models import DoctorDay, DoctorEntry
    from shared_apps.hospitals.models import Hospital

    listed = DoctorEntry.objects.filter(listed=True)
    matching = listed.annotate(s=Upper("specialization"), c=Upper("city")).filter(
        s=SPECIALIZATION.upper(), c=CITY.upper()
    )
    return {
        "hospitals": Hospital.objects.approved().count(),
        "doctors": listed.count(),
        "matching": matching.count(),
        "available": matching.filter(days__date=day).count(),
        "available_all": listed.filter(days__date=day).count(),
        "doctor_days": DoctorDay.objects.count(),
    }


def _explain(filters: dict) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the page query GET /api/doctors/ runs (PageNumberPagination's first page)."""
    from django.db import connection

    from shared_apps.directory.selectors import DirectoryFilters, directory_page, directory_page_sql

    filters = DirectoryFilters(**filters)
    _, total = directory_page(filters, offset=0, limit=20)  # once to warm the buffers, as a request finds them
    sql, params = directory_page_sql(filters, offset=0, limit=20)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    return {
        "lines": lines,
        "total": total,
        "seq_scans": sorted({t for line in lines for t in DIRECTORY_TABLES if f"Seq Scan on {t}" in line}),
        "execution_ms": _plan_ms(lines, "Execution Time"),
        "planning_ms": _plan_ms(lines, "Planning Time"),
    }


def _plan_ms(lines: list[str], what: str) -> float:
    return next(float(line.split(":")[1].split()[0]) for line in lines if line.strip().startswith(what))


def _throughput(searches: dict[str, dict], *, seconds: int) -> list[list]:
    from django.db import connection

    rows = []
    for cache_label, cache_seconds in (("off", "0"), ("on", "300")):  # served from this process's database
        with gunicorn(connection.settings_dict["NAME"], env={"CATALOG_CACHE_SECONDS": cache_seconds}):
            warm("/api/ping/")
            floor = wrk("/api/ping/", seconds=seconds)
            rows.append(_row(FLOOR, cache_label, floor, floor))
            for label, filters in searches.items():
                path = _path(filters)
                warm(path)
                result = wrk(path, seconds=seconds)
                rows.append(_row(_label(label, filters), cache_label, result, floor))
                _record_read(label, cache_label, result, floor)
    record("search_errors", sum(row[5] for row in rows), "count")
    return rows


def _record_read(label: str, cache_label: str, result: dict, floor: dict) -> None:
    name = f"read_ratio_{SLUGS[label]}{'' if cache_label == 'on' else '_uncached'}_1000"
    record(name, result["rps"] / floor["rps"], "ratio", floor["rps"])


def _row(label, cache_label, result, floor) -> list:
    errors = result["non2xx"] + result["socket_errors"]
    return [label, cache_label, result["rps"], result["p50_ms"], result["p95_ms"], errors, result["rps"] / floor["rps"]]


def _freshness(day: dt.date, path: str, *, rounds: int) -> list[dict]:
    """Rounds of: the first doctor the search lists is left one free slot on `day` (the others booked through the
    services), the search is read twice (cached), the last slot is booked through the API, then the search is read
    until that doctor is gone. Returns per round the requests and milliseconds from the 201 to the first
    response without the doctor."""
    from shared_apps.accounts.tokens import tokens_for

    stamp = time.strftime("%Y%m%d%H%M%S")
    results = []
    with gunicorn(DATABASE):  # the catalogue cache as deployed
        client = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        for n in range(rounds):
            first = _first_listed(client, path)
            if first is None:
                print(f"freshness: no doctor left with a free slot on {day} after {n} rounds", flush=True)
                break
            doctor_id, hospital_id = first
            last = _leave_one_slot(hospital_id, doctor_id, day, patient_label=f"{stamp}-{n}")
            for _ in range(2):
                if doctor_id not in _listed(client, path):
                    raise RuntimeError(f"doctor {doctor_id} with one free slot on {day} is not listed")
            patient = _patient(f"search-patient-{stamp}-{n}-last")
            body = {"doctor_id": doctor_id, "date": str(day), "time": last.strftime("%H:%M")}
            started = time.perf_counter()
            status, _ = _request(
                client,
                "POST",
                "/api/appointments/book/",
                body,
                {"Authorization": f"Bearer {tokens_for(patient)['access']}"},
            )
            booked = time.perf_counter()
            if status != 201:
                raise RuntimeError(f"booking the last slot answered {status}")
            requests = 0
            while True:
                requests += 1
                if doctor_id not in _listed(client, path):
                    break
                if requests == 100:
                    raise RuntimeError(f"doctor {doctor_id} still listed after 100 requests")
            gone = time.perf_counter()
            results.append({"requests": requests, "ms": (gone - booked) * 1000, "book_ms": (booked - started) * 1000})
        client.close()
    return results


def _request(client, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    payload = json.dumps(body).encode() if body is not None else None
    client.request(
        method, path, body=payload, headers={"Host": "localhost", "Content-Type": "application/json", **(headers or {})}
    )
    response = client.getresponse()
    return response.status, json.loads(response.read() or b"null")


def _listed(client, path: str) -> set[str]:
    status, body = _request(client, "GET", path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return {row["id"] for row in body["results"]}


def _first_listed(client, path: str) -> tuple[str, int] | None:
    status, body = _request(client, "GET", path)
    if not body["results"]:
        return None
    row = body["results"][0]
    return row["id"], row["hospital_id"]


def _leave_one_slot(hospital_id: int, doctor_id: str, day: dt.date, *, patient_label: str) -> dt.time:
    """Book every free slot of the doctor on `day` but the last, one new patient each (through the services, so
    the facts follow); returns the time of the slot left, checked to be the doctor's only free slot that day."""
    from shared_apps.directory.models import DoctorDay
    from shared_apps.hospitals.models import Hospital
    from shared_apps.hospitals.tenancy import hospital_context
    from tenant_apps.appointments.services import appointment_book
    from tenant_apps.doctors.models import Doctor
    from tenant_apps.doctors.selectors import doctor_free_slots

    hospital = Hospital.objects.get(pk=hospital_id)
    with hospital_context(hospital):
        doctor = Doctor.objects.get(pk=doctor_id)
        free = doctor_free_slots(hospital=hospital, doctor=doctor, date_from=day, date_to=day)
        for k, slot in enumerate(free[:-1]):
            patient = _patient(f"search-patient-{patient_label}-{k}")
            appointment_book(actor=patient, hospital=hospital, doctor=doctor, date=day, time=slot.time)
    left = DoctorDay.objects.filter(doctor_id=doctor_id, date=day).values_list("free_slots", flat=True).first()
    if left != 1:
        raise RuntimeError(f"doctor {doctor_id} has {left} free slots on {day} after booking all but one")
    return free[-1].time


def _patient(label: str):
    from shared_apps.accounts.models import Patient, User

    user = User.objects.create_user(email=f"{label}@example.com", name=label.replace("-", " ").title())
    Patient.objects.create(user=user)
    return user


def _refresh_cost(*, due: int) -> dict:
    """Time the periodic refresh: first drain what is due by itself (the clock moved since the facts were
    computed), then mark `due` doctors spread over the hospitals (every k-th by id) and run it once."""
    from django.test.utils import override_settings
    from django.utils import timezone

    from shared_apps.directory.models import DoctorEntry
    from tenant_apps.doctors.services.facts import doctor_facts_refresh_due

    with override_settings(DEBUG=False):  # as in production: no query log
        started, drained = time.perf_counter(), 0
        for _ in range(50):
            refreshed = doctor_facts_refresh_due()
            drained += refreshed
            if not refreshed:
                break
        drain_seconds = time.perf_counter() - started
        ids = list(DoctorEntry.objects.filter(listed=True).order_by("doctor_id").values_list("doctor_id", flat=True))
        marked = ids[:: max(1, len(ids) // due)][:due]
        DoctorEntry.objects.filter(doctor_id__in=marked).update(facts_refresh_at=timezone.now())
        hospitals = DoctorEntry.objects.filter(doctor_id__in=marked).values("hospital_id").distinct().count()
        started = time.perf_counter()
        refreshed = doctor_facts_refresh_due(limit=due)
        seconds = time.perf_counter() - started
    return {
        "drained": drained,
        "drain_seconds": drain_seconds,
        "marked": len(marked),
        "refreshed": refreshed,
        "hospitals": hospitals,
        "seconds": seconds,
    }
