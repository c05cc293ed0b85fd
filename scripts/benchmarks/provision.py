"""scripts/bench provision: median time to approve a hospital with 10 and with 200 hospitals already present —
claiming a pooled clone (the normal path), cloning the template on the spot (pool empty), and running migrations.

Each approval is the real service (row lock, schema, domain, admin user, membership, audit, invitation) in its own
transaction, as the superadmin's request runs it.
"""

from scripts.benchmarks.common import median, p95, recreate_database, table, timer, use_database

DATABASE = "rhms_bench_provision"


def run(*, quick: bool = False) -> None:
    recreate_database(DATABASE)
    use_database(DATABASE)
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)
    call_command("setup_platform", verbosity=0)

    sizes = (10, 50) if quick else (10, 200)
    samples = 5 if quick else 15
    rows, by_size = [], {}
    for size in sizes:
        _grow_to(size)
        pooled = _approvals(samples, mode="pool")
        clone = _approvals(samples, mode="clone")
        migrate = _approvals(max(3, samples // 3), mode="migrations")
        by_size[size] = (median(pooled), median(clone), median(migrate))
        rows.append(
            [size, median(pooled), p95(pooled), median(clone), median(migrate), median(migrate) / median(clone)]
        )
    table(
        "provision: approving one hospital (seconds)",
        ["hospitals before", "pooled median", "pooled p95", "clone median", "migrations median", "migrations/clone"],
        rows,
    )
    small, large = sizes
    for label, index in (("pooled clone", 0), ("clone on the spot", 1), ("migrations", 2)):
        ratio = by_size[large][index] / by_size[small][index]
        print(f"{label}: median at {large} vs {small} hospitals = {ratio:.2f}x")
    print("targets: approval <= 0.300 s median, <= 1.25x from 10 to 200 hospitals (approval claims a pooled clone)")


def _superadmin():
    from shared_apps.accounts.models import Role, User

    user, _ = User.objects.get_or_create(
        email="bench-root@example.com", defaults={"role": Role.SUPERADMIN, "is_superuser": True, "is_staff": True}
    )
    return user


_counter = iter(range(1, 10**9))


def _pending():
    from shared_apps.hospitals.services import hospital_register

    n = next(_counter)
    return hospital_register(
        actor=None,
        name=f"Bench Hospital {n}",
        registration_number=f"BENCH-{n}",
        email=f"admin{n}@bench.example.com",
        address="1 Bench Street",
        phone_number="+14155550100",
        city="Benchville",
        subdomain=f"bench-{n}",
    )


def _approved_count() -> int:
    from shared_apps.hospitals.models import Hospital

    return Hospital.objects.approved().count()


def _grow_to(size: int) -> None:
    from shared_apps.hospitals.services import hospital_approve

    actor = _superadmin()
    while _approved_count() < size:
        hospital_approve(actor=actor, hospital=_pending())


def _approvals(count: int, *, mode: str) -> list[float]:
    """Time `count` approvals. mode: "pool" (a clone is ready), "clone" (pool empty), "migrations"."""
    from django.test.utils import override_settings

    from shared_apps.hospitals.services import hospital_approve
    from shared_apps.hospitals.tenancy import schema_pool_fill

    actor, timings = _superadmin(), []
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=mode != "migrations"):
        for _ in range(count):
            if mode == "pool":
                schema_pool_fill(1)  # what the refill task does after each approval, off the request path
            hospital = _pending()
            with timer(timings):
                hospital_approve(actor=actor, hospital=hospital)
    return timings
