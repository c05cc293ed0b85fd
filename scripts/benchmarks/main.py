"""Entry point of scripts/bench: one subcommand per measurement, each printing a table."""

import argparse
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
    args = parser.parse_args()
    chosen = SUBCOMMANDS if args.what == "all" else [args.what]
    for name in chosen:
        module = __import__(f"scripts.benchmarks.{name.replace('-', '_')}", fromlist=["run"])
        module.run(quick=args.quick)


if __name__ == "__main__":
    main()
