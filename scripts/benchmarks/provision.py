"""scripts/bench provision: median time to approve a hospital with 10, 200 and 1,000 hospitals already present —
claiming a pooled clone (the normal path), cloning the template on the spot (pool empty), and running migrations.

Each approval is the real service (row lock, schema, domain, admin user, membership, audit, invitation) in its own
transaction, as the superadmin's request runs it.
"""

from scripts.benchmarks.common import (
    DATABASE_PREFIX,
    analyze,
    median,
    p95,
    python_output,
    record,
    recreate_database,
    table,
    timer,
    use_database,
)
from scripts.benchmarks.dataset import note_build

DATABASE = f"{DATABASE_PREFIX}_provision"


def run(*, quick: bool = False) -> None:
    """10 and 200 hospitals in a fresh database; then the benchmark data set (1,000 hospitals; 100 with --quick),
    built or reused as every other benchmark does, in its own process."""
    from scripts.benchmarks.dataset import DATABASE as LARGE

    sizes = (10, 50) if quick else (10, 200)
    samples = 5 if quick else 15
    points = [_point(DATABASE, size, samples, fresh=(size == sizes[0])) for size in sizes]
    points.append(_point(LARGE, 100 if quick else 1000, samples, fresh=False))
    rows = [
        [p["size"], p["pool"], p["pool_p95"], p["clone"], p["migrations"], p["migrations"] / p["clone"]] for p in points
    ]
    table(
        "provision: approving one hospital (seconds)",
        ["hospitals before", "pooled median", "pooled p95", "clone median", "migrations median", "migrations/clone"],
        rows,
    )
    first = points[0]
    for point in points[1:]:
        print(
            f"at {point['size']} vs {first['size']} hospitals: pooled {point['pool'] / first['pool']:.2f}x, "
            f"clone {point['clone'] / first['clone']:.2f}x, migrations {point['migrations'] / first['migrations']:.2f}x"
        )
    print("targets: approval <= 0.300 s median, <= 1.25x from 10 to 1,000 hospitals (approval claims a pooled clone)")
    _record(first, points[-1])


def _record(first: dict, last: dict) -> None:
    """The first point (10 hospitals) and the data set's (1,000; 100 with --quick), named _10 and _1000."""
    record("provision_largest_hospitals", last["size"], "count")
    record("provision_pooled_median_s", last["pool"], "s")
    record("provision_pooled_p95_s", last["pool_p95"], "s")
    record("provision_pooled_median_s_10", first["pool"], "s")
    record("provision_pooled_growth_1000_vs_10", last["pool"] / first["pool"], "ratio")
    record("clone_median_s_1000", last["clone"], "s")
    record("provision_clone_median_s_10", first["clone"], "s")
    record("provision_clone_growth_1000_vs_10", last["clone"] / first["clone"], "ratio")
    record("provision_migrations_median_s_1000", last["migrations"], "s")


def _point(database: str, size: int, samples: int, *, fresh: bool) -> dict:
    code = f"from scripts.benchmarks.provision import measure; measure({database!r}, {size}, {samples}, {fresh})"
    output = python_output(code)
    *notes, last = output.strip().splitlines()
    print(*notes, sep="\n", flush=True)  # building the data set, ANALYZE
    point = eval(last)  # noqa: S307 - our own subprocess's repr
    if "dataset_build_s" in point:
        note_build(point.pop("dataset_build_s"))
    return point


def measure(database: str, size: int, samples: int, fresh: bool) -> None:
    from scripts.benchmarks.dataset import DATABASE as LARGE
    from scripts.benchmarks.dataset import open_dataset

    built = {}
    if database == LARGE:
        # builds it on a fresh machine, else reuses it; its seconds go back to the parent's dataset_build_s
        built["dataset_build_s"] = open_dataset(hospitals=size, doctors_per_hospital=20)
    else:
        if fresh:
            recreate_database(database)
        use_database(database)
        from django.core.management import call_command

        call_command("migrate_schemas", interactive=False, verbosity=0)
        call_command("setup_platform", verbosity=0)
        _grow_to(size)
        analyze()
    size = _approved_count()
    pooled = _approvals(samples, mode="pool")
    clone = _approvals(samples, mode="clone")
    migrate = _approvals(max(3, samples // 3), mode="migrations")
    print(
        repr(
            {
                "size": size,
                "pool": median(pooled),
                "pool_p95": p95(pooled),
                "clone": median(clone),
                "migrations": median(migrate),
                **built,
            }
        )
    )


def _superadmin():
    from shared_apps.accounts.models import Role, User

    user, _ = User.objects.get_or_create(
        email="bench-root@example.com", defaults={"role": Role.SUPERADMIN, "is_superuser": True, "is_staff": True}
    )
    return user


def _pending():
    import uuid

    from shared_apps.hospitals.services import hospital_register

    n = uuid.uuid4().hex[:10]
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
