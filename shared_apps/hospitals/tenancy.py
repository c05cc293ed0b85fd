"""The only module that switches PostgreSQL schema.

- `hospital_context(hospital)`: run code inside one hospital's schema.
- `public_context()`: run code in the public schema (e.g. from a task that started in a hospital's).
- `resolve_hospital(request)`: the hospital whose subdomain served the request, or None on the platform host.
- `for_each_hospital()`: visit every approved hospital's schema in turn (maintenance commands only).
- `HospitalMiddleware`: routes `<slug>.<BASE_DOMAIN>` to an approved hospital's schema, 404 otherwise.
- `provision_schema(hospital)`: create a hospital's schema: claim a pooled clone of the template, or clone it now.
- `schema_pool_fill(size)`: clone the template ahead of time so that approvals only rename a schema.
- `migration_executor`: makes `migrate_schemas` keep the template current and skip unprovisioned hospitals.

Ruff's banned-API rule (TID251) forbids django-tenants' schema helpers everywhere else.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from shared_apps.common.errors import ApplicationError
from shared_apps.hospitals.models import Hospital, HospitalStatus, PooledSchema

TEMPLATE_SCHEMA = settings.TENANT_BASE_SCHEMA


@contextmanager
def hospital_context(hospital: Hospital) -> Iterator[Hospital]:
    """Run the block inside `hospital`'s schema (search_path: hospital, public), then restore the previous one."""
    with tenant_context(hospital):
        yield hospital


@contextmanager
def public_context() -> Iterator[None]:
    with schema_context(get_public_schema_name()):
        yield


def use_public_schema() -> None:
    """Point the connection back at the public schema (after a request or task left it in a hospital's)."""
    connection.set_schema_to_public()


def resolve_hospital(request) -> Hospital | None:
    """The approved hospital whose subdomain served this request; None on the platform host."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == get_public_schema_name():
        return None
    return tenant


def for_each_hospital(queryset=None) -> Iterator[Hospital]:
    """Yield each approved hospital with its schema active. O(hospitals): for commands, never for requests."""
    hospitals = queryset if queryset is not None else Hospital.objects.approved()
    for hospital in hospitals.order_by("pk").iterator():
        with hospital_context(hospital):
            yield hospital


# Routing -----------------------------------------------------------------------------------------------------------


class HospitalMiddleware(TenantMainMiddleware):
    """Serve an approved hospital's schema on its subdomain; the platform on every other allowed host.

    A pending, rejected, deactivated or unknown subdomain of BASE_DOMAIN is a 404, as if it did not exist.
    """

    def get_tenant(self, domain_model, hostname):
        base = settings.BASE_DOMAIN
        if hostname != base and hostname.endswith("." + base):
            domain = domain_model.objects.select_related("tenant").get(
                domain=hostname, tenant__status=HospitalStatus.APPROVED, tenant__is_active=True
            )
            return domain.tenant
        return _platform_tenant()


def _platform_tenant() -> Hospital:
    """The public tenant row, read once per process: it never changes, and the platform host is the busiest."""
    global _platform
    if _platform is None:
        _platform = Hospital.objects.get(schema_name=get_public_schema_name())
    return _platform


_platform: Hospital | None = None


# Provisioning ----------------------------------------------------------------------------------------------------


class TemplateOutdated(ApplicationError):
    def __init__(self, missing: list[str]):
        super().__init__(
            "template_outdated",
            "The hospital template schema is behind the code's migrations; run `manage.py migrate_schemas` "
            f"before approving hospitals (missing: {', '.join(missing[:5])}).",
            status=503,
        )


@cache
def _code_migrations() -> frozenset[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


@cache
def _tenant_migrations() -> frozenset[tuple[str, str]]:
    """The migrations that change a hospital's schema (TENANT_APPS'); the router skips the others there."""
    labels = {config.label for config in django_apps.get_app_configs() if config.name in settings.TENANT_APPS}
    return frozenset(node for node in _code_migrations() if node[0] in labels)


def template_missing_migrations(schema: str = TEMPLATE_SCHEMA, *, tenant_only: bool = False) -> list[str]:
    """Migrations of the code that `schema` has not recorded; empty when current.

    The template must have them all (clones copy its records). For hospitals and pooled clones only the tenant
    apps' migrations matter (`tenant_only`): a shared app's migration changes nothing in their schema.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(quote_ident(%s) || '.django_migrations')", [schema])
        if cursor.fetchone()[0] is None:
            return [f"<schema {schema} has no migrations recorded>"]
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        applied = set(cursor.fetchall())
    wanted = _tenant_migrations() if tenant_only else _code_migrations()
    return sorted(f"{app}.{name}" for app, name in wanted - applied)


