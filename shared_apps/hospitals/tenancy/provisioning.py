"""Creating hospital schemas: claim a pooled copy of the template, or make one now (its captured SQL replayed,
snapshot.py; a clone without one); keep the pool filled."""

import uuid
from functools import cache

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema

from shared_apps.common.errors import ApplicationError
from shared_apps.hospitals.models import Hospital, PooledSchema
from shared_apps.hospitals.tenancy.snapshot import schema_make, snapshot_statements

TEMPLATE_SCHEMA = settings.TENANT_BASE_SCHEMA


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


def schemas_with_records(schemas: list[str]) -> set[str]:
    """Those of `schemas` that exist and have a django_migrations table, in one catalog query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) "
            "AND to_regclass(quote_ident(nspname) || '.django_migrations') IS NOT NULL",
            [schemas],
        )
        return {row[0] for row in cursor.fetchall()}


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
        _make_schema(hospital.schema_name)


def _make_schema(schema: str) -> None:
    """A new schema like the template: its captured SQL replayed (constant time), or a clone without one."""
    statements = snapshot_statements(TEMPLATE_SCHEMA)
    if statements is not None:
        schema_make(schema, statements)
        return
    _clone_template(schema)
    _restore_constraint_names(schema)


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
            _make_schema(name)
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
