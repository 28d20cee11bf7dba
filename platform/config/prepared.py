"""Statements PostgreSQL plans once per connection: for the few hot statements of the site.

Django binds parameters on the client (psycopg's ClientCursor) and never prepares, so PostgreSQL parses
and plans every statement at every execution. For a statement run hundreds of times a second with
subqueries in it, planning costs several times its execution: the study-time heartbeat's UPDATE
(courses.study) cost 0.66-1.05 ms of the server's CPU per beat planned each time against 0.14-0.26 ms
prepared, and 0.16 ms of Python instead of 0.22-0.25 (bench/ANALYSIS.md, "prepared statements"). An xAPI
statement's two statements (assessments.h5p.results) use it too.

`prepared_cursor()` is a Django cursor (its wrappers: database errors, query logging, execute_wrapper)
around a psycopg cursor that binds parameters on the server and prepares each statement it runs: psycopg
keeps the prepared statements per connection (at most `prepared_max`, least recently used dropped) and
prepares again on a new connection. The psycopg cursor is kept per connection and handed out again
(`_kept_cursor`). Only for statements written for it: with the values bound on the
server, PostgreSQL must be able to type each placeholder (a bare `%s` in a SELECT list gets its type from
the Python value). SHIXUN_DB_PREPARED_STATEMENTS = False gives an ordinary cursor: for a connection
pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21), and psycopg 2
always gets one.
"""

import contextlib

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, debug_transaction

from shixun.config.conf import shixun_settings

NEVER_BY_COUNT = 2**31 - 1


def prepared_cursor(connection=None):
    """A cursor of `connection` (the default database's) whose statements are prepared (PostgreSQL; else an
    ordinary cursor)."""
    connection = connections[DEFAULT_DB_ALIAS] if connection is None else connection
    if (connection.vendor != "postgresql" or not shixun_settings.SHIXUN_DB_PREPARED_STATEMENTS
            or _PreparingCursor is None):
        return connection.cursor()
    connection.close_if_health_check_failed()  # as connection.cursor() does
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off (None) for poolers; Django's own cursors bind on the client
        # and never prepare whatever the threshold, so a threshold no statement reaches lets this cursor
        # prepare and changes nothing else.
        raw.prepare_threshold = NEVER_BY_COUNT
    connection.validate_thread_sharing()
    cursor = _kept_cursor(connection, raw)
    return _LoggedCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


