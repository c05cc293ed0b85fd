"""Entry point of scripts/bench: one subcommand per measurement, each printing a table; --json FILE also writes
the figures as a JSON list (common.record)."""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SUBCOMMANDS = [
    "provision",
    "directory",
    "availability",
    "booking",
    "my-appointments",
    "migrate",
    "soak",
    "reminders",
    "waitlist",
    "search",
    "streams",
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("what", choices=[*SUBCOMMANDS, "all"])
    parser.add_argument("--quick", action="store_true", help="smaller data set, for a smoke run")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE (docs/benchmarks.md)")
    parser.add_argument("--pooler", action="store_true", help="serve through PgBouncer (session mode) on :6432")
    args = parser.parse_args()
    if args.pooler:
        os.environ["BENCH_POOLER"] = "1"
    chosen = SUBCOMMANDS if args.what == "all" else [args.what]
    try:
        for name in chosen:
            module = __import__(f"scripts.benchmarks.{name.replace('-', '_')}", fromlist=["run"])
            module.run(quick=args.quick)
    finally:
        if args.json:
            _write_figures(args.json)


def _write_figures(path: str) -> None:
    """What was measured, also when a subcommand failed part-way."""
    from scripts.benchmarks.common import write_json
    from scripts.benchmarks.dataset import record_build

    record_build()
    write_json(path)
    print(f"figures written to {path}", flush=True)


if __name__ == "__main__":
    main()
