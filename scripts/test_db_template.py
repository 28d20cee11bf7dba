"""Drop and create an empty PostgreSQL database beside the test database (Makefile test-postgres).

    python scripts/test_db_template.py postgres://user@host:port/db NAME

The Makefile then migrates it once and every per-file concurrency run clones
it as its test database (CREATE DATABASE … TEMPLATE NAME).
"""

import sys

import psycopg
from psycopg import sql


def main() -> None:
    url, name = sys.argv[1], sys.argv[2]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