def update_row(model, pk, values: dict) -> None:
    """`model.objects.filter(pk=pk).update(**values)` as one hand-written, prepared UPDATE.

    For the hottest writes (a quiz's attempt, a progress row): the ORM built and compiled an UpdateQuery on
    each (bench/ANALYSIS.md, "the quiz submit's CPU"). `values` maps field names to Python values, each
    prepared for the database by its field as the ORM does. Like `update()` it sends no signal. Only quoted
    names from the model go into the SQL text; every value is a parameter.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    qn = connection.ops.quote_name
    fields = [meta.get_field(name) for name in values]
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    with prepared_cursor(connection) as cursor:  # planned once per connection on PostgreSQL
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s",  # noqa: S608
            [*params, pk],
        )


def _kept_cursor(connection, raw):
    """The psycopg cursor kept for `raw` (the connection's current psycopg connection), marked in use; a new
    one when there is none yet, when it belongs to an earlier connection (closed, reconnected), or when it is
    in use (a prepared cursor open inside another): that one is closed for good when its user closes it.

    Creating a psycopg cursor (its adapters' map, its transformer) was a third of the prepared UPDATE's Python;
    kept, a cursor is only cleared of its results when the caller closes it (`_PreparingCursor.close`). It
    holds no server-side state (the prepared statements are the connection's), so a transaction's error or
    rollback leaves it usable, as psycopg's cursors are. Per DatabaseWrapper, so per thread as Django's
    connections are.
    """
    cursor = getattr(connection, "_shixun_prepared_cursor", None)
    if cursor is not None and cursor.connection is raw and not cursor.closed and not cursor.in_use:
        cursor.in_use = True
        return cursor
    with connection.wrap_database_errors:
        fresh = _PreparingCursor(raw)
    if cursor is None or cursor.connection is not raw or cursor.closed:
        connection._shixun_prepared_cursor = fresh
        fresh.kept = True
    fresh.in_use = True
    return fresh


try:
    import psycopg
except ImportError:  # SQLite sites need not install it; psycopg 2 cannot prepare
    _PreparingCursor = None
else:

    class _PreparingCursor(psycopg.Cursor):
        """psycopg's server-binding cursor, preparing every statement it runs; `kept` (see _kept_cursor): its
        close() only clears its results and makes it available again."""

        kept = False
        in_use = False

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

        def close(self):
            self.in_use = False
            if self.kept:
                self._reset(reset_query=False)  # the results go, as a closed cursor's do
            else:
                super().close()


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log (DEBUG, tests' CaptureQueriesContext) of a preparing cursor: the statement with its
    values as Django shows its own (its last_executed_query reads a query text psycopg does not keep for
    a prepared statement)."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)


# --- A short transaction in psycopg's pipeline mode (the xAPI write; see pipelined_transaction) ---


def pipelined_transaction_possible(connection=None) -> bool:
    """Whether `pipelined_transaction` can run on `connection` (the default database's) now: PostgreSQL through
    psycopg 3 with pipeline mode (libpq ≥ 14), Django in autocommit with no atomic block open (so no transaction
    of Django's is running and none is expected), and no isolation level, read-only or deferrable option that
    would make psycopg's own BEGIN differ from a plain one."""
    connection = connections[DEFAULT_DB_ALIAS] if connection is None else connection
    if connection.vendor != "postgresql" or _PreparingCursor is None or not psycopg.Pipeline.is_supported():
        return False
    if connection.in_atomic_block or not connection.get_autocommit():  # get_autocommit connects if need be
        return False
    raw = connection.connection
    return (
        isinstance(raw, psycopg.Connection)
        and raw.isolation_level is None and raw.read_only is None and raw.deferrable is None
        and raw.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
    )


class PipelinedTransaction:
    """The handle `pipelined_transaction` yields: `set_rollback()` rolls the transaction back instead of committing
    it (what leaving the block by an exception also does)."""

    rollback = False

    def set_rollback(self):
        self.rollback = True


@contextlib.contextmanager
def pipelined_transaction(connection=None):
    """One transaction in two round trips: its first statement whose answer is needed, and its last with the
    commit; no BEGIN or COMMIT is sent.

    psycopg 3's pipeline mode sends each statement without waiting for the one before; a round trip is spent
    only where an answer is read (a Flush) and at the end of the block (the Sync). PostgreSQL runs the
    statements between two Syncs as one implicit transaction: committed at the Sync if none failed, rolled
    back if one did (protocol, "Pipelining"); the row locks taken in it are held until then. So the block's
    statements are the transaction and the Sync at its end commits them: BEGIN and COMMIT, two more statements
    for both sides to send, parse and answer, would change nothing (they were 5.5% of a lean xAPI statement's
    CPU; bench/ANALYSIS.md). psycopg's own transactions cannot do this either way (before their first statement
    they wait for BEGIN's answer), so this runs in the connection's autocommit mode, which Django is in and stays
    in: Django opened no transaction and believes none is open, and none is once the block ends.

    To roll back (`set_rollback()`, or any exception leaving the block), BEGIN and ROLLBACK are queued before
    the Sync: a BEGIN after statements of an implicit transaction takes them into the transaction block it
    opens, and the ROLLBACK ends that block with them (a ROLLBACK alone would roll back too, with a warning
    "there is no transaction in progress" in the server's log). If an error aborted the pipeline, the server
    skips both and its Sync rolls the transaction back. Should a transaction still be open after the Sync (a
    BEGIN queued without its ROLLBACK), the connection's rollback() ends it.

    Only where `pipelined_transaction_possible()` (else use Django's atomic). Statements run through Django's
    cursors (`prepared_cursor()` or `connection.cursor()`); a statement's results (rowcount, fetch) are known
    when fetched, or after the block for one not fetched. Not for statements PostgreSQL refuses inside a
    transaction block (VACUUM): they run on their own in an implicit transaction. No on_commit callbacks
    (Django sees no transaction: it would run them at once), no nested atomic blocks. The rollback's BEGIN and
    ROLLBACK appear in Django's query log as its own transactions' do.
    """
    connection = connections[DEFAULT_DB_ALIAS] if connection is None else connection
    raw = connection.connection
    handle = PipelinedTransaction()
    with connection.wrap_database_errors:
        try:
            with raw.pipeline():
                try:
                    yield handle
                except BaseException:
                    _roll_back_before_the_sync(connection, raw)
                    raise
                if handle.rollback:
                    _roll_back_before_the_sync(connection, raw)
        finally:
            if raw.pgconn.transaction_status in (psycopg.pq.TransactionStatus.INTRANS,
                                                 psycopg.pq.TransactionStatus.INERROR):
                raw.rollback()


def _roll_back_before_the_sync(connection, raw) -> None:
    try:
        for sql in ("BEGIN", "ROLLBACK"):
            _pipelined_command(connection, raw, sql)
    except psycopg.Error:
        pass  # an earlier statement failed (or the connection did): the server rolls back at the Sync, or never commits
    except BaseException:
        # Not queued (a signal's exception, say): no Sync may commit the block's statements, and none is sent on a
        # closed connection; PostgreSQL rolls back the transaction of a connection that closes.
        raw.close()
        raise


def _pipelined_command(connection, raw, sql: str) -> None:
    with debug_transaction(connection, sql):
        psycopg.Cursor(raw).execute(sql, prepare=False)
