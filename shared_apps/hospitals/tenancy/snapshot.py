"""The template schema captured as SQL once per set of migrations, and replayed to make a new schema.

`clone_schema` (django-tenants) works out every table's DDL from the catalog on each call, so making a schema slows
as hospitals are added (0.28 s at 10 hospitals, 1.83 s at 1,000 on a busy machine). What it works out does not
change between migrations, so `migrate_schemas` works it out once: a `CREATE TABLE … (LIKE <template>.<table>
INCLUDING ALL)` per table (PostgreSQL copies columns, defaults, identity, checks, indexes and exclusion constraints
from the parse trees, so every expression comes out exactly as migrated), the renames that give the copied indexes
and constraints the template's names (worked out by a trial run that is rolled back), the foreign keys, and the
copy of the template's rows (its migration records). Replaying it touches only the new schema's and the template's
own catalog rows: it costs the same at 10 or 10,000 hospitals.

A template holding anything else (a view, a function, a trigger, a sequence of its own) is not captured, and
provisioning falls back to `clone_schema`.
"""

import hashlib
import re

from django.db import connection, transaction

from shared_apps.hospitals.models import TemplateSnapshot

PLACEHOLDER = "rhms_schema_placeholder__"
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_TRIAL = "rhms_snapshot_trial"
_cache: dict[str, str] = {}

_UNSUPPORTED = """
    SELECT
        (SELECT count(*) FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('r', 'i', 'S'))
      + (SELECT count(*) FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind = 'S'
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i'))
      + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = %(ns)s)
      + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype NOT IN ('c', 'b'))
      + (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
           WHERE c.relnamespace = %(ns)s AND NOT g.tgisinternal)
      + (SELECT count(*) FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND c.relispartition)
"""
_INDEXES = """
    SELECT t.relname, i.relname, pg_get_indexdef(i.oid), con.oid IS NOT NULL
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.conrelid = t.oid
    WHERE t.relnamespace = to_regnamespace(%s)
"""


def migrations_key() -> str:
    from shared_apps.hospitals.tenancy.provisioning import _code_migrations

    names = "\n".join(sorted(f"{app}.{name}" for app, name in _code_migrations()))
    return hashlib.sha256(names.encode()).hexdigest()


def snapshot_statements(template: str) -> str | None:
    """The SQL that makes a schema like `template` (whose migrations are complete), with PLACEHOLDER for its name:
    from this process's memory, the database, or captured now. None when the template cannot be captured."""
    key = migrations_key()
    if key in _cache:
        return _cache[key]
    statements = TemplateSnapshot.objects.filter(migrations_key=key).values_list("statements", flat=True).first()
    if statements is None:
        statements = snapshot_take(template, key=key)
    if statements is not None:
        _cache[key] = statements
    return statements


@transaction.atomic
def snapshot_take(template: str, *, key: str | None = None) -> str | None:
    """Work out the SQL that makes a copy of `template` and keep it as the snapshot of the code's migrations (the
    only one kept). None when the template holds objects the snapshot does not copy."""
    key = key or migrations_key()
    statements = _statements(template)
    if statements is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM hospitals_templatesnapshot WHERE migrations_key <> %s", [key])
        cursor.execute(
            "INSERT INTO hospitals_templatesnapshot (migrations_key, statements, captured_at) VALUES (%s, %s, now()) "
            "ON CONFLICT (migrations_key) DO UPDATE SET statements = EXCLUDED.statements, captured_at = now()",
            [key, statements],
        )
    _cache.clear()
    _cache[key] = statements
    return statements


def schema_make(schema: str, statements: str) -> None:
    """Create `schema` by replaying the snapshot (inside the caller's transaction)."""
    if not SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"not a schema name this platform makes: {schema!r}")
    with connection.cursor() as cursor:
        cursor.execute(statements.replace(PLACEHOLDER, schema))


