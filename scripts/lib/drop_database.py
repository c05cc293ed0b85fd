"""Drop a database on the local PostgreSQL (127.0.0.1:5432) even while a pooler holds connections to it.

python scripts/lib/drop_database.py NAME
"""

import sys

import psycopg
from psycopg import sql


def main(name: str) -> None:
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main(sys.argv[1])
