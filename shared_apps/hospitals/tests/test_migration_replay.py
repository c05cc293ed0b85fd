"""Pending tenant migrations are worked out on one schema and replayed on the others (tenancy/replay.py).

Each test takes hospitals back to an earlier migration with Django's own executor (real DDL, undone with the test's
transaction), so what is replayed is a real migration: appointments 0004 and waitlist 0001 drop and re-create
exclusion and check constraints, add a column, alter one and create a table with foreign keys.
"""

import uuid

import pytest
from django.core.management import call_command
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor

from shared_apps.hospitals.tenancy import TEMPLATE_SCHEMA, hospital_context, schema_shape, template_missing_migrations
from shared_apps.hospitals.tenancy import replay as replay_module
from shared_apps.hospitals.tenancy.replay import _replayable, migrations_replay

pytestmark = pytest.mark.django_db

PENDING = ["appointments.0004_holds", "waitlist.0001_initial"]


def _take_back(*hospitals) -> None:
    """Unapply PENDING in each hospital's schema, as a deploy of the new code would find it."""
    for hospital in hospitals:
        with hospital_context(hospital):
            MigrationExecutor(connection).migrate([("appointments", "0003_lifecycle"), ("waitlist", None)])
        assert template_missing_migrations(hospital.schema_name, tenant_only=True) == PENDING
        assert schema_shape(hospital.schema_name) != schema_shape(TEMPLATE_SCHEMA)


@pytest.fixture
def planned(monkeypatch) -> list[str]:
    """The schemas a migration plan was worked out in (Django's executor built there)."""
    schemas = []

    class Recording(MigrationExecutor):
        def __init__(self, *args, **kwargs):
            schemas.append(connection.schema_name)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(replay_module, "MigrationExecutor", Recording)
    return schemas


def test_the_plan_is_worked_out_once_and_every_schema_comes_out_like_the_template(alpha, beta, planned):
    _take_back(alpha, beta)

    left = migrations_replay([alpha.schema_name, beta.schema_name], template=TEMPLATE_SCHEMA, verbosity=0)

    assert left == []
    assert planned == [alpha.schema_name]  # beta ran alpha's statements
    for hospital in (alpha, beta):
        assert template_missing_migrations(hospital.schema_name, tenant_only=True) == []
        assert schema_shape(hospital.schema_name) == schema_shape(TEMPLATE_SCHEMA)


def test_migrate_schemas_replays_the_pending_migrations(alpha, beta, planned):
    _take_back(beta)

    call_command("migrate_schemas", "--tenant", verbosity=0)

    assert planned == [beta.schema_name]
    assert template_missing_migrations(beta.schema_name, tenant_only=True) == []
    assert schema_shape(beta.schema_name) == schema_shape(TEMPLATE_SCHEMA)


def test_a_first_schema_unlike_the_template_leaves_the_others_to_django_tenants(alpha, beta):
    _take_back(alpha, beta)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX template_only_idx ON {TEMPLATE_SCHEMA}.appointments_appointment (reason)")

    left = migrations_replay([alpha.schema_name, beta.schema_name], template=TEMPLATE_SCHEMA, verbosity=0)

    assert left == [beta.schema_name]
    assert template_missing_migrations(alpha.schema_name, tenant_only=True) == []  # migrated by Django's operations
    assert template_missing_migrations(beta.schema_name, tenant_only=True) == PENDING  # untouched


def test_a_schema_unlike_the_first_is_rolled_back_and_left_to_django_tenants(alpha, beta):
    _take_back(alpha, beta)
    with connection.cursor() as cursor:  # a hand-made index: Django's executor would not leave it as it is either
        cursor.execute(f"CREATE INDEX hotfix_idx ON {beta.schema_name}.appointments_appointment (reason)")
    before = schema_shape(beta.schema_name)

    left = migrations_replay([alpha.schema_name, beta.schema_name], template=TEMPLATE_SCHEMA, verbosity=0)

    assert left == [beta.schema_name]
    assert schema_shape(beta.schema_name) == before
    assert template_missing_migrations(beta.schema_name, tenant_only=True) == PENDING


