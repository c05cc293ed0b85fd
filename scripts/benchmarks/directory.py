"""scripts/bench directory: the doctor directory over 1,000 hospitals and 20,000 doctors, against the floor.

GET /api/doctors/?… and an empty DRF endpoint (/api/ping/), through the same gunicorn in the same run:
requests/s, p50/p95 and the ratio — with the catalogue cache on (as deployed) and off (every request hits SQL).
"""

from scripts.benchmarks.common import record, table
from scripts.benchmarks.dataset import DATABASE, open_dataset
from scripts.benchmarks.serving import gunicorn, warm, wrk

PATHS = {
    "directory ?specialization=Cardiology": "/api/doctors/?specialization=Cardiology",
    "directory ?q=lov (name search)": "/api/doctors/?q=lov",
    "directory ?city=Leeds&specialization=Oncology": "/api/doctors/?city=Leeds&specialization=Oncology",
}
FLOOR = "empty DRF endpoint (/api/ping/)"
SLUGS = {  # read_ratio_directory_<slug>_1000 (cache on) and read_ratio_directory_<slug>_uncached_1000
    "directory ?specialization=Cardiology": "specialization",
    "directory ?q=lov (name search)": "name_search",
    "directory ?city=Leeds&specialization=Oncology": "city_specialization",
}


def run(*, quick: bool = False) -> None:
    hospitals = 100 if quick else 1000
    open_dataset(hospitals=hospitals, doctors_per_hospital=20)
    seconds = 5 if quick else 15
    rows = []
    for cache_label, cache_seconds in (("on", "300"), ("off", "0")):
        with gunicorn(DATABASE, env={"CATALOG_CACHE_SECONDS": cache_seconds}):
            warm("/api/ping/")
            floor = wrk("/api/ping/", seconds=seconds)
            rows.append(_row(FLOOR, cache_label, floor, floor))
            for label, path in PATHS.items():
                warm(path)
                result = wrk(path, seconds=seconds)
                rows.append(_row(label, cache_label, result, floor))
                _record(label, cache_label, result, floor)
    table(
        f"directory: {hospitals} hospitals, {hospitals * 20} doctors; gunicorn 2 sync workers, wrk 8 connections",
        ["endpoint", "cache", "req/s", "p50 ms", "p95 ms", "errors", "vs empty"],
        rows,
    )
    print("target: directory >= 0.50 of the empty endpoint's throughput (cache on is how it is deployed)")
    record("directory_errors", sum(row[5] for row in rows), "count")


def _record(label: str, cache_label: str, result: dict, floor: dict) -> None:
    name = f"read_ratio_directory_{SLUGS[label]}{'' if cache_label == 'on' else '_uncached'}_1000"
    record(name, result["rps"] / floor["rps"], "ratio", floor["rps"])


def _row(label, cache_label, result, floor) -> list:
    errors = result["non2xx"] + result["socket_errors"]
    return [label, cache_label, result["rps"], result["p50_ms"], result["p95_ms"], errors, result["rps"] / floor["rps"]]
