"""`migrate_schemas`' executor: keep the template current, skip unprovisioned hospitals and current schemas, replay
pending migrations (replay.py)."""

from django.db import connection
from django_tenants.clone import CloneSchema
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name

from shared_apps.hospitals.models import PooledSchema
from shared_apps.hospitals.tenancy.provisioning import (
    TEMPLATE_SCHEMA,
    _tenant_migrations,
    schemas_with_records,
    template_missing_migrations,
)
from shared_apps.hospitals.tenancy.replay import migrations_replay
from shared_apps.hospitals.tenancy.snapshot import snapshot_statements


def migration_executor(codename=None):
    """django-tenants' executor, told to migrate the template first, to skip hospitals without a schema and
    schemas that are current, and to replay pending migrations on the others (replay.py) where it can.

    `migrate_schemas` otherwise visits every tenant row (pending hospitals have no schema) and never the template,
    which has no row, and runs a whole `migrate` command in each schema.
    """
    base = get_executor(codename=codename)

    class HospitalMigrationExecutor(base):
        def run_migrations(self, tenants=None):
            tenants = list(tenants or [])
            if tenants == [get_public_schema_name()] or self.options.get("schema_name"):
                return super().run_migrations(tenants=tenants)  # the public schema, or one schema by name
            schemas = _schemas_to_migrate(tenants)
            verbosity = int(self.options.get("verbosity", 1))
            if _plain_migrate(self.options):
                behind = _schemas_behind(schemas)
                if verbosity >= 1:
                    print(
                        f"{len(schemas) - len(behind)} of {len(schemas)} tenant schemas are up to date; "  # noqa: T201
                        f"migrating {len(behind)}."
                    )
                if behind[:1] == [TEMPLATE_SCHEMA]:
                    self._migrate(behind[:1])  # first: each replay is checked against it
                    behind = behind[1:]
                schemas = migrations_replay(behind, template=TEMPLATE_SCHEMA, verbosity=verbosity)
            self._migrate(schemas)
            _snapshot_refresh()
            return None

        def _migrate(self, schemas: list[str]) -> None:
            """A whole `migrate` command in each schema (django-tenants' way)."""
            if not schemas:
                return
            if self.codename == "multiprocessing":
                _close_pool_before_fork()
            super().run_migrations(tenants=schemas)

    return HospitalMigrationExecutor


def _close_pool_before_fork() -> None:
    """The multiprocessing executor forks workers: a psycopg pool's open connections (DATABASE_POOL) would be
    shared by every child, which then read each other's answers. Closed here, each child opens its own."""
    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()


def _snapshot_refresh() -> None:
    """Capture the template's SQL for new schemas, once per set of migrations (snapshot.py)."""
    if not template_missing_migrations():
        snapshot_statements(TEMPLATE_SCHEMA)  # kept, or taken now


def _plain_migrate(options: dict) -> bool:
    """A plain "bring everything up to date" run (no app or target migration, no fake, plan or check)."""
    special = ("app_label", "migration_name", "fake", "fake_initial", "plan", "check_unapplied", "prune", "run_syncdb")
    return not any(options.get(option) for option in special)


def _schemas_behind(schemas: list[str], batch: int = 250) -> list[str]:
    """The schemas that lack a migration they need, in one query per `batch` schemas: the template needs every
    migration (clones copy its records), hospitals and pooled clones the tenant apps' ones.

    Skipping current schemas is what keeps `migrate_schemas` with nothing pending fast at thousands of hospitals.
    """
    behind = [TEMPLATE_SCHEMA] if TEMPLATE_SCHEMA in schemas and template_missing_migrations() else []
    schemas = [schema for schema in schemas if schema != TEMPLATE_SCHEMA]
    wanted = sorted(f"{app}.{name}" for app, name in _tenant_migrations())
    with_table = schemas_with_records(schemas)
    current = set()
    ready = [schema for schema in schemas if schema in with_table]
    with connection.cursor() as cursor:
        for start in range(0, len(ready), batch):
            parts = [
                f"SELECT %s, count(*) FROM \"{schema}\".django_migrations m WHERE m.app || '.' || m.name = ANY(%s)"
                for schema in ready[start : start + batch]
            ]
            params = [value for schema in ready[start : start + batch] for value in (schema, wanted)]
            cursor.execute(" UNION ALL ".join(parts), params)
            current |= {schema for schema, applied in cursor.fetchall() if applied == len(wanted)}
    return behind + [schema for schema in schemas if schema not in current]


def _schemas_to_migrate(requested: list[str]) -> list[str]:
    """The template first, then every provisioned hospital and pooled clone; never a schema that does not exist."""
    CloneSchema()._create_clone_schema_function()  # refreshed once per deploy, used by every approval
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{TEMPLATE_SCHEMA}"')
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [requested])
        existing = {row[0] for row in cursor.fetchall()}
    pooled = list(PooledSchema.objects.values_list("name", flat=True))
    others = [schema for schema in requested if schema in existing and schema != TEMPLATE_SCHEMA]
    return [TEMPLATE_SCHEMA, *others, *pooled]
