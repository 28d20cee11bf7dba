"""Attacks on the append-only guard itself (issue #17): REPLACE on SQLite, the setting on PostgreSQL."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from shixun.transcripts import guard
from shixun.transcripts.guard import ledger_maintenance
from shixun.transcripts.models import CreditAuditEvent, LedgerEntry
from tests.transcripts.test_ledger import _an_entry

TABLE = "shixun_transcripts_ledgerentry"


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's REPLACE conflict resolution")


def _replace(verb, table, pk, **changes):
    """Re-insert row `pk` of `table` with `changes` using `verb` (REPLACE INTO, INSERT OR REPLACE INTO)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 - constant table names
        columns = [column[0] for column in cursor.description]
        row = {**dict(zip(columns, cursor.fetchone(), strict=True)), **changes}
        placeholders = ", ".join(["%s"] * len(row))
        cursor.execute(f"{verb} {table} ({', '.join(row)}) VALUES ({placeholders})", list(row.values()))


@pytest.mark.parametrize("verb", ["REPLACE INTO", "INSERT OR REPLACE INTO"])
@pytest.mark.parametrize("clash", ["pk", "source"])
def test_sqlite_replace_cannot_rewrite_a_row(org, sqlite_only, verb, clash):
    """Through Django's own connection, REPLACE turned 3 h into 999 h."""
    entry = _an_entry(org)
    changes = {"hours": "999"}
    if clash == "source":  # a new id, the same unique source
        changes["id"] = entry.pk + 1000
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _replace(verb, TABLE, entry.pk, **changes)
    assert [e.hours for e in LedgerEntry.objects.all()] == [Decimal("3")]


def test_sqlite_replace_on_the_audit_table_is_refused(org, sqlite_only):
    _an_entry(org)
    event = CreditAuditEvent.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _replace("REPLACE INTO", "shixun_transcripts_creditauditevent", event.pk, detail="forged")
    assert CreditAuditEvent.objects.get().detail == event.detail


def test_unique_keys_follow_the_models(db):
    """Every unique key of the guarded tables is in guard.UNIQUE_KEYS, or REPLACE slips through it."""
    for model in (LedgerEntry, CreditAuditEvent):
        expected = {(model._meta.pk.column,)}
        expected |= {(f.column,) for f in model._meta.concrete_fields if f.unique and not f.primary_key}
        expected |= {
            tuple(model._meta.get_field(name).column for name in constraint.fields)
            for constraint in model._meta.constraints
            if getattr(constraint, "fields", None)
        }
        expected |= {tuple(model._meta.get_field(n).column for n in names) for names in model._meta.unique_together}
        assert set(guard.UNIQUE_KEYS[model._meta.db_table]) == expected


def test_ordinary_posting_still_meets_the_unique_source(org):
    """The BEFORE INSERT trigger answers a duplicate with an IntegrityError, as the index did."""
    first = _an_entry(org)
    assert _an_entry(org) == first  # idempotent: the duplicate insert is caught and the row found
    assert LedgerEntry.objects.count() == 1


# PostgreSQL: the maintenance setting is not a key anyone may turn.

APP_ROLE = "shixun_test_app_role"


@pytest.fixture
def app_role(postgres_only, db):
    """A role that may write the ledger tables but owns nothing, like a production application role.

    Created inside the test's transaction, so it goes when the test rolls back.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    return APP_ROLE


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE shixun_transcripts_ledgerentry SET hours = 999",
        "DELETE FROM shixun_transcripts_ledgerentry",
        "UPDATE shixun_transcripts_creditauditevent SET detail = 'forged'",
    ],
)
def test_postgres_setting_alone_does_not_open_the_guard(org, app_role, sql):
    _an_entry(org)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        cursor.execute(f"SET LOCAL {guard.PG_SETTING} = 'on'")
        cursor.execute(sql)
    assert [e.hours for e in LedgerEntry.objects.all()] == [Decimal("3")]


@pytest.mark.postgres
def test_postgres_maintenance_role_opens_the_guard(org, app_role):
    """A member of the dedicated maintenance role may, with the setting (and only with it)."""
    entry = _an_entry(org)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {guard.MAINTENANCE_ROLE} NOLOGIN")
        cursor.execute(f"GRANT {guard.MAINTENANCE_ROLE} TO {app_role}")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        cursor.execute("UPDATE shixun_transcripts_ledgerentry SET hours = 999")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {app_role}")
        cursor.execute(f"SET LOCAL {guard.PG_SETTING} = 'on'")
        cursor.execute("UPDATE shixun_transcripts_ledgerentry SET hours = 4")
        cursor.execute("RESET ROLE")
    entry.refresh_from_db()
    assert entry.hours == Decimal("4")


@pytest.mark.postgres
def test_postgres_owner_still_flushes(org, postgres_only):
    _an_entry(org)
    with ledger_maintenance(connection), connection.cursor() as cursor:
        cursor.execute("DELETE FROM shixun_transcripts_creditauditevent; DELETE FROM shixun_transcripts_ledgerentry")
    assert not LedgerEntry.objects.exists()
