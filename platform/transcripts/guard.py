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

Two further ways around the rule are closed here as well:

- SQLite's `REPLACE` / `INSERT OR REPLACE` resolves a unique conflict by
  deleting the old row without firing DELETE triggers (unless
  recursive_triggers is on), so a BEFORE INSERT trigger refuses any insert
  that would meet an existing row on one of the tables' unique keys
  (`UNIQUE_KEYS`; a test keeps it in step with the models).
- On PostgreSQL anyone may set a custom setting, so the setting alone opens
  nothing: the role must also own the table or belong to
  `MAINTENANCE_ROLE` (see the README's production roles).
"""

from contextlib import contextmanager

GUARDED_TABLES = ["shixun_transcripts_ledgerentry", "shixun_transcripts_creditauditevent"]
MESSAGE = "shixun: credit ledger rows are append-only; post a reversal instead"
SQLITE_FUNCTION = "shixun_ledger_locked"
PG_SETTING = "shixun.ledger_maintenance"
MAINTENANCE_ROLE = "shixun_ledger_maintenance"

# Every unique key of the guarded tables (columns), primary key included.
UNIQUE_KEYS = {
    "shixun_transcripts_ledgerentry": [
        ("id",),
        ("source_kind", "source_ref"),
        ("module_completion_id",),
        ("course_completion_id",),
        ("reverses_id",),
    ],
    "shixun_transcripts_creditauditevent": [("id",)],
}


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


def sqlite_no_replace_sql() -> list[str]:
    """BEFORE INSERT triggers refusing an insert that would replace a row (REPLACE INTO)."""
    statements = []
    for table, keys in UNIQUE_KEYS.items():
        clash = " OR ".join("(" + " AND ".join(f"{column} = NEW.{column}" for column in key) + ")" for key in keys)
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "  # noqa: S608 - constants
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )
    return statements


def sqlite_no_replace_drop_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_replace;" for table in UNIQUE_KEYS]


def postgresql_function_sql() -> str:
    """The trigger function: maintenance needs the setting AND the table owner's (or maintenance) role.

    Any role may set a custom setting, so the setting only says "I mean it";
    the role check says who may. SECURITY INVOKER (the default) makes
    current_user the role running the statement.
    """
    return f"""
        CREATE OR REPLACE FUNCTION shixun_refuse_ledger_change() RETURNS trigger AS $$
        DECLARE
            allowed boolean := false;
        BEGIN
            IF coalesce(current_setting('{PG_SETTING}', true), '') = 'on' THEN
                allowed := pg_has_role(
                    current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'
                );
                IF NOT allowed AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{MAINTENANCE_ROLE}') THEN
                    allowed := pg_has_role(current_user, '{MAINTENANCE_ROLE}', 'MEMBER');
                END IF;
            END IF;
            IF allowed THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$ LANGUAGE plpgsql;
        """  # noqa: S608 - constants


def postgresql_create_sql() -> list[str]:
    statements = [postgresql_function_sql()]
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
