"""Database triggers that refuse UPDATE and DELETE on the credit ledger (see transcripts.guard)."""

from django.db import migrations

from shixun.transcripts import guard


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = guard.sqlite_create_sql()
    elif vendor == "postgresql":
        statements = guard.postgresql_create_sql()
    else:
        raise RuntimeError(f"No append-only triggers for database vendor {vendor!r}")
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = guard.sqlite_drop_sql() if vendor == "sqlite" else guard.postgresql_drop_sql()
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("shixun_transcripts", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
