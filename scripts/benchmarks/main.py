"""Entry point of scripts/bench: one subcommand per measurement, each printing a table; --json FILE also writes
the figures as a JSON list (common.record). `all` runs each subcommand in a process of its own, as if run alone."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
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
    failed = []
    try:
        if args.what == "all":
            failed = [name for name in SUBCOMMANDS if not _run_alone(name, quick=args.quick)]
        else:
            module = __import__(f"scripts.benchmarks.{args.what.replace('-', '_')}", fromlist=["run"])
            module.run(quick=args.quick)
    finally:
        if args.json:
            _write_figures(args.json)
    if failed:
        sys.exit(f"failed: {', '.join(failed)} (the others ran; their figures are kept)")


def _run_alone(name: str, *, quick: bool) -> bool:
    """One subcommand of `all` in its own process: Django in a process uses one database, and these use several
    (use_database). Its figures join this run's; whether it succeeded."""
    from scripts.benchmarks.common import FIGURES, figure_name
    from scripts.benchmarks.dataset import note_build

    with tempfile.TemporaryDirectory() as folder:
        figures = Path(folder) / "figures.json"
        command = [sys.executable, __file__, name, "--json", str(figures), *(["--quick"] if quick else [])]
        succeeded = subprocess.run(command, check=False).returncode == 0
        for figure in json.loads(figures.read_text()) if figures.exists() else []:
            if figure["name"] == figure_name("dataset_build_s"):
                note_build(figure["value"])  # summed over the subcommands, written once at the end
            else:
                FIGURES.append(figure)
    if not succeeded:
        print(f"scripts/bench {name} failed; going on with the next subcommand", flush=True)
    return succeeded


def _write_figures(path: str) -> None:
    """What was measured, also when a subcommand failed part-way."""
    from scripts.benchmarks.common import write_json
    from scripts.benchmarks.dataset import record_build

    record_build()
    write_json(path)
    print(f"figures written to {path}", flush=True)


if __name__ == "__main__":
    main()
