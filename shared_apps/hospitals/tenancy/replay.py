"""Pending tenant migrations, worked out on one schema and replayed on every other schema with the same records.

django-tenants migrates each schema with a whole `migrate` command: loading the graph, rendering the project state,
planning and signals cost about 0.1 s per schema whatever the migration does (112 s over 1,035 schemas for a
`SELECT 1`). Schemas that have recorded the same migrations have the same plan, and schemas made from the template
hold the same tables, so the plan's SQL is the same for all of them. So, per group of schemas with one set of
records:

1. the first schema is migrated for real, by Django's own operations, while every statement its schema editors
   execute is kept (the SQL they run, parameters merged, as PostgreSQL receives it);
2. that schema must then look like the template (which django-tenants' executor migrated first): its columns,
   constraints and indexes (`schema_shape`);
3. each other schema of the group runs the kept statements and the migration records in one round trip and one
   transaction (a schema that refuses them is rolled back and left to django-tenants' executor).

A plan is replayed only when every operation in it is Django's own and reduces to SQL: a RunPython in a tenant app,
a custom operation, a non-atomic or a squashed migration sends the group to django-tenants' executor. No migrate
signal is sent in hospital schemas, as none is listened to there (contenttypes and auth live in public only).
"""

import re
from collections import defaultdict

from django.db import DatabaseError, connection, router, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations import RunPython, SeparateDatabaseAndState
from django_tenants.utils import schema_context
from psycopg import sql

from shared_apps.hospitals.tenancy.provisioning import schemas_with_records

# What a migration can change in a schema, one row per column, constraint and index of the named tables, with the
# schema's own name left out so that two schemas compare. Tables are looked up by name (an index scan of pg_class):
# cheap enough to check every replayed schema at thousands of hospitals.
_SHAPE = """
    WITH t AS (
        SELECT c.oid, c.relname FROM pg_class c
        WHERE c.relname = ANY(%(tables)s::name[]) AND c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind = 'r'
    )
    SELECT 'columns', t.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
           a.attidentity::text, replace(pg_get_expr(d.adbin, d.adrelid), %(prefix)s, '')
    FROM t JOIN pg_attribute a ON a.attrelid = t.oid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraints', t.relname, c.conname, c.contype::text, replace(pg_get_constraintdef(c.oid), %(prefix)s, ''),
           NULL, NULL
    FROM t JOIN pg_constraint c ON c.conrelid = t.oid
    UNION ALL
    SELECT 'indexes', t.relname, i.relname, replace(pg_get_indexdef(i.oid), %(prefix)s, ''), NULL, NULL, NULL
    FROM t JOIN pg_index x ON x.indrelid = t.oid JOIN pg_class i ON i.oid = x.indexrelid
"""
_DIGEST = f"SELECT md5(string_agg(shape::text, E'\\n' ORDER BY shape::text)) FROM ({_SHAPE}) shape"


def migrations_replay(schemas: list[str], *, template: str, verbosity: int = 1) -> list[str]:
    """Bring `schemas` up to the code's migrations by replay; returns the schemas left for django-tenants' executor.

    `template` must already be migrated: each group's first schema is compared with it. Each replayed schema is
    migrated in a transaction of its own, so an interrupted run leaves every schema either migrated or as it was.
    """
    groups = _groups(schemas)
    grouped = {schema for group in groups.values() for schema in group}
    left = [schema for schema in schemas if schema not in grouped]
    target = Shape(template)
    for records, group in groups.items():
        replayed = _replay_group(group, target)
        left += [schema for schema in group if schema not in replayed]
        if verbosity >= 1:
            print(  # noqa: T201 - migrate_schemas' own output
                f"Replayed the pending migrations on {len(replayed)} of {len(group)} schemas "
                f"with {len(records)} migrations recorded."
            )
    still_there = schemas_with_records(left)  # an approval may have claimed (renamed) a pooled one meanwhile
    return [schema for schema in left if schema in still_there]


class Shape:
    """The template's shape after its migrations: its tables, and a digest to compare another schema's with."""

    def __init__(self, template: str):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT array_agg(relname) FROM pg_class WHERE relnamespace = to_regnamespace(%s) AND relkind = 'r'",
                [template],
            )
            self.tables = cursor.fetchone()[0] or []
        self.digest = self.of(template)

    def of(self, schema: str) -> str | None:
        """`schema`'s digest over the template's tables (None when it has none of them, or does not exist)."""
        with connection.cursor() as cursor:
            cursor.execute(_DIGEST, {"tables": self.tables, "schema": schema, "prefix": f"{schema}."})
            return cursor.fetchone()[0]


def _replay_group(group: list[str], target: Shape) -> set[str]:
    """The schemas of `group` that were migrated here (the first for real, the others by replay)."""
    first, others = group[0], group[1:]
    statements = _migrate_first(first)
    if statements is None:
        return set()
    if target.of(first) != target.digest or _names(statements, first):  # unlike the template, or naming `first`
        return {first}
    return {first} | {schema for schema in others if _replay(schema, statements, target)}