def provision_schema(hospital: Hospital) -> None:
    """Create `hospital`'s schema as a clone of the template, inside the caller's transaction.

    Raises TemplateOutdated (503) when the template is behind the code: a clone would record migrations as
    applied whose tables or columns do not exist. Rolls back with the caller's transaction: no orphan schema.
    """
    if not settings.TENANT_CREATION_FAKES_MIGRATIONS:
        hospital.create_schema(check_if_exists=False, verbosity=0)  # CREATE SCHEMA + every migration: slow
        return
    missing = template_missing_migrations()
    if missing:
        raise TemplateOutdated(missing)
    if not _claim_pooled_schema(hospital.schema_name):
        _clone_template(hospital.schema_name)
        _restore_constraint_names(hospital.schema_name)


def _clone_template(schema: str) -> None:
    """django-tenants' TENANT_BASE_SCHEMA clone, minus two per-call costs that grow with the catalog.

    `TenantMixin.create_schema` re-creates the 4,500-line clone function on every call (churning pg_proc/pg_type)
    and then fakes migrations; here the function is installed once per migrate, and the clone copies the
    template's django_migrations rows (DATA mode), which the guard above has just proven complete.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('public.clone_schema(text, text, public.cloneparms[])')")
        if cursor.fetchone()[0] is None:
            CloneSchema()._create_clone_schema_function()
        cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [TEMPLATE_SCHEMA, schema])


POOL_PREFIX = "pool_"


def _claim_pooled_schema(schema: str) -> bool:
    """Rename a current pooled clone to `schema` (constant time); False when the pool has none to give.

    The claim (row lock, delete, rename) is part of the caller's transaction: a failed approval puts it back.
    """
    pooled = PooledSchema.objects.select_for_update(skip_locked=True).first()
    while pooled is not None and template_missing_migrations(pooled.name, tenant_only=True):
        _drop_schema(pooled.name)  # left behind by a deploy that did not migrate it
        pooled.delete()
        pooled = PooledSchema.objects.select_for_update(skip_locked=True).first()
    if pooled is None:
        return False
    pooled.delete()
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{pooled.name}" RENAME TO "{schema}"')
    return True


def schema_pool_fill(size: int) -> int:
    """Clone the template until `size` schemas wait in the pool; returns how many were added. Off the request path."""
    added = 0
    while PooledSchema.objects.count() < size and not template_missing_migrations():
        name = f"{POOL_PREFIX}{uuid.uuid4().hex}"
        with transaction.atomic():
            _clone_template(name)
            _restore_constraint_names(name)
            PooledSchema.objects.create(name=name)
        added += 1
    return added


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _restore_constraint_names(schema: str) -> None:
    """Give cloned constraints the template's names back.

    The clone function recreates plain UNIQUE constraints under PostgreSQL's default names, which would break any
    later migration that drops or alters one by name.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT target_table.relname, target_con.conname, template_con.conname
            FROM pg_constraint template_con
            JOIN pg_class template_table ON template_table.oid = template_con.conrelid
            JOIN pg_namespace template_ns ON template_ns.oid = template_table.relnamespace
            JOIN pg_class target_table ON target_table.relname = template_table.relname
            JOIN pg_namespace target_ns ON target_ns.oid = target_table.relnamespace
            JOIN pg_constraint target_con ON target_con.conrelid = target_table.oid
                AND target_con.contype = template_con.contype
                AND target_con.conkey = template_con.conkey
            WHERE template_ns.nspname = %s AND target_ns.nspname = %s
              AND template_con.contype IN ('u', 'x', 'c')
              AND target_con.conname <> template_con.conname
              AND NOT EXISTS (
                  SELECT 1 FROM pg_constraint same_name
                  WHERE same_name.conrelid = target_table.oid AND same_name.conname = template_con.conname
              )
            """,
            [TEMPLATE_SCHEMA, schema],
        )
        renames = cursor.fetchall()
        for table, current, wanted in renames:
            cursor.execute(f'ALTER TABLE "{schema}"."{table}" RENAME CONSTRAINT "{current}" TO "{wanted}"')


# Migrations --------------------------------------------------------------------------------------------------------


def migration_executor(codename=None):
    """django-tenants' executor, told to migrate the template first and to skip hospitals without a schema.

    `migrate_schemas` otherwise visits every tenant row (pending hospitals have no schema) and never the template,
    which has no row.
    """
    base = get_executor(codename=codename)

    class HospitalMigrationExecutor(base):
        def run_migrations(self, tenants=None):
            tenants = list(tenants or [])
            if tenants == [get_public_schema_name()] or self.options.get("schema_name"):
                return super().run_migrations(tenants=tenants)  # the public schema, or one schema by name
            schemas = _schemas_to_migrate(tenants)
            if _plain_migrate(self.options):
                behind = _schemas_behind(schemas)
                if int(self.options.get("verbosity", 1)) >= 1:
                    print(
                        f"{len(schemas) - len(behind)} of {len(schemas)} tenant schemas are up to date; "  # noqa: T201
                        f"migrating {len(behind)}."
                    )
                schemas = behind
            if schemas:
                return super().run_migrations(tenants=schemas)
            return None

    return HospitalMigrationExecutor


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
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) "
            "AND to_regclass(quote_ident(nspname) || '.django_migrations') IS NOT NULL",
            [schemas],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        current = set()
        ready = [schema for schema in schemas if schema in with_table]
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
