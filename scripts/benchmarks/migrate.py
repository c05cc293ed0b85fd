"""scripts/bench migrate: `migrate_schemas` across every hospital schema of the benchmark data set.

- nothing pending: the normal deploy (current schemas are skipped after one catalog query per 250 schemas);
- every schema visited (`--fake-initial` disables the skip): what django-tenants' standard executor costs;
- one pending migration in a tenant app, with the standard and the multiprocessing executor (either way,
  replayed on every schema after the first: shared_apps/hospitals/tenancy/replay.py).
The probe migration adds a column to doctors_doctor (DDL, as a real migration would); after each run the schemas
holding the column are counted (every tenant schema must), then its file, column and django_migrations rows are
removed.
"""

from scripts.benchmarks.common import ROOT, manage, record, table
from scripts.benchmarks.dataset import open_dataset

PROBE = ROOT / "tenant_apps/doctors/migrations/9999_bench_probe.py"
PROBE_COLUMN = "bench_probe"


def run(*, quick: bool = False) -> None:
    open_dataset(hospitals=100 if quick else 1000, doctors_per_hospital=20)
    from shared_apps.hospitals.models import Hospital

    schemas = Hospital.objects.approved().count()
    record("migrate_schemas", schemas, "count")
    rows = []
    _timed(rows, "nothing pending (skip current schemas)", "migrate_noop_s")
    _timed(rows, "nothing pending, every schema visited (standard)", "migrate_every_schema_s", "--fake-initial")
    for executor, name in (
        ("standard", "migrate_one_pending_s"),
        ("multiprocessing", "migrate_one_pending_parallel_s"),
    ):
        _write_probe()
        try:
            _timed(rows, f"one pending migration ({executor})", name, f"--executor={executor}")
            migrated, tenant_schemas = _probe_applied()
            record(f"{name.removesuffix('_s')}_schemas_migrated", migrated, "count")
            print(f"probe column in {migrated} of {tenant_schemas} tenant schemas after the {executor} run")
        finally:
            _remove_probe()
    table(f"migrate: {schemas} hospital schemas (+ template and pool), seconds", ["run", "seconds"], rows)
    print("targets: <= 2 s with nothing pending, <= 30 s for one pending migration")


def _timed(rows: list, label: str, name: str, *options: str) -> None:
    """One `migrate_schemas` run: a row of the table, and its figure (kept at once: a later run may fail)."""
    seconds = manage("migrate_schemas", "--noinput", *options)
    rows.append([label, seconds])
    record(name, seconds, "s")


def _latest_doctors_migration() -> str:
    names = sorted(p.stem for p in PROBE.parent.glob("[0-9][0-9][0-9][0-9]_*.py") if p != PROBE)
    return names[-1]


def _write_probe() -> None:
    PROBE.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('doctors', '{_latest_doctors_migration()}')]\n"
        "    operations = [migrations.RunSQL(\n"
        f"        'ALTER TABLE doctors_doctor ADD COLUMN {PROBE_COLUMN} integer',\n"
        f"        'ALTER TABLE doctors_doctor DROP COLUMN {PROBE_COLUMN}',\n"
        "    )]\n"
    )


def _tenant_schemas(cursor) -> list[str]:
    cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = 'doctors_doctor'")
    return [row[0] for row in cursor.fetchall()]


def _probe_applied() -> tuple[int, int]:
    """(tenant schemas holding the probe's column, tenant schemas)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'doctors_doctor' AND column_name = %s",
            [PROBE_COLUMN],
        )
        return cursor.fetchone()[0], len(_tenant_schemas(cursor))


def _remove_probe() -> None:
    from django.db import connection

    PROBE.unlink(missing_ok=True)
    with connection.cursor() as cursor:
        for schema in _tenant_schemas(cursor):
            cursor.execute(f'ALTER TABLE "{schema}".doctors_doctor DROP COLUMN IF EXISTS {PROBE_COLUMN}')
        cursor.execute(
            "SELECT nspname FROM pg_namespace "
            "WHERE to_regclass(quote_ident(nspname) || '.django_migrations') IS NOT NULL"
        )
        for (schema,) in cursor.fetchall():
            sql = f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s'  # noqa: S608 - catalog name
            cursor.execute(sql, ["doctors", PROBE.stem])
