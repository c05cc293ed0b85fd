"""The only package that switches PostgreSQL schema.

- `hospital_context(hospital)`: run code inside one hospital's schema.
- `public_context()`: run code in the public schema (e.g. from a task that started in a hospital's).
- `resolve_hospital(request)`: the hospital whose subdomain served the request, or None on the platform host.
- `for_each_hospital()`: visit every approved hospital's schema in turn (maintenance commands only).
- `HospitalMiddleware`: routes `<slug>.<BASE_DOMAIN>` to an approved hospital's schema, 404 otherwise.
- `provision_schema(hospital)`: create a hospital's schema: claim a pooled clone of the template, or clone it now.
- `schema_pool_fill(size)`: clone the template ahead of time so that approvals only rename a schema.
- `migration_executor`: makes `migrate_schemas` keep the template current, skip unprovisioned hospitals and current
  schemas, and replay pending migrations worked out once on the other schemas.
- `schema_shape(schema)`: a schema's columns, constraints and indexes, comparable with another schema's.

Modules: context.py (schema switching), routing.py (the middleware), provisioning.py (template clones and the
pool), snapshot.py (the template captured as SQL), executor.py (the migration executor), replay.py (pending
migrations replayed). Import from the package: its names are the interface.

Ruff's banned-API rule (TID251) forbids django-tenants' schema helpers everywhere else.
"""

from shared_apps.hospitals.tenancy.context import (
    for_each_hospital,
    hospital_context,
    public_context,
    resolve_hospital,
    use_public_schema,
)
from shared_apps.hospitals.tenancy.executor import (
    _plain_migrate,
    _schemas_behind,
    _schemas_to_migrate,
    migration_executor,
)
from shared_apps.hospitals.tenancy.provisioning import (
    POOL_PREFIX,
    TEMPLATE_SCHEMA,
    TemplateOutdated,
    provision_schema,
    schema_pool_fill,
    template_missing_migrations,
)
from shared_apps.hospitals.tenancy.replay import schema_shape
from shared_apps.hospitals.tenancy.routing import HospitalMiddleware

__all__ = [
    "POOL_PREFIX",
    "TEMPLATE_SCHEMA",
    "HospitalMiddleware",
    "TemplateOutdated",
    "_plain_migrate",
    "_schemas_behind",
    "_schemas_to_migrate",
    "for_each_hospital",
    "hospital_context",
    "migration_executor",
    "provision_schema",
    "public_context",
    "resolve_hospital",
    "schema_pool_fill",
    "schema_shape",
    "template_missing_migrations",
    "use_public_schema",
]
