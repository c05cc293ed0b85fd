"""Helpers shared by the benchmarks: a fresh database per benchmark, Django setup, timing, tables and the figures
written by --json."""

import json
import math
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
# Every benchmark database is named from this (rhms_bench, rhms_bench_provision, ...): set BENCH_DATABASE to run
# on databases of your own, e.g. a fresh set.
DATABASE_PREFIX = os.environ.get("BENCH_DATABASE", "rhms_bench")


def admin_conninfo() -> str:
    return os.environ.get("BENCH_ADMIN_CONNINFO", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")


def database_exists(name: str) -> bool:
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def recreate_database(name: str) -> None:
    with psycopg.connect(admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def use_database(name: str) -> None:
    """Point this process (and its children) at database `name`, then set Django up.

    One database per process: once Django is set up, its settings keep the first database (a new DATABASE_URL
    reaches only child processes), so a second database would silently be the first one. That raises here instead;
    `scripts/bench all` runs each subcommand in its own process, and a subcommand needing two databases opens the
    second in a subprocess (my-appointments, provision).
    """
    from django.apps import apps

    if apps.ready:
        from django.conf import settings

        current = settings.DATABASES["default"]["NAME"]
        if current != name:
            raise RuntimeError(f"this process already uses database {current}; open {name} in a subprocess")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def close_connections() -> None:
    """Close this process's database connection and its pool (settings.py pools connections by default): a
    database another session holds cannot be dropped or used as a template."""
    from django.db import connection

    connection.close()
    connection.close_pool()


def analyze() -> None:
    """Collect planner statistics for every table changed since its last ANALYZE, and say so.

    Autovacuum may be off (it is on the shared machine): a table loaded in bulk then has no statistics and the
    planner guesses (sequential scans instead of the indexes).
    """
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, relname FROM pg_stat_user_tables WHERE n_mod_since_analyze > 0")
        stale = cursor.fetchall()
        for schema, table in stale:
            cursor.execute(f'ANALYZE "{schema}"."{table}"')
    print(f"ANALYZE: {len(stale)} changed tables analyzed in {time.perf_counter() - started:.1f} s", flush=True)


def manage(*args: str, quiet: bool = True) -> float:
    """Run manage.py in a subprocess (same environment); returns its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    return time.perf_counter() - started


def purge_leftover_tasks() -> None:
    """Empty the benchmarks' broker (BENCH_REDIS_URL, database 14) before a Celery worker starts: building a data set
    approves hospitals with no worker running, and their queued emails and pool refills (thousands at 1,000
    hospitals, some for other benchmark databases) would otherwise be worked through before the measured tasks."""
    from config.celery import app

    purged = app.control.purge()
    if purged:
        print(f"purged {purged} tasks left queued by earlier data set builds", flush=True)


def child_output(command: list[str]) -> str:
    """What `command` (a child process of the benchmark) prints; when it fails, the end of its error output is
    printed before raising, so that `scripts/bench` says why."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stderr[-4000:], file=sys.stderr, flush=True)
        raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr)
    return result.stdout


def python_output(code: str) -> str:
    """`child_output` of `python -c code` in this virtualenv."""
    return child_output([sys.executable, "-c", code])


@contextmanager
def timer(results: list[float]):
    started = time.perf_counter()
    yield
    results.append(time.perf_counter() - started)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [header] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    print(f"\n== {title}")
    for n, row in enumerate(cells):
        print("  ".join(str(v).ljust(widths[i]) for i, v in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


# The figures of this run, in the order measured: what `scripts/bench … --json FILE` writes (docs/benchmarks.md).
FIGURES: list[dict] = []


POOLER_PORT = "6432"  # PgBouncer, session mode (scripts/lib/services.sh ensure_pgbouncer)


def through_pooler() -> bool:
    """`scripts/bench … --pooler`: the servers under test reach PostgreSQL through PgBouncer."""
    return os.environ.get("BENCH_POOLER") == "1"


def server_database_port() -> str:
    return POOLER_PORT if through_pooler() else "5432"


def figure_name(name: str) -> str:
    """A figure's name as written: through the pooler every name ends in `_pooler`, so both runs can sit side by
    side."""
    return f"{name}_pooler" if through_pooler() else name


def record(name: str, value, unit: str, floor: float | None = None) -> None:
    """Keep one figure: `floor` is the empty endpoint's req/s (/api/ping/) of the same run where one applies."""
    FIGURES.append({"name": figure_name(name), "value": _plain(value), "unit": unit, "floor": _plain(floor)})


def write_json(path: str) -> None:
    Path(path).write_text(json.dumps(FIGURES, indent=2) + "\n")


def _plain(value):
    """JSON has no NaN: a figure that could not be measured is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
