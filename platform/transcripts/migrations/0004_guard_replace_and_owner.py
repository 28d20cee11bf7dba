"""Close two ways around the append-only triggers (see transcripts.guard).

SQLite: refuse REPLACE INTO / INSERT OR REPLACE over an existing ledger row.
PostgreSQL: the maintenance setting opens the guard only for the tables'
owner or the maintenance role, not for any role that can write them.
"""

from django.db import migrations

from shixun.transcripts import guard


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = guard.sqlite_no_replace_sql()
    elif vendor == "postgresql":
        statements = [guard.postgresql_function_sql()]
    else:
        raise RuntimeError(f"No append-only triggers for database vendor {vendor!r}")
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    # PostgreSQL keeps the stricter function: loosening a guard is not a rollback worth having.
    if schema_editor.connection.vendor == "sqlite":
        for statement in guard.sqlite_no_replace_drop_sql():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("shixun_transcripts", "0003_certificate_pdf")]

    operations = [migrations.RunPython(forwards, backwards)]
