"""The lean xAPI route's write in psycopg's pipeline mode (PostgreSQL): two round trips, the view's rows.

On a site Django runs in autocommit mode between requests, so the lean route's ordinary statement takes
`config.prepared.pipelined_transaction`: the INSERT and locked read, then the result's UPDATE, as the one
implicit transaction of a pipeline (no BEGIN or COMMIT sent). These tests run outside any test transaction
(transaction=True) so that the route takes that path, as in production, and hold it to the full stack's rows
and answer, to its rollback for every statement that is not ordinary, and to leaving Django's connection as
Django expects it.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import uuid

import psycopg
import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import pq

from shixun.assessments.h5p.models import H5PResult, H5PStatement
from shixun.assessments.h5p.results import rebuild_result
from shixun.config.lean_routes import LeanRoutes
from shixun.config.prepared import pipelined_transaction, pipelined_transaction_possible, prepared_cursor
from shixun.courses.models import ActivityProgress, ActivityStatus
from tests.concurrency import needs_postgres, run_together  # noqa: F401 - needs_postgres is a fixture
from tests.courses.test_lean_heartbeat import (  # noqa: F401 - keep_the_test_connection, redis_sessions: fixtures
    FullStack,
    Learner,
    keep_the_test_connection,
    redis_sessions,
)
from tests.platform_checks.test_redis_cache import redis_url  # noqa: F401 - a fixture

from .test_lean_xapi import answered, rows, same_answer, send
from .test_xapi import statement

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("needs_postgres"),
]


@pytest.fixture
def started(app, stack, world, learner):
    """The learner's first statement (the view's), then one lean statement: the learner is remembered."""
    assert send(app, learner, world, answered(world, 0.5)).status_code == 200 and stack.calls == 1
    stack.calls = 0
    assert send(app, learner, world, answered(world, 0.1)).status_code == 200 and stack.calls == 0


def django_sees_no_transaction():
    raw = connection.connection
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert not connection.needs_rollback and not connection.savepoint_ids and not connection.run_on_commit
    assert raw.autocommit and raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert raw.pgconn.pipeline_status == pq.PipelineStatus.OFF


@contextlib.contextmanager
def protocol_messages():
    """The messages the client sends PostgreSQL meanwhile (libpq's trace, first word of each "F" line)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    sent = []
    with tempfile.TemporaryFile(mode="w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield sent
        finally:
            pgconn.untrace()
            trace.seek(0)
            sent.extend(line.split("\t")[2].split(" ")[0] for line in trace.read().splitlines()
                        if line.startswith("F\t"))


def waits(sent: list) -> int:
    """The times the client waits for PostgreSQL: each Sync, and each Flush not right after a Sync."""
    return sum(1 for i, m in enumerate(sent) if m == "Sync" or m == "Flush" and (i == 0 or sent[i - 1] != "Sync"))


def snapshot():
    return set(H5PStatement.objects.values_list("pk", flat=True)), list(H5PResult.objects.all())


def restore(saved):
    statements, results = saved
    H5PStatement.objects.exclude(pk__in=statements).delete()
    for result in results:
        result.save()


def lean_then_full(app, stack, learner, world, data, settings):
    """The statement through the lean route, then (its rows undone) through the full stack: answers and rows."""
    saved = snapshot()
    with CaptureQueriesContext(connection) as queries:
        lean = send(app, learner, world, data)
    logged = [query["sql"] for query in queries.captured_queries]  # before the next request resets the log
    assert stack.calls == 0, "the lean route handed an ordinary statement over"
    django_sees_no_transaction()
    lean_rows = rows()
    restore(saved)
    settings.SHIXUN_LEAN_XAPI = False
    full = send(app, learner, world, data)
    settings.SHIXUN_LEAN_XAPI = True
    assert stack.calls == 1
    stack.calls = 0
    same_answer(lean, full)
    assert lean_rows == rows()
    return lean, from_the_insert(logged)


def from_the_insert(logged: list) -> list:
    """The queries from the statement's INSERT on (before it: the session's read, from the database here)."""
    return logged[next(i for i, sql in enumerate(logged) if sql.startswith('WITH "shixun_stored"')):]


@pytest.mark.parametrize("prepared", [True, False])
@pytest.mark.usefixtures("redis_sessions", "started")
def test_an_ordinary_statement_is_the_views_in_two_round_trips(app, stack, world, learner, settings, prepared):
    settings.SHIXUN_RATE_LIMIT_XAPI = "1000/m"
    settings.SHIXUN_DB_PREPARED_STATEMENTS = prepared  # off: Django's own cursors, in the same pipeline
    progress = list(ActivityProgress.objects.values())
    with protocol_messages() as sent:
        answer = send(app, learner, world, answered(world, 0.2))
    assert answer.status_code == 200 and answer.json()["stored"] is True and stack.calls == 0
    # The INSERT with the locked read, then a Flush to read their answer; the UPDATE, then the Sync that commits
    # them (psycopg's Flush right after it waits for nothing more): two waits for PostgreSQL, where psycopg's own
    # transaction waits four times (BEGIN and COMMIT as simple Queries of their own).
    assert waits(sent) == 2 and sent.count("Sync") == 1 and "Query" not in sent, sent
    assert sent.index("Flush") < sent.index("Sync")
    django_sees_no_transaction()

    lean, queries = lean_then_full(app, stack, learner, world, answered(world, 0.3), settings)
    assert lean.json()["stored"] is True and lean.json()["status"] == ActivityStatus.IN_PROGRESS
    assert len(queries) == 2 and queries[1].startswith('UPDATE "shixun_h5p_h5presult"'), queries  # no BEGIN, COMMIT
    assert list(ActivityProgress.objects.values()) == progress


@pytest.mark.usefixtures("started")
def test_a_replay_is_answered_as_the_views_duplicate_and_writes_nothing(app, stack, world, learner, settings):
    data = answered(world, 0.25)
    assert send(app, learner, world, data).json()["stored"] is True and stack.calls == 0
    before = rows()
    lean, queries = lean_then_full(app, stack, learner, world, data, settings)
    assert lean.json()["stored"] is False and rows() == before
    assert len(queries) == 1, queries  # the INSERT and read: no UPDATE for a duplicate, no BEGIN or COMMIT


@pytest.mark.usefixtures("started")
def test_a_statement_that_is_not_ordinary_is_rolled_back_and_recorded_once_by_the_view(app, stack, world, learner):
    before = H5PStatement.objects.count()
    with CaptureQueriesContext(connection) as queries:
        answer = send(app, learner, world, answered(world, 0.9))  # a better score: progress changes
    assert stack.calls == 1 and answer.status_code == 200
    stack.calls = 0
    logged = [query["sql"] for query in queries.captured_queries]
    inserts = [i for i, sql in enumerate(logged) if sql.startswith('WITH "shixun_stored"')]
    assert len(inserts) == 2 and inserts[0] < logged.index("ROLLBACK") < inserts[1], logged  # the lean, the view's
    assert logged[inserts[0]:inserts[0] + 3] == [logged[inserts[0]], "BEGIN", "ROLLBACK"], logged
    assert answer.json()["stored"] is True and answer.json()["best_percent"] == 90.0  # the lean INSERT was undone
    assert H5PStatement.objects.count() == before + 1
    assert ActivityProgress.objects.get(activity_key=world.activity.activity_key).score == 90
    django_sees_no_transaction()
    # The connection's prepared statements survive the rollback: the next ordinary statement is lean again.
    assert send(app, learner, world, answered(world, 0.1)).json()["stored"] is True and stack.calls == 0
    assert H5PStatement.objects.count() == before + 2


@pytest.mark.usefixtures("started")
def test_a_deactivated_learner_is_rolled_back_in_the_same_round_trip_and_handed_over(app, stack, world, learner):
    before = rows()
    world.learner.is_active = False
    world.learner.save()
    with CaptureQueriesContext(connection) as queries:
        answer = send(app, learner, world, answered(world, 0.2))
    assert stack.calls == 1 and answer.status_code == 403 and answer.json()["code"] == "login"
    logged = [query["sql"] for query in queries.captured_queries]
    assert from_the_insert(logged)[1:3] == ["BEGIN", "ROLLBACK"], logged  # then the full stack's
    assert rows() == before
    django_sees_no_transaction()


# --- config.prepared.pipelined_transaction itself ---------------------------------------------------------


@pytest.fixture
def probe():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE shixun_probe (n integer)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE shixun_probe")


def probe_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM shixun_probe")
        return cursor.fetchone()[0]


def insert_probe():
    cursor = prepared_cursor()
    cursor.execute("INSERT INTO shixun_probe (n) VALUES (%s)", [1])
    return cursor


@pytest.mark.usefixtures("probe")
def test_the_pipelined_transaction_commits_rolls_back_and_leaves_autocommit_as_it_was():
    assert pipelined_transaction_possible()
    with CaptureQueriesContext(connection) as queries, pipelined_transaction():
        cursor = insert_probe()
    assert cursor.rowcount == 1 and probe_rows() == 1
    assert [query["sql"] for query in queries.captured_queries] == ["INSERT INTO shixun_probe (n) VALUES (1)"]
    django_sees_no_transaction()

    with pipelined_transaction() as handle:
        insert_probe()
        handle.set_rollback()
    assert probe_rows() == 1
    django_sees_no_transaction()

    with pytest.raises(ZeroDivisionError), pipelined_transaction():
        insert_probe()
        1 / 0  # noqa: B018 - an error of the block's own code
    assert probe_rows() == 1
    django_sees_no_transaction()


@pytest.mark.usefixtures("probe")
def test_a_database_error_in_the_pipeline_rolls_back_and_the_connection_stays_usable():
    with pytest.raises(DataError), pipelined_transaction():  # the error read in the block
        insert_probe()
        cursor = prepared_cursor()
        cursor.execute("SELECT 1 / %s", [0])
        cursor.fetchone()
    django_sees_no_transaction()
    with pytest.raises(DataError), pipelined_transaction():  # the error found only at the block's end
        insert_probe()
        prepared_cursor().execute("SELECT 1 / %s", [0])
    django_sees_no_transaction()
    assert probe_rows() == 0
    with pipelined_transaction():
        insert_probe()
    assert probe_rows() == 1


@pytest.fixture
def shared_probe():
    """A table other connections see (a temporary one is the connection's own)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE shixun_shared_probe (n integer PRIMARY KEY)")
        cursor.execute("INSERT INTO shixun_shared_probe (n) VALUES (0)")
    yield
    connection.close()  # a test may leave it closed
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE shixun_shared_probe")


@contextlib.contextmanager
def another_connection():
    params = connection.settings_dict
    other = psycopg.connect(dbname=params["NAME"], user=params["USER"], password=params["PASSWORD"] or None,
                            host=params["HOST"] or None, port=params["PORT"] or None, autocommit=True)
    try:
        yield other
    finally:
        other.close()


def shared_rows(other) -> list:
    return [n for (n,) in other.execute("SELECT n FROM shixun_shared_probe ORDER BY n")]


@pytest.mark.usefixtures("shared_probe")
def test_the_pipelined_statements_are_one_transaction_committed_at_the_end():
    """Without BEGIN: what another connection sees, the row lock and a local setting all last until the block ends,
    as with an explicit transaction, and a rollback says nothing to the server's log."""
    notices = []
    connection.ensure_connection()
    connection.connection.add_notice_handler(lambda notice: notices.append(notice.message_primary))
    with another_connection() as other:
        with pipelined_transaction():
            cursor = prepared_cursor()
            cursor.execute("INSERT INTO shixun_shared_probe (n) VALUES (%s)", [1])
            cursor.execute("SELECT n FROM shixun_shared_probe WHERE n = %s FOR UPDATE", [0])
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", ["4321ms"])
            cursor.execute("SELECT current_setting('statement_timeout')")
            assert cursor.fetchone() == ("4321ms",)  # a round trip: the statements so far have run
            assert shared_rows(other) == [0]  # not committed yet
            with pytest.raises(psycopg.errors.LockNotAvailable):  # the row lock is held
                other.execute("SELECT n FROM shixun_shared_probe WHERE n = 0 FOR UPDATE NOWAIT")
            cursor.close()
        assert shared_rows(other) == [0, 1]
        other.execute("SELECT n FROM shixun_shared_probe WHERE n = 0 FOR UPDATE NOWAIT")  # released
        django_sees_no_transaction()
        with connection.cursor() as plain:
            plain.execute("SELECT current_setting('statement_timeout')")
            assert plain.fetchone() != ("4321ms",)  # the local setting ended with the transaction

        with pipelined_transaction() as handle:
            cursor = prepared_cursor()
            cursor.execute("INSERT INTO shixun_shared_probe (n) VALUES (%s)", [2])
            cursor.execute("SELECT n FROM shixun_shared_probe WHERE n = %s FOR UPDATE", [0])
            cursor.fetchone()
            cursor.close()
            handle.set_rollback()
        assert shared_rows(other) == [0, 1]
        other.execute("SELECT n FROM shixun_shared_probe WHERE n = 0 FOR UPDATE NOWAIT")
    django_sees_no_transaction()
    assert notices == []  # BEGIN then ROLLBACK: no "there is no transaction in progress"


class Interrupted(BaseException):
    """An exception that is no error (a signal's)."""


@pytest.mark.usefixtures("shared_probe")
def test_a_rollback_that_cannot_be_queued_closes_the_connection_so_nothing_is_committed(monkeypatch):
    from shixun.config import prepared

    def interrupted(connection, raw, sql):
        raise Interrupted

    with pytest.raises(Interrupted), pipelined_transaction() as handle:
        cursor = prepared_cursor()
        cursor.execute("INSERT INTO shixun_shared_probe (n) VALUES (%s)", [3])
        cursor.execute("SELECT 1")
        cursor.fetchone()
        monkeypatch.setattr(prepared, "_pipelined_command", interrupted)
        handle.set_rollback()
    monkeypatch.undo()
    assert connection.connection.closed
    with another_connection() as other:
        assert shared_rows(other) == [0]


@pytest.mark.usefixtures("shared_probe")
def test_a_begin_queued_without_its_rollback_is_rolled_back_after_the_sync(monkeypatch):
    from shixun.config import prepared

    sent = prepared._pipelined_command

    def begin_only(connection, raw, sql):
        if sql == "ROLLBACK":
            raise psycopg.OperationalError("lost on the way")
        sent(connection, raw, sql)

    monkeypatch.setattr(prepared, "_pipelined_command", begin_only)
    with pipelined_transaction() as handle:
        prepared_cursor().execute("INSERT INTO shixun_shared_probe (n) VALUES (%s)", [4])
        handle.set_rollback()
    monkeypatch.undo()
    django_sees_no_transaction()
    with another_connection() as other:
        assert shared_rows(other) == [0]


def test_the_pipelined_transaction_is_not_offered_inside_djangos_transaction():
    with transaction.atomic():
        assert not pipelined_transaction_possible()
    assert pipelined_transaction_possible()


# --- concurrency -------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("started")
def test_lean_statements_and_the_views_at_the_same_moment_all_count_once(world, stack):
    app = LeanRoutes(stack)
    tabs = [Learner(world.learner) for _ in range(4)]
    count = H5PStatement.objects.filter(user=world.learner).count()
    ordinary = [[answered(world, 0.05 + n / 100) for n in range(5)] for _ in range(3)]
    # A completion and better scores: each one the lean route rolls back and the view records.
    special = [statement(world, scaled=0.8 + n / 10, raw=8 + n, maximum=10, success=True, id=str(uuid.uuid4()))
               for n in range(3)]
    started = time.monotonic()
    batches = run_together(
        *[lambda tab=tab, batch=batch: [send(app, tab, world, data) for data in batch]
          for tab, batch in zip(tabs, [*ordinary, special], strict=True)]
    )
    assert not [b for b in batches if isinstance(b, Exception)], batches
    assert all(answer.status_code == 200 and answer.json()["stored"] for batch in batches for answer in batch)
    assert time.monotonic() - started < 60
    assert H5PStatement.objects.filter(user=world.learner).count() == count + 18
    result = H5PResult.objects.get(user=world.learner)
    rebuilt = rebuild_result(world.learner, world.activity)
    fields = ("best_scaled_score", "completed", "passed", "answered_count", "finished_count", "attempts")
    assert [getattr(result, f) for f in fields] == [getattr(rebuilt, f) for f in fields]
    assert (result.finished_count, result.completed, result.best_scaled_score) == (3, True, rebuilt.best_scaled_score)
    assert ActivityProgress.objects.get(activity_key=world.activity.activity_key).status == ActivityStatus.DONE
