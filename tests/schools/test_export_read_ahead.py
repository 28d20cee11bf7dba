"""The CSV export reads the next batch of teachers on a helper connection while it writes the current one
(schools.exports.read_ahead, PostgreSQL outside a transaction): the same bytes as the reads made in turn, the
reads really off the caller's connection, and the helper's connection closed when the file is done."""

import csv
import io
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shixun.schools import exports
from tests.factories import make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

START, END = date(2026, 1, 1), date(2026, 6, 30)
_refs = count(1)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


def credit(teacher, hours, on, title="师德师风专题培训"):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    return post_entry(
        learner=teacher, hours=Decimal(hours), title=title, source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"read-ahead-{next(_refs)}", earned_on=on,
    ).entry


@pytest.fixture
def district(org, monkeypatch):
    """Eight teachers over two schools, in batches of two (four batches); three of them with no entry."""
    monkeypatch.setattr(exports, "BATCH", 2)
    teachers = [org.teacher, org.sibling_teacher]
    teachers += [make_teacher(org.school, full_name=f"教师{n}", staff_number=f"R{n:02d}") for n in range(5)]
    teachers += [make_teacher(org.sibling_school, full_name="=危险", staff_number="+1")]
    for n, teacher in enumerate(teachers):
        for k in range(n % 3):
            credit(teacher, f"{k + 1}.5", date(2026, 2, 1 + k), title=f"课程{k}" if n % 2 else "@SUM(A1)")
    credit(org.foreign_teacher, "99", date(2026, 2, 1))  # another district: never in the file
    return exports.Scope(district=org.district)


def export(scope) -> bytes:
    out = io.BytesIO()
    exports.export(scope, START, END, "csv", out)
    return out.getvalue()


def sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_read_ahead_writes_the_bytes_of_the_reads_in_turn(postgres_only, district):
    before = sessions()
    with CaptureQueriesContext(connection) as ahead_queries:
        ahead = export(district)
    with transaction.atomic():  # a caller's transaction: the reads are made in turn, on this connection
        with CaptureQueriesContext(connection) as in_turn_queries:
            in_turn = export(district)
    assert ahead == in_turn
    rows = list(csv.reader(io.StringIO(ahead.decode("utf-8-sig"))))[1:]
    assert len({row[1] for row in rows}) == 8  # every teacher of the district
    assert len(rows) == 7 + 3  # (n % 3) entries each, a zero row for each of the three without
    assert "99" not in {row[7] for row in rows}

    def ledger_reads(queries):
        return [q for q in queries if q["sql"].startswith('SELECT "shixun_transcripts_ledgerentry"')]

    # Read ahead, the caller's connection only streams the teachers; in turn, it reads the four batches itself.
    assert ledger_reads(ahead_queries.captured_queries) == []
    assert len(ledger_reads(in_turn_queries.captured_queries)) == 4
    assert sessions() == before  # the helper's connection did not outlive the export


def test_a_failed_write_still_closes_the_helper_connection(postgres_only, district):
    class Full(io.BytesIO):
        def write(self, data):
            if self.tell() > 0:
                raise OSError("disk full")
            return super().write(data)

    before = sessions()
    with pytest.raises(OSError, match="disk full"):
        exports.export(district, START, END, "csv", Full())
    assert sessions() == before
