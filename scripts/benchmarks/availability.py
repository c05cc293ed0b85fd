"""scripts/bench availability: a doctor's 7-day availability computed from weekly hours, dated overrides, time off
and bookings, at 1,000 hospitals (100 with --quick), against the empty endpoint.

Every doctor works weekly hours; the measured week (from a Monday) holds an evening-clinic override, a blocked hour,
Thursday afternoon off for every fourth doctor and 7 bookings per doctor (dataset.grow_weekly_schedules). wrk
cycles through the weeks of DOCTORS doctors spread over all hospitals:
- with the availability cache as deployed (AVAILABILITY_CACHE_SECONDS default), after one warming read of each:
  requests/s against /api/ping/ in the same server (target >= 0.50);
- with the cache off (AVAILABILITY_CACHE_SECONDS=0), every request computes the week: its median and p95 latency
  with one connection (one request at a time: the cost of one computation), then requests/s with 8 connections.
"""

import datetime as dt
import json
import urllib.request

from scripts.benchmarks.common import analyze, record, table
from scripts.benchmarks.dataset import DATABASE, grow_weekly_schedules, open_dataset
from scripts.benchmarks.serving import PORT, gunicorn, rotating_paths_script, warm, wrk

DOCTORS = 200
FLOOR = "empty DRF endpoint (/api/ping/)"


def run(*, quick: bool = False) -> None:
    measure(hospitals=100 if quick else 1000, quick=quick)


def measure(*, hospitals: int, quick: bool) -> None:
    open_dataset(hospitals=hospitals, doctors_per_hospital=20)
    monday = grow_weekly_schedules()
    analyze()
    paths = _paths(monday)
    seconds = 5 if quick else 15
    script = rotating_paths_script(paths)
    rows = []
    with gunicorn(DATABASE, env={"AVAILABILITY_CACHE_SECONDS": "0"}):
        week = _check(paths[0])
        warm("/api/ping/")
        floor_off = floor = wrk("/api/ping/", seconds=seconds)
        for path in paths[:20]:
            warm(path, requests=1)
        one = wrk(paths[0], seconds=seconds, connections=1, script=script)
        eight = wrk(paths[0], seconds=seconds, script=script)
        rows.append(_row(FLOOR, "off", floor, floor))
        rows.append(_row("availability, 1 connection", "off", one, floor))
        rows.append(_row("availability, 8 connections", "off", eight, floor))
    with gunicorn(DATABASE):  # the cache as deployed
        warm("/api/ping/")
        for path in paths:
            warm(path, requests=1)  # one miss per URL, then hits
        floor = wrk("/api/ping/", seconds=seconds)
        cached = wrk(paths[0], seconds=seconds, script=script)
        rows.append(_row(FLOOR, "on", floor, floor))
        rows.append(_row("availability, 8 connections", "on", cached, floor))
    table(
        f"availability (7 days from {monday}, {len(paths)} doctors) at {hospitals} hospitals; "
        "gunicorn 2 sync workers, wrk",
        ["endpoint", "cache", "req/s", "p50 ms", "p95 ms", "errors", "vs empty"],
        rows,
    )
    print(
        f"one week's body: {week['windows']} windows, {week['slots']} free slots "
        f"(weekly hours, an override, a blocked hour{', time off' if week['time_off'] else ''}, 7 bookings)"
    )
    print(f"uncached median: {one['p50_ms']:.1f} ms per request (one connection, every request computes the week)")
    print(f"cached: {cached['rps'] / floor['rps']:.2f} of the empty endpoint (target >= 0.50)")
    _record(floor, cached, floor_off, one, eight)


def _record(floor: dict, cached: dict, floor_off: dict, one: dict, eight: dict) -> None:
    """Names: availability_schedule (the week from weekly hours), against the empty endpoint of its own server."""
    record("read_ratio_availability_schedule_1000", cached["rps"] / floor["rps"], "ratio", floor["rps"])
    record("availability_schedule_rps_1000", cached["rps"], "req/s", floor["rps"])
    record("availability_schedule_p95_ms_1000", cached["p95_ms"], "ms")
    record("read_ratio_availability_schedule_uncached_1000", eight["rps"] / floor_off["rps"], "ratio", floor_off["rps"])
    record("availability_schedule_uncached_median_ms", one["p50_ms"], "ms")
    record("availability_schedule_uncached_p95_ms", one["p95_ms"], "ms")
    errors = sum(r["non2xx"] + r["socket_errors"] for r in (floor, cached, floor_off, one, eight))
    record("availability_schedule_errors", errors, "count")


def _paths(monday: dt.date) -> list[str]:
    """The measured week of DOCTORS doctors, from as many hospitals, spread over all of them."""
    from shared_apps.directory.models import DoctorEntry

    firsts = list(
        DoctorEntry.objects.order_by("hospital_id", "doctor_id")
        .distinct("hospital_id")
        .values_list("doctor_id", flat=True)
    )
    step = max(1, len(firsts) // DOCTORS)
    sunday = monday + dt.timedelta(days=6)
    return [f"/api/doctors/{d}/availability/?from={monday}&to={sunday}" for d in firsts[::step][:DOCTORS]]


def _check(path: str) -> dict:
    """One uncached read, checked: the override replaces Wednesday, the block and the bookings are not free."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers={"Host": "localhost"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        body = json.loads(response.read())
    by_day: dict[str, list[str]] = {}
    for slot in body["slots"]:
        by_day.setdefault(slot["date"], []).append(slot["time"])
    days = sorted({w["date"] for w in body["windows"]})
    monday, tuesday, wednesday = days[0], days[1], days[2]
    checks = {
        "the bookings are not free": not {"09:00", "09:30"} & set(by_day[monday]),
        "the blocked hour is not free": not {"10:00", "10:30"} & set(by_day[tuesday]),
        "the override replaces Wednesday's hours": "09:00" not in by_day[wednesday] and "18:30" in by_day[wednesday],
        "the override's bookings are not free": not {"13:00", "18:00"} & set(by_day[wednesday]),
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise RuntimeError(f"availability body is wrong ({', '.join(failed)}): {body}")
    time_off = any(not w["is_available"] and w["start_time"] == "14:00" for w in body["windows"])
    return {"windows": len(body["windows"]), "slots": len(body["slots"]), "time_off": time_off}


def _row(label, cache_label, result, floor) -> list:
    errors = result["non2xx"] + result["socket_errors"]
    return [label, cache_label, result["rps"], result["p50_ms"], result["p95_ms"], errors, result["rps"] / floor["rps"]]