def _migrate_first(schema: str) -> str | None:
    """Migrate `schema` with Django's operations, keeping what they execute. None when its plan cannot be replayed
    (nothing is done then); else the kept SQL, with the migration records."""
    with schema_context(schema):
        executor = MigrationExecutor(connection)
        executor.loader.check_consistent_history(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not plan or executor.loader.replacements:  # squashed migrations: Django records them in a step of its own
            return None
        if not all(_replayable(migration, backwards) for migration, backwards in plan):
            return None
        state = executor._create_project_state(with_applied_migrations=True)
        statements = []
        for migration, _ in plan:
            with transaction.atomic():
                executed = []
                with connection.schema_editor(atomic=migration.atomic) as editor:
                    _keep_executed(editor, executed)
                    state = migration.apply(state, editor)
                records = _records_sql(migration)
                with connection.cursor() as cursor:
                    cursor.execute(records)
            statements += [*executed, records]
    # One per line: a trailing comment in a RunSQL ends at its line, not at the next statement's end.
    return "\n;\n".join(statement.rstrip().rstrip(";") for statement in statements)


def _names(statements: str, schema: str) -> bool:
    return f'"{schema}"' in statements or re.search(rf"\b{re.escape(schema)}\.", statements) is not None


def _replayable(migration: Migration, backwards: bool) -> bool:
    if backwards or migration.replaces or not migration.atomic:
        return False
    return all(_replayable_operation(migration.app_label, operation) for operation in migration.operations)


def _replayable_operation(app_label: str, operation) -> bool:
    """Django's own operations reach the database only through the schema editor, except RunPython (which only
    runs where the router lets the app migrate). A custom operation may not. A field whose default is computed in
    Python (uuid4, now) would get the first schema's value in every schema: Django computes one per schema."""
    if isinstance(operation, SeparateDatabaseAndState):
        return all(_replayable_operation(app_label, inner) for inner in operation.database_operations)
    if not type(operation).__module__.startswith("django."):
        return False
    if isinstance(operation, RunPython):
        return not router.allow_migrate(connection.alias, app_label, **operation.hints)
    field = getattr(operation, "field", None)
    if field is not None and field.has_default() and callable(field.default):
        return False
    return operation.reduces_to_sql


def _keep_executed(editor, executed: list[str]) -> None:
    """Make `editor` append each statement it runs to `executed`, parameters merged as its backend merges them."""
    execute = editor.execute

    def keeping(statement, params=()):
        text = str(statement)
        executed.append(text if params is None else connection.ops.compose_sql(text, params))
        return execute(statement, params)

    editor.execute = keeping


def _records_sql(migration: Migration) -> str:
    """Record `migration` as applied the way Django's executor does (a squashed one as what it replaces)."""
    names = migration.replaces or [(migration.app_label, migration.name)]
    rows = sql.SQL(", ").join(
        sql.SQL("({}, {}, now())").format(sql.Literal(app), sql.Literal(name)) for app, name in names
    )
    return sql.SQL("INSERT INTO django_migrations (app, name, applied) VALUES {}").format(rows).as_string(None)


class _Unlike(Exception):
    pass


def _replay(schema: str, statements: str, target: Shape) -> bool:
    """Run the kept statements in `schema`, in one transaction that commits only if `schema` then looks like the
    template (a schema that differed before may not come out as Django would have made it; a schema renamed away
    meanwhile would have them run in public). False, and nothing done, otherwise."""
    try:
        with schema_context(schema), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statements)
            if target.of(schema) != target.digest:
                raise _Unlike
    except (DatabaseError, _Unlike):
        return False
    return True


def _groups(schemas: list[str], batch: int = 250) -> dict[frozenset, list[str]]:
    """`schemas` by the migrations they have recorded, in one query per `batch` schemas (those with no records
    table are left out)."""
    groups = defaultdict(list)
    recorded = schemas_with_records(schemas)
    schemas = [schema for schema in schemas if schema in recorded]
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), batch):
            chunk = schemas[start : start + batch]
            parts = [
                f"SELECT %s, array_agg(app || '.' || name) FROM \"{schema}\".django_migrations" for schema in chunk
            ]
            cursor.execute(" UNION ALL ".join(parts), chunk)
            for schema, records in cursor.fetchall():
                groups[frozenset(records or ())].append(schema)
    return groups


def schema_shape(schema: str) -> dict[str, set]:
    """What a migration can change in `schema`: its tables' columns, constraints and indexes, with its own name
    left out so that two schemas compare."""
    shape = {"columns": set(), "constraints": set(), "indexes": set()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(relname) FROM pg_class WHERE relnamespace = to_regnamespace(%s) AND relkind = 'r'",
            [schema],
        )
        tables = cursor.fetchone()[0] or []
        cursor.execute(_SHAPE, {"tables": tables, "schema": schema, "prefix": f"{schema}."})
        for part, *row in cursor.fetchall():
            shape[part].add(tuple(value for value in row if value is not None))
    return shape