def test_a_schema_gone_before_its_turn_is_neither_migrated_nor_handed_on(alpha, beta, monkeypatch):
    _take_back(alpha, beta)
    replay_group = replay_module._replay_group

    def claimed_meanwhile(group, target):  # an approval renames the pooled clone after the grouping
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER SCHEMA {beta.schema_name} RENAME TO claimed_meanwhile")
        return replay_group(group, target)

    monkeypatch.setattr(replay_module, "_replay_group", claimed_meanwhile)

    left = migrations_replay([alpha.schema_name, beta.schema_name], template=TEMPLATE_SCHEMA, verbosity=0)

    assert left == []
    assert template_missing_migrations("claimed_meanwhile", tenant_only=True) == PENDING
    with connection.cursor() as cursor:  # nothing of it ran in public
        cursor.execute("SELECT to_regclass('public.waitlist_waitlistentry')")
        assert cursor.fetchone()[0] is None


def test_statements_naming_the_first_schema_are_not_replayed(alpha, beta, monkeypatch):
    statements = f"CREATE INDEX probe_idx ON {alpha.schema_name}.doctors_doctor (name)"
    monkeypatch.setattr(replay_module, "_migrate_first", lambda schema: statements)

    replayed = replay_module._replay_group([alpha.schema_name, beta.schema_name], replay_module.Shape(TEMPLATE_SCHEMA))

    assert replayed == {alpha.schema_name}
    assert not any("probe_idx" in row for row in schema_shape(beta.schema_name)["indexes"])


def test_a_schema_that_refuses_the_replay_is_left_as_it_was(alpha, beta):
    _take_back(alpha, beta)
    with connection.cursor() as cursor:  # the column the first statement adds: beta's replay fails part-way
        cursor.execute(f"ALTER TABLE {beta.schema_name}.appointments_appointment ADD COLUMN hold_expires_at date")
    before = schema_shape(beta.schema_name)

    left = migrations_replay([alpha.schema_name, beta.schema_name], template=TEMPLATE_SCHEMA, verbosity=0)

    assert left == [beta.schema_name]
    assert schema_shape(beta.schema_name) == before
    assert template_missing_migrations(beta.schema_name, tenant_only=True) == PENDING
    assert schema_shape(alpha.schema_name) == schema_shape(TEMPLATE_SCHEMA)


class ProjectOperation(migrations.RunSQL):
    """An operation of our own: it may reach the database other than through the schema editor."""


def _migration(app_label: str, *operations, atomic: bool = True, replaces=()) -> migrations.Migration:
    migration = migrations.Migration("0099_probe", app_label)
    migration.operations, migration.atomic, migration.replaces = list(operations), atomic, list(replaces)
    return migration


def _noop(apps, schema_editor):
    pass


@pytest.mark.parametrize(
    ("migration", "replayable"),
    [
        (_migration("doctors", migrations.RunSQL("SELECT 1")), True),
        (_migration("doctors", migrations.RunPython(_noop)), False),
        (_migration("accounts", migrations.RunPython(_noop)), True),  # a shared app: never runs in a hospital
        (_migration("doctors", ProjectOperation("SELECT 1")), False),
        (_migration("doctors", migrations.SeparateDatabaseAndState([migrations.RunPython(_noop)])), False),
        (_migration("doctors", migrations.RunSQL("SELECT 1"), atomic=False), False),
        (_migration("doctors", migrations.RunSQL("SELECT 1"), replaces=[("doctors", "0001_initial")]), False),
        (_migration("doctors", migrations.AddField("doctor", "code", models.UUIDField(default=uuid.uuid4))), False),
        (_migration("doctors", migrations.AddField("doctor", "code", models.CharField(default="x"))), True),
    ],
    ids=[
        "sql",
        "python",
        "python-in-shared-app",
        "custom",
        "python-inside-separate",
        "non-atomic",
        "squashed",
        "default-computed-in-python",
        "constant-default",
    ],  # fmt: skip
)
def test_only_plans_that_reduce_to_the_schema_editors_sql_are_replayed(alpha, migration, replayable):
    with hospital_context(alpha):
        assert _replayable(migration, False) is replayable
        assert _replayable(migration, True) is False  # never backwards
