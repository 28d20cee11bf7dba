"""The database's own refusal to change or delete ledger rows.

`QuerySet.update()`, `QuerySet.delete()` and raw SQL bypass model methods, so
the append-only rule is enforced by triggers on the ledger and its audit
table (created by migration 0002 for SQLite and PostgreSQL).

The one sanctioned exception is wiping the whole database (`manage.py flush`,
which the test runner uses between transactional tests): our `flush` command
opens `ledger_maintenance()` for its duration. On PostgreSQL that sets a
session variable the trigger function reads; on SQLite the triggers call a
function that only Django connections have, which answers from a flag on the
connection. A plain `sqlite3` shell lacks that function, so there every
UPDATE or DELETE fails too.
"""

from contextlib import contextmanager

GUARDED_TABLES = ["shixun_transcripts_ledgerentry", "shixun_transcripts_creditauditevent"]
MESSAGE = "shixun: credit ledger rows are append-only; post a reversal instead"
SQLITE_FUNCTION = "shixun_ledger_locked"
PG_SETTING = "shixun.ledger_maintenance"


def sqlite_create_sql() -> list[str]:
    statements = []
    for table in GUARDED_TABLES:
        for operation in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"WHEN {SQLITE_FUNCTION}() BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            )
    return statements


def sqlite_drop_sql() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_{operation};"
        for table in GUARDED_TABLES
        for operation in ("update", "delete")
    ]


def postgresql_create_sql() -> list[str]:
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION shixun_refuse_ledger_change() RETURNS trigger AS $$
        BEGIN
            IF coalesce(current_setting('{PG_SETTING}', true), '') = 'on' THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$ LANGUAGE plpgsql;
        """
    ]
    for table in GUARDED_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION shixun_refuse_ledger_change();"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION shixun_refuse_ledger_change();"
        )
    return statements


def postgresql_drop_sql() -> list[str]:
    statements = []
    for table in GUARDED_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    statements.append("DROP FUNCTION IF EXISTS shixun_refuse_ledger_change();")
    return statements


def install_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created receiver: give Django's SQLite connections the guard function."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        SQLITE_FUNCTION, 0, lambda: 0 if getattr(connection, "shixun_ledger_maintenance", False) else 1
    )


@contextmanager
def ledger_maintenance(connection):
    """Allow wiping ledger rows on this connection only, for the duration (database flush)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [PG_SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', false)", [PG_SETTING])
    else:
        connection.ensure_connection()
        connection.shixun_ledger_maintenance = True
        try:
            yield
        finally:
            connection.shixun_ledger_maintenance = False