def _statements(template: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regnamespace(%s)::oid", [template])
        namespace = cursor.fetchone()[0]
        cursor.execute(_UNSUPPORTED, {"ns": namespace})
        if namespace is None or cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = %s AND relkind = 'r' ORDER BY 1", [namespace])
        tables = [row[0] for row in cursor.fetchall()]
        creates = [f'CREATE TABLE {PLACEHOLDER}."{t}" (LIKE "{template}"."{t}" INCLUDING ALL);' for t in tables]
        renames = _renames(cursor, template, creates)
        if renames is None:
            return None
        foreign_keys = _foreign_keys(cursor, namespace, template)
        rows = _row_copies(cursor, namespace, template, tables)
    return "\n".join([f"CREATE SCHEMA {PLACEHOLDER};", *creates, *renames, *foreign_keys, *rows])


def _renames(cursor, template: str, creates: list[str]) -> list[str] | None:
    """LIKE … INCLUDING ALL names the copied indexes and constraints as PostgreSQL chooses: make the copies in a
    trial schema (rolled back), pair each index with the template's of the same definition, rename to its name."""
    with transaction.atomic():
        cursor.execute(f"CREATE SCHEMA {_TRIAL}")
        cursor.execute("\n".join(create.replace(PLACEHOLDER, _TRIAL) for create in creates))
        cursor.execute(_INDEXES, [_TRIAL])
        made = cursor.fetchall()
        transaction.set_rollback(True)
    cursor.execute(_INDEXES, [template])
    wanted = {(table, _unnamed(definition)): name for table, name, definition, _ in cursor.fetchall()}
    if len(wanted) != len(made):
        return None
    first, second = [], []
    for number, (table, name, definition, is_constraint) in enumerate(made):
        target = wanted.get((table, _unnamed(definition)))
        if target is None:
            return None
        if target == name:
            continue
        interim = f"rhms_rename_{number}"  # two steps: a chosen name may be another index's wanted one
        first.append(_rename(table, name, interim, is_constraint))
        second.append(_rename(table, interim, target, is_constraint))
    return first + second


def _unnamed(definition: str) -> str:
    """An index's definition without its name and schema: `CREATE UNIQUE INDEX ON t USING btree (a)`."""
    return re.sub(r"INDEX \S+ ON \S+\.", "INDEX ON ", definition, count=1)


def _rename(table: str, current: str, wanted: str, is_constraint: bool) -> str:
    if is_constraint:  # renames its index too
        return f'ALTER TABLE {PLACEHOLDER}."{table}" RENAME CONSTRAINT "{current}" TO "{wanted}";'
    return f'ALTER INDEX {PLACEHOLDER}."{current}" RENAME TO "{wanted}";'


def _foreign_keys(cursor, namespace: int, template: str) -> list[str]:
    """The template's foreign keys (LIKE copies none), each referring to the copy's tables or to public's."""
    cursor.execute("SELECT current_setting('search_path')")
    search_path = cursor.fetchone()[0]
    cursor.execute("SET LOCAL search_path TO pg_catalog")  # every referenced table comes out schema-qualified
    cursor.execute(
        """
        SELECT t.relname, con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
        WHERE t.relnamespace = %s AND con.contype = 'f' ORDER BY 1, 2
        """,
        [namespace],
    )
    keys = cursor.fetchall()
    cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
    return [
        f'ALTER TABLE {PLACEHOLDER}."{table}" ADD CONSTRAINT "{name}" '
        + definition.replace(f"REFERENCES {template}.", f"REFERENCES {PLACEHOLDER}.")
        + ";"
        for table, name, definition in keys
    ]


def _row_copies(cursor, namespace: int, template: str, tables: list[str]) -> list[str]:
    """The template's rows (its migration records), and identity sequences moved past them."""
    copies = []
    for table in tables:
        cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{template}"."{table}")')
        if not cursor.fetchone()[0]:
            continue
        copies.append(f'INSERT INTO {PLACEHOLDER}."{table}" SELECT * FROM "{template}"."{table}";')
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> '' AND NOT attisdropped",
            [f'"{template}"."{table}"'],
        )
        for (column,) in cursor.fetchall():
            copies.append(
                f"SELECT setval(pg_get_serial_sequence('{PLACEHOLDER}.\"{table}\"', '{column}'), "
                f'(SELECT max("{column}") FROM {PLACEHOLDER}."{table}"));'
            )
    return copies
