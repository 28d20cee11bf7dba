"""xAPI statements in, activity results and module progress out.

The rules, in one place:

- The learner is the one of the session (passed in by the view). A
  statement's own "actor" is ignored and not stored: the player runs
  untrusted code and could name anyone.
- A statement must be a JSON object of at most 16 KB with a verb (with an
  IRI id), an object (with an IRI id) and, if present, a well-typed result.
  Anything else is refused with a message; nothing is stored.
- Each statement is stored once per learner and activity: its "id" (a UUID)
  when it has one, else a hash of its content, is a unique key, so a replay
  changes nothing.
- Only statements about the activity itself count toward its result, not
  those of its sub-contents (object ids with "subContentId"), as in H5P's
  own result handling.
- The result (best scaled score, completed, passed, attempts) is a running
  total updated from each newly stored statement under the result row's
  lock: maxima, "or"s and counts, so it is the same however often or in
  whatever order statements arrive, and a statement costs the same however
  many came before it (rebuild_result derives it from all of them).
  "passed" needs a scaled score at or above the activity's pass mark and a result that is not marked failed: a "failed"
  statement never passes, whatever its score.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Exists, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import Page

from shixun.config.conf import shixun_settings
from shixun.config.prepared import pipelined_transaction, pipelined_transaction_possible, prepared_cursor
from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion, ModulePage
from shixun.courses.progress import NotEnrolled, record_activity_status

from .models import CompletionRule, H5PActivity, H5PContent, H5PResult, H5PStatement

MAX_STATEMENT_BYTES = 16 * 1024
MAX_IRI_LENGTH = 300

VERB_PREFIX = "http://adlnet.gov/expapi/verbs/"
COMPLETION_VERBS = frozenset(VERB_PREFIX + verb for verb in ("completed", "passed", "failed"))
ANSWERED = VERB_PREFIX + "answered"
FAILED = VERB_PREFIX + "failed"


class StatementRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedStatement:
    statement: dict
    dedupe_key: str
    verb: str
    object_id: str
    scaled: Decimal | None
    raw: Decimal | None
    maximum: Decimal | None
    success: bool | None
    completion: bool | None
    # The statement as parse_statement measured it (sorted keys, no spaces): on PostgreSQL the INSERT sends this
    # text for the jsonb column instead of dumping the statement again (jsonb keeps the value, not the text).
    canonical: str | None = None

    @property
    def is_root(self) -> bool:
        return "subContentId=" not in self.object_id


def _refuse(code: str, message: str) -> StatementRefused:
    return StatementRefused(code, message)


def _number(value, field: str) -> Decimal | None:
    if value is None:
        return None

    def not_a_number():  # the message is translated only when it is needed (four fields a statement)
        return _refuse("bad_result", gettext("The statement's score field “%(field)s” is not a number.")
                       % {"field": field})

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise not_a_number()
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise not_a_number() from exc
    if not number.is_finite() or abs(number) > Decimal("1e9"):
        raise _refuse("bad_result", gettext("The statement's score field “%(field)s” is out of range.")
                      % {"field": field})
    return number


def _iri(container, name: str) -> str:
    if not isinstance(container, dict):
        raise _refuse("bad_shape", gettext("The statement has no valid “%(field)s”.") % {"field": name})
    value = container.get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_IRI_LENGTH or ":" not in value:
        raise _refuse("bad_shape", gettext("The statement's “%(field)s” has no valid id.") % {"field": name})
    return value


def parse_statement(statement) -> ParsedStatement:
    """Check a statement's shape and size; return what the result rules need."""
    if not isinstance(statement, dict):
        raise _refuse("bad_shape", gettext("The statement is not a JSON object."))
    statement = {key: value for key, value in statement.items() if key != "actor"}
    canonical = json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if len(canonical.encode("utf-8")) > MAX_STATEMENT_BYTES:
        raise _refuse("too_large", gettext("The statement is larger than 16 KB."))
    verb = _iri(statement.get("verb"), "verb")
    object_id = _iri(statement.get("object"), "object")

    result = statement.get("result", {})
    if not isinstance(result, dict):
        raise _refuse("bad_result", gettext("The statement's “result” is not an object."))
    score = result.get("score", {})
    if not isinstance(score, dict):
        raise _refuse("bad_result", gettext("The statement's score is not an object."))
    scaled = _number(score.get("scaled"), "scaled")
    raw = _number(score.get("raw"), "raw")
    minimum = _number(score.get("min"), "min")
    maximum = _number(score.get("max"), "max")
    if scaled is not None and not Decimal("-1") <= scaled <= Decimal("1"):
        raise _refuse("bad_result", gettext("The statement's scaled score is outside −1 to 1."))
    if raw is not None and maximum is not None and (raw > maximum or (minimum is not None and raw < minimum)):
        raise _refuse("bad_result", gettext("The statement's raw score is outside its minimum and maximum."))
    if scaled is None and raw is not None and maximum:
        scaled = (raw - (minimum or 0)) / (maximum - (minimum or 0)) if maximum != (minimum or 0) else None
    for flag in ("success", "completion"):
        if flag in result and not isinstance(result[flag], bool):
            raise _refuse("bad_result", gettext("The statement's “%(field)s” is not true or false.") % {"field": flag})

    statement_id = statement.get("id")
    if statement_id is not None:
        try:
            dedupe_key = "id:" + str(uuid.UUID(str(statement_id)))
        except ValueError as exc:
            raise _refuse("bad_shape", gettext("The statement's id is not a UUID.")) from exc
    else:
        dedupe_key = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    return ParsedStatement(
        statement=statement,
        dedupe_key=dedupe_key,
        verb=verb,
        object_id=object_id,
        scaled=scaled.quantize(Decimal("0.0001")) if scaled is not None else None,
        raw=raw,
        maximum=maximum,
        success=result.get("success"),
        completion=result.get("completion"),
        canonical=canonical,
    )


@dataclass(frozen=True)
class Recorded:
    stored: bool  # False when the statement was a duplicate
    result: H5PResult
    status: str
    module_completed: bool


def record_statement(user, activity: H5PActivity | int, module: ModulePage | int, content_id: int | None,
                     parsed: ParsedStatement) -> Recorded:
    """Store one statement (once), update the learner's result and report a change to the module.

    The cost does not grow with the statements already stored, and a
    statement that changes nothing the module holds costs three queries:
    one INSERT (a duplicate is ignored by the unique constraint); one read
    that locks the result row and brings the activity's rules, the
    enrolment, the module's progress on this activity and its completion;
    one UPDATE of the result from this statement alone. courses.progress is
    called (and the module page read) only when the status or best score it
    holds would change. `activity` and `module` may be ids.

    Raises courses.progress.NotEnrolled when the learner is not (or no
    longer) enrolled, and H5PActivity.DoesNotExist when the activity is
    gone; then nothing is stored.
    """
    return _record(user, activity, module, content_id, parsed)


class _NotOrdinary(Exception):
    """record_ordinary_statement's statement needs more than the plain write: roll back, nothing is stored."""


def record_ordinary_statement(user, activity_id: int, module_id: int, content_id: int | None,
                              parsed: ParsedStatement, *, password: str | None = None) -> Recorded | None:
    """record_statement for the ordinary statement only (the lean xAPI route, assessments.h5p.lean); None for
    any other, with nothing stored (its transaction rolled back), so that the view records it.

    Ordinary: the learner's result row exists, they are enrolled, and the statement (stored, or a
    duplicate) changes nothing the module holds (`progress_would_change` is False: no progress write, no
    module or course completion, no credit). Which is known only after the INSERT and the locked read, in
    the same transaction: it rolls back otherwise. A learner's first statement on the activity (no result
    row yet) always changes progress. `user` needs only a pk. `password` (the lean route's remembered
    learner): the same query also requires the user row active with that password column
    (config.lean_routes `user_row_check_sql`), else nothing is stored.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    try:
        if pipelined_transaction_possible(conn):
            return _record_ordinary_pipelined(conn, user, activity_id, module_id, content_id, parsed, password)
        return _record(user, activity_id, module_id, content_id, parsed, ordinary_only=True, password=password)
    except (_NotOrdinary, NotEnrolled):
        return None


def _record_ordinary_pipelined(conn, user, activity_id: int, module_id: int, content_id, parsed: ParsedStatement,
                               password: str | None) -> Recorded:
    """_record(ordinary_only=True) in two PostgreSQL round trips instead of four (issue 18): the INSERT and locked
    read, then the result's UPDATE and the commit, as one transaction (config.prepared `pipelined_transaction`:
    the implicit transaction of the statements between two Syncs, no BEGIN or COMMIT sent).

    The same statements in the same order in one transaction, so the same rows, row lock and replay rule; any
    other statement raises _NotOrdinary (or NotEnrolled) inside the block, which rolls the INSERT back. The
    UPDATE's row count is known only after the commit it travels with: the row is locked by this transaction
    since the read, so it cannot have gone; should it ever not be updated, the error reaches the lean route,
    which hands the request to the view (that records it as the duplicate it then is).
    """
    now = timezone.now()
    read = _CompiledRead.for_connection(conn)
    update = None
    with pipelined_transaction(conn):
        insert = (_insert_sql(conn.vendor), _insert_params(user, activity_id, module_id, content_id, parsed, now))
        stored, result = read.fetch_after_insert(insert, user.pk, activity_id, module_id, password=password)
        status, _ = _decide(user, module_id, result, parsed, stored, now, ordinary_only=True)
        if stored:
            update = prepared_cursor(conn)
            update.execute(_running_update_sql(conn.vendor, _may_commit_asynchronously()), _running_params(result))
    if update is not None:
        updated = update.rowcount
        update.close()
        if updated != 1:
            raise DatabaseError(f"H5P result {result.pk} was not updated")
    return Recorded(stored=stored, result=result, status=status, module_completed=result.module_completed)


def _record(user, activity, module, content_id, parsed, *, ordinary_only: bool = False,
            password: str | None = None) -> Recorded:
    now = timezone.now()
    activity_id = activity.pk if isinstance(activity, H5PActivity) else activity
    module_id = module.pk if isinstance(module, ModulePage) else module
    with transaction.atomic():
        # The row lock serialises one learner's statements on this activity,
        # so two tabs posting at once both count (a duplicate takes it too:
        # it reads the result as it is after the statement it repeats).
        stored, result = _store_and_lock(user, activity_id, module_id, content_id, parsed, now,
                                         create=not ordinary_only, password=password)
        status, changes_progress = _decide(user, module_id, result, parsed, stored, now, ordinary_only=ordinary_only)
        activity, score, module_completed = result.activity, result.best_percent, result.module_completed
        if stored:
            # A statement that changes nothing the module holds asks for its commit not to wait for
            # the disk in its UPDATE itself: no round trip of its own (issue 18).
            _save_running(result, asynchronous_commit=not changes_progress and _may_commit_asynchronously())
        if changes_progress:
            if not isinstance(module, ModulePage):
                module = ModulePage.objects.get(pk=module_id)
            progress = record_activity_status(user, module, activity.activity_key, status, score=score)
            module_completed = progress.module_completed
    return Recorded(stored=stored, result=result, status=status, module_completed=module_completed)


def _decide(user, module_id: int, result: H5PResult | None, parsed: ParsedStatement, stored: bool, now, *,
            ordinary_only: bool) -> tuple[str, bool]:
    """What a statement does to its learner's locked result: the one decision `_record` and the lean route's
    pipelined write share, so that the lean route never answers a statement the view would record as
    changing progress.

    Applies a stored statement to the result (in memory; the caller saves it) and returns the activity's
    status and whether the module's progress would change. Raises NotEnrolled, or, with `ordinary_only`,
    _NotOrdinary for a statement that needs more than the plain write (no result row yet: the learner's
    first statement or no such activity; or a change of progress), so that the caller's transaction rolls
    the INSERT back.
    """
    if result is None:  # only with ordinary_only (the view creates the row): first statement, or no activity
        raise _NotOrdinary
    if not result.enrolled:
        raise NotEnrolled(f"user {user.pk} is not enrolled in the course of module {module_id}")
    if stored:
        apply_statement(result, result.activity, parsed, now)
    status = activity_status(result.activity, result)
    changes_progress = progress_would_change(result.progress_status, result.progress_score, status,
                                             result.best_percent)
    if changes_progress and ordinary_only:
        raise _NotOrdinary
    return status, changes_progress


def _may_commit_asynchronously() -> bool:
    """Whether a statement that changed nothing the module holds may commit without waiting for the disk.

    PostgreSQL's synchronous_commit = off for that one transaction: it
    holds the statement and the result's running figures, never progress,
    a completion or credit, all of which keep a durable commit. A database
    crash within the WAL writer's delay (well under a second) can lose
    such statements; the database stays consistent (a later durable commit
    flushes everything before it), and the player's replay of one is
    stored as new. It saves the wait for the disk flush (~6 ms on the
    benchmark's disk), which otherwise caps the statements one connection
    can commit per second. The switch rides on the result's UPDATE
    (_running_update_sql), the one write such a statement makes, so it
    costs no round trip. SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED = False keeps
    every commit durable.
    """
    return connection.vendor == "postgresql" and shixun_settings.SHIXUN_H5P_ASYNC_COMMIT_UNCHANGED


RUNNING_FIELDS = [
    "best_scaled_score",
    "best_passable_scaled_score",
    "completed",
    "passed",
    "finished_count",
    "answered_count",
    "attempts",
    "last_activity_at",
]


def apply_statement(result: H5PResult, activity: H5PActivity, parsed: ParsedStatement, received_at) -> None:
    """Fold one newly stored statement into a learner's running result (in memory)."""
    result.last_activity_at = max(filter(None, (result.last_activity_at, received_at)))
    if parsed.is_root:
        # Only statements about the activity itself count, not its sub-contents.
        scaled = parsed.scaled
        if scaled is not None:
            result.best_scaled_score = _max(result.best_scaled_score, scaled)
            if parsed.success is not False and parsed.verb != FAILED:
                result.best_passable_scaled_score = _max(result.best_passable_scaled_score, scaled)
        if parsed.verb in COMPLETION_VERBS or parsed.completion is True:
            result.completed = True
        if parsed.verb in COMPLETION_VERBS:
            result.finished_count += 1
        elif parsed.verb == ANSWERED:
            result.answered_count += 1
    result.attempts = result.finished_count or result.answered_count
    result.passed = passes(activity, result.best_passable_scaled_score)


def passes(activity: H5PActivity, best_passable_scaled_score: Decimal | None) -> bool:
    """A score at or above the pass mark, from a statement not marked failed."""
    return best_passable_scaled_score is not None and best_passable_scaled_score >= activity.pass_mark / Decimal(100)


def progress_would_change(progress_status: str | None, progress_score, status: str, score) -> bool:
    """Whether courses.progress.record_activity_status would change anything it holds.

    It keeps a DONE status for good and the best score; everything else it
    would rewrite with the same values. A first statement (no progress yet)
    always counts, as does the first statement sent through another
    module's link to the same activity.
    """
    if progress_status is None:
        return True
    if progress_status != ActivityStatus.DONE and progress_status != status:
        return True
    return score is not None and (progress_score is None or Decimal(score) > progress_score)


def _max(current: Decimal | None, new: Decimal) -> Decimal:
    return new if current is None or new > current else current


_STATEMENT_COLUMNS = (
    "user",
    "activity",
    "module",
    "dedupe_key",
    "verb",
    "scaled_score",
    "raw_score",
    "max_score",
    "success",
    "completion",
    "statement",
    "received_at",
)
_STATEMENT_JSON = _STATEMENT_COLUMNS.index("statement")


@functools.cache
def _insert_sql(vendor: str) -> str:
    """The INSERT of _insert_once for one database backend, built once: quoted names from the models only."""
    meta = H5PStatement._meta
    qn = connection.ops.quote_name
    columns = [qn(meta.get_field(name).column) for name in _STATEMENT_COLUMNS] + [qn(meta.get_field("content").column)]
    content_table = qn(H5PContent._meta.db_table)
    content_sql = f"(SELECT {qn('id')} FROM {content_table} WHERE {qn('id')} = %s AND {qn('activity_id')} = %s)"  # noqa: S608
    unique = ", ".join(qn(meta.get_field(name).column) for name in ("user", "activity", "dedupe_key"))
    return (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(_STATEMENT_COLUMNS))}, {content_sql}) "
        f"ON CONFLICT ({unique}) DO NOTHING RETURNING {qn('id')}"
    )


def _store_and_lock(user, activity_id: int, module_id: int, content_id, parsed: ParsedStatement,
                    received_at, *, create: bool = True, password: str | None = None) -> tuple[bool, H5PResult | None]:
    """_insert_once, then _locked_result with the module: whether the statement was stored, and the result.

    On PostgreSQL both go in one query, one round trip (issue 18): the INSERT
    as a data-modifying WITH, which runs once whatever the query reads, and
    the compiled locked read beside it (_CompiledRead.fetch_after_insert).
    SQLite has no INSERT inside WITH: two queries there. A learner's first
    statement on the activity finds no result row to lock: _locked_result
    then makes it, as before (`create`; without it the result is None).
    `password`: the user row must be active with that password column
    (checked in the same query on PostgreSQL), else _NotOrdinary.
    """
    if connection.vendor != "postgresql":
        if password is not None:
            with connection.cursor() as cursor:
                from shixun.config.lean_routes import user_row_check_sql

                check = user_row_check_sql(connection, "%s", "%s")
                cursor.execute(f"SELECT {check}", [user.pk, password])  # noqa: S608 (built from model names)
                if not cursor.fetchone()[0]:
                    raise _NotOrdinary
        stored = _insert_once(user, activity_id, module_id, content_id, parsed, received_at)
        if not create:
            return stored, _CompiledRead.for_connection(connection).fetch(user.pk, activity_id, module_id)
        return stored, _locked_result(user, activity_id, module_id)
    read = _CompiledRead.for_connection(connection)
    insert = (_insert_sql(connection.vendor), _insert_params(user, activity_id, module_id, content_id, parsed,
                                                             received_at))
    stored, result = read.fetch_after_insert(insert, user.pk, activity_id, module_id, password=password)
    if result is None and create:
        result = _locked_result(user, activity_id, module_id)
    return stored, result


def _insert_params(user, activity_id: int, module_id: int, content_id, parsed: ParsedStatement,
                   received_at) -> list:
    """The parameters of _insert_sql, each prepared by its model field as the ORM would."""
    values = (
        user.pk,
        activity_id,
        module_id,
        parsed.dedupe_key,
        parsed.verb[:300],
        parsed.scaled,
        parsed.raw,
        parsed.maximum,
        parsed.success,
        parsed.completion,
        parsed.statement,
        received_at,
    )
    # Every value is a parameter, prepared as its model field would prepare it (_ColumnAdapters).
    adapters = _ColumnAdapters.of(H5PStatement, _STATEMENT_COLUMNS, connection.vendor)
    params = adapters.prepare(values)
    if adapters.jsonb is not None:
        params[_STATEMENT_JSON] = adapters.jsonb(parsed.statement, parsed.canonical)
    params += (content_id, activity_id)
    return params


def _insert_once(user, activity_id: int, module_id: int, content_id, parsed: ParsedStatement, received_at) -> bool:
    """INSERT the statement unless its (learner, activity, dedupe key) is stored; True if it was stored.

    ON CONFLICT DO NOTHING (PostgreSQL, SQLite ≥ 3.24) lets the unique
    constraint decide in the same statement: no read first, and no
    savepoint to roll back a failed INSERT. The package version is taken
    only if it still exists and belongs to the activity.
    """
    params = _insert_params(user, activity_id, module_id, content_id, parsed, received_at)
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), params)
        return cursor.fetchone() is not None


# PostgreSQL: SET LOCAL synchronous_commit TO OFF as a function, evaluated once in the UPDATE's FROM.
ASYNCHRONOUS_COMMIT_SQL = "SELECT set_config('synchronous_commit', 'off', true)"


@functools.cache
def _running_update_sql(vendor: str, asynchronous_commit: bool = False) -> str:
    """UPDATE of the running figures by primary key, for one database backend, built once.

    With `asynchronous_commit` (PostgreSQL only) the same UPDATE also sets
    synchronous_commit off for the rest of its transaction: a one-row
    subquery in FROM, so the setting and the write are one round trip.
    """
    meta = H5PResult._meta
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(meta.get_field(name).column)} = %s" for name in RUNNING_FIELDS)
    switch = f" FROM ({ASYNCHRONOUS_COMMIT_SQL}) AS {qn('shixun_commit')}" if asynchronous_commit else ""
    return f"UPDATE {qn(meta.db_table)} SET {assignments}{switch} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608


def _save_running(result: H5PResult, *, asynchronous_commit: bool = False) -> None:
    """result.save(update_fields=RUNNING_FIELDS), without compiling the same UPDATE for every statement.

    H5PResult has no save() override and no save signal receivers (a test
    holds that), so this writes what save() would: each value prepared by
    its field, as a parameter. `asynchronous_commit`: see
    _may_commit_asynchronously (PostgreSQL only).
    """
    with prepared_cursor() as cursor:
        cursor.execute(_running_update_sql(connection.vendor, asynchronous_commit), _running_params(result))
        if cursor.rowcount != 1:  # the row is locked by this transaction: it cannot have gone
            raise DatabaseError(f"H5P result {result.pk} was not updated")


def _running_params(result: H5PResult) -> list:
    """The parameters of _running_update_sql: each running figure prepared as its field would, and the pk."""
    adapters = _ColumnAdapters.of(H5PResult, tuple(RUNNING_FIELDS), connection.vendor)
    params = adapters.prepare([getattr(result, name) for name in RUNNING_FIELDS])
    params.append(result.pk)
    return params


# Values of each kind of field the statement's INSERT and the result's UPDATE write, as parse_statement,
# apply_statement and the views produce them: a column whose field gives back every sample unchanged (same
# type, equal) on this database backend needs no preparation per value.
_SAMPLES = {
    "ForeignKey": (1, 2_147_483_647),
    "IntegerField": (0, 1, 2_147_483_647),
    "PositiveIntegerField": (0, 1, 2_147_483_647),
    "CharField": ("", "id:3f0c2e64-0b7e-4f54-8d7e-3a3b0f1c9a11", "http://adlnet.gov/expapi/verbs/answered", "师训"),
    "DecimalField": (None, Decimal("0.5000"), Decimal("-1"), Decimal("10"), Decimal("0.1234"), Decimal("1E+9")),
    "BooleanField": (None, True, False),
    "DateTimeField": (None, datetime.datetime(2026, 12, 6, 8, 30, 15, 123456, tzinfo=datetime.UTC)),
}


def same(value, sample) -> bool:
    return type(value) is type(sample) and value == sample


class _ColumnAdapters:
    """How a model's columns' values are prepared for the database, decided once per column and backend.

    The ORM prepares each value through its field (get_db_prep_save: to_python, get_prep_value, the backend's
    adapt_*_value), a dozen calls a value, twenty values a statement. For most of these columns the answer on
    a given backend is the value itself (a Decimal stays the Decimal, a bool the bool, a datetime the datetime
    on PostgreSQL). That is checked here, once, by asking the field to prepare samples of the values this
    module writes (_SAMPLES): a column whose field gives every sample back unchanged is passed through, one
    whose field wraps every sample in one type gets that type (see _step), and any other column (another
    kind of field, a backend that converts: SQLite's datetimes and decimals) keeps its field's own
    preparation. On PostgreSQL the statement's JSON goes as jsonb from the text
    parse_statement already made (`jsonb`), when the field prepares a dict as psycopg's Jsonb.
    """

    _cache = {}

    @classmethod
    def of(cls, model, names: tuple, vendor: str) -> _ColumnAdapters:
        key = (model, names, vendor)
        adapters = cls._cache.get(key)
        if adapters is None:
            adapters = cls._cache[key] = cls(model, names)
        return adapters

    def __init__(self, model, names):
        fields = [model._meta.get_field(name) for name in names]
        self.jsonb = None
        steps = []
        for field in fields:
            if field.get_internal_type() == "JSONField" and self.jsonb is None:
                self.jsonb = self._jsonb(field)
                if self.jsonb is not None:  # the caller puts jsonb(value, text) in its place
                    steps.append(None)
                    continue
            steps.append(self._step(field))
        self.steps = tuple(steps)
        self.passes_all = not any(self.steps)

    @staticmethod
    def _step(field):
        """None when the field gives back every sample unchanged; a type when it gives back every sample wrapped
        in that one type (PostgreSQL's Int4 for a PositiveIntegerField: the parameter's type on the server);
        else the field's own preparation."""
        own = functools.partial(field.get_db_prep_save, connection=connection)
        samples = _SAMPLES.get(field.get_internal_type())
        if not samples:
            return own
        try:
            prepared = [field.get_db_prep_save(sample, connection) for sample in samples]
        except Exception:  # a sample the field does not take (a foreign key to a non-integer key)
            return own
        if all(same(value, sample) for value, sample in zip(prepared, samples, strict=True)):
            return None
        wrapper = type(prepared[0])
        if not field.null and all(sample is not None and same(value, wrapper(sample))
                                  for value, sample in zip(prepared, samples, strict=True)):
            return wrapper
        return own

    @staticmethod
    def _jsonb(field):
        """PostgreSQL (psycopg 3): `(value, text) → Jsonb` as the field prepares it, sending `text` (the value's JSON
        already dumped) when there is one; else None, and the field prepares the value."""
        try:
            from psycopg.types.json import Jsonb
        except ImportError:
            return None
        sample = {"b": [1, "师"], "a": None}
        prepared = field.get_db_prep_save(sample, connection)
        if type(prepared) is not Jsonb or prepared.obj is not sample:
            return None
        dumps = prepared.dumps

        def jsonb(value, text):
            return Jsonb(value, dumps=dumps if text is None else lambda _value: text)

        return jsonb

    def prepare(self, values) -> list:
        if self.passes_all:
            return list(values)
        return [value if step is None else step(value) for step, value in zip(self.steps, values, strict=True)]


def _locked_result(user, activity_id: int, module_id: int | None = None) -> H5PResult:
    """The learner's result row, created if need be, locked until the transaction ends, with its activity.

    With a module, the same read brings (as attributes) whether the learner
    is enrolled in the module's course, the progress the module holds for the
    activity and whether the module is complete (see _standing_annotations).
    Only the result row is locked, never the activity every learner shares.
    Raises H5PActivity.DoesNotExist when the activity is gone.
    """
    if module_id is not None:
        read = _CompiledRead.for_connection(connection)
        result = read.fetch(user.pk, activity_id, module_id)
    else:
        locked = _locked_queryset(user.pk, activity_id, None)
        result = locked.first()
    if result is None:
        # A concurrent first statement may create it at the same moment:
        # the unique constraint keeps one row, and both then lock it.
        H5PResult.objects.bulk_create([H5PResult(user=user, activity_id=activity_id)], ignore_conflicts=True)
        result = read.fetch(user.pk, activity_id, module_id) if module_id is not None else locked.first()
        if result is None:  # the join found no activity (the new row goes with the rollback)
            raise H5PActivity.DoesNotExist(f"H5P activity {activity_id} does not exist")
    return result


def _locked_queryset(user_id: int, activity_id: int, module_id: int | None):
    """The locked read of _locked_result as a queryset (the ORM's form, also the source of the compiled SQL)."""
    locked = (
        H5PResult.objects.select_for_update(of=("self",))
        .select_related("activity")
        .filter(user_id=user_id, activity_id=activity_id)
    )
    if module_id is not None:
        locked = locked.annotate(**_standing_annotations(user_id, activity_id, module_id))
    return locked


# Stand-ins for the learner, activity and module while the locked read is compiled: numbers no row
# has, so each one found among the compiled query's parameters marks where a real value goes. Within
# a 32-bit id's range: the ORM compiles a lookup with an out-of-range number to an empty result.
_USER, _ACTIVITY, _MODULE = -2_073_180_001, -2_073_180_002, -2_073_180_003
_ACTIVITY_KEY = f"h5p:{_ACTIVITY}"


class _CompiledRead:
    """_locked_result's read, compiled by the ORM once per database connection and then run as SQL.

    Compiling the annotated, locked read (its four subqueries' WHERE clauses
    above all) was most of a statement's CPU, and it is the same SQL every
    time: only the learner, activity and module differ, and those are bound
    parameters (quoted by the database driver, never put into the SQL
    text). The rows come back through the ORM's own converters and
    Model.from_db, as a queryset would build them. One per connection object
    (a thread's own), because the compiled SQL and the converters belong to
    that connection's backend.
    """

    _cache = threading.local()

    @classmethod
    def for_connection(cls, conn) -> _CompiledRead:
        compiled = getattr(cls._cache, conn.alias, None)
        if compiled is None or compiled.connection is not conn:
            compiled = cls(conn)
            setattr(cls._cache, conn.alias, compiled)
        return compiled

    def __init__(self, conn):
        self.connection = conn
        queryset = _locked_queryset(_USER, _ACTIVITY, _MODULE)
        if not queryset.ordered:  # as QuerySet.first()
            queryset = queryset.order_by("pk")
        compiler = queryset[:1].query.get_compiler(connection=conn)
        # Compiled where it will run, in a transaction: the ORM refuses FOR UPDATE in autocommit mode, and the
        # lean route's pipelined transaction (record_ordinary_statement) is one Django does not see. No query
        # is sent here, so the atomic block costs no round trip.
        with transaction.atomic(using=conn.alias, savepoint=False):
            self.sql, params = compiler.as_sql()
        stand_ins = {_USER: "user", _ACTIVITY: "activity", _MODULE: "module", _ACTIVITY_KEY: "activity_key"}
        # Each parameter: ("value", constant) as compiled, or ("slot", name) for a value given per call.
        self.params = tuple(
            ("slot", stand_ins[value]) if isinstance(value, int | str) and value in stand_ins else ("value", value)
            for value in params
        )
        found = {name for kind, name in self.params if kind == "slot"}
        inlined = any(str(abs(value)) in self.sql for value in (_USER, _ACTIVITY, _MODULE))
        if found != set(stand_ins.values()) or inlined:
            # A Django change that inlines a value into the SQL text must not go unnoticed.
            raise RuntimeError("The H5P locked read no longer compiles to parameters for every value")
        select = compiler.select
        klass_info = compiler.klass_info
        self.result_slice, self.result_names = self._columns(select, klass_info["select_fields"])
        self.result_pk = self.result_names.index(H5PResult._meta.pk.attname)
        self._after_insert = {}
        (related,) = klass_info["related_klass_infos"]
        self.activity_slice, self.activity_names = self._columns(select, related["select_fields"])
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.converters = tuple(compiler.get_converters([column for column, _, _ in select]).items())

    @staticmethod
    def _columns(select, positions):
        start, end = positions[0], positions[-1] + 1
        return slice(start, end), [column.target.attname for column, _, _ in select[start:end]]

    def _params(self, user_id: int, activity_id: int, module_id: int) -> list:
        given = {"user": user_id, "activity": activity_id, "module": module_id, "activity_key": f"h5p:{activity_id}"}
        return [given[value] if kind == "slot" else value for kind, value in self.params]

    def fetch(self, user_id: int, activity_id: int, module_id: int) -> H5PResult | None:
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, self._params(user_id, activity_id, module_id))
            row = cursor.fetchone()
        return None if row is None else self._result(row)

    def fetch_after_insert(self, insert: tuple[str, list], user_id: int, activity_id: int,
                           module_id: int, *, password: str | None = None) -> tuple[bool, H5PResult | None]:
        """PostgreSQL: run `insert` (an INSERT … RETURNING, SQL and parameters) and this read in one query.

        Whether the INSERT returned a row, and the result as fetch() reads it
        (None when the learner has no result row yet). One row always comes
        back: the read is LEFT JOINed LATERAL to the INSERT's count, so its
        locking clause and LIMIT stay its own. With `password`, the same
        query checks the user row (config.lean_routes `user_row_check_sql`); _NotOrdinary if it
        fails (the caller's transaction then rolls the INSERT back).
        """
        insert_sql, insert_params = insert
        check_params = [] if password is None else [user_id, password]
        with prepared_cursor(self.connection) as cursor:  # planned once per connection (config.prepared)
            cursor.execute(self._sql_after_insert(insert_sql, password is not None),
                           [*insert_params, *check_params, *self._params(user_id, activity_id, module_id)])
            stored, *row = cursor.fetchone()
        if password is not None and not row.pop(0):
            raise _NotOrdinary
        found = row[self.result_slice.start + self.result_pk] is not None
        return bool(stored), self._result(row) if found else None

    def _sql_after_insert(self, insert_sql: str, check_user: bool) -> str:
        """fetch_after_insert's SQL text, built once per INSERT text and form (it was built on every statement)."""
        key = (insert_sql, check_user)
        sql = self._after_insert.get(key)
        if sql is None:
            qn = self.connection.ops.quote_name
            check = ""
            if check_user:
                from shixun.config.lean_routes import user_row_check_sql

                check = ", " + user_row_check_sql(self.connection, "%s", "%s")
            # SQL texts built from the models; every value is a parameter.
            sql = self._after_insert[key] = (
                f"WITH {qn('shixun_stored')} AS ({insert_sql}) "  # noqa: S608
                f"SELECT (SELECT COUNT(*) FROM {qn('shixun_stored')}){check}, {qn('shixun_read')}.* "
                f"FROM (SELECT 1) AS {qn('shixun_one')} LEFT JOIN LATERAL ({self.sql}) AS {qn('shixun_read')} ON TRUE"
            )
        return sql

    def _result(self, row) -> H5PResult:
        row = list(row)
        for position, (converters, expression) in self.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, expression, self.connection)
            row[position] = value
        db = self.connection.alias
        result = H5PResult.from_db(db, self.result_names, row[self.result_slice])
        H5PResult.activity.field.set_cached_value(
            result, H5PActivity.from_db(db, self.activity_names, row[self.activity_slice])
        )
        for name, position in self.annotations:
            setattr(result, name, row[position])
        return result


def _standing_annotations(user_id: int, activity_id: int, module_id: int) -> dict:
    """Whether the learner's enrolment in the module's course is active, the progress the module
    holds for the activity, and whether the module is complete: subqueries for one read.

    The course is the page whose tree path is the module's minus one step,
    found in SQL, so the module page itself is never loaded here; a module
    that is gone has no course, so no enrolment.
    """
    progress = ActivityProgress.objects.filter(user_id=user_id, module_id=module_id, activity_key=f"h5p:{activity_id}")
    module_path = Subquery(Page.objects.filter(pk=module_id).order_by().values("path")[:1])
    course_path = Substr(module_path, 1, Length(module_path) - Page.steplen)
    return {
        "enrolled": Exists(
            Enrolment.objects.filter(user_id=user_id, status=Enrolment.Status.ACTIVE, course__path=course_path)
        ),
        "progress_status": Subquery(progress.values("status")[:1]),
        "progress_score": Subquery(progress.values("score")[:1]),
        "module_completed": Exists(ModuleCompletion.objects.filter(user_id=user_id, module_id=module_id)),
    }


def rebuild_result(user, activity: H5PActivity) -> H5PResult:
    """Recompute a learner's result from all their stored statements (repairs, and the tests'
    check that the running result equals a full derivation). Not used on the xAPI path."""
    with transaction.atomic():
        result = _locked_result(user, activity.pk)
        fresh = H5PResult(pk=result.pk, user=user, activity=activity)
        statements = H5PStatement.objects.filter(user=user, activity=activity).order_by("received_at", "pk")
        for stored in statements.only(
            "verb", "scaled_score", "success", "completion", "received_at", "statement"
        ).iterator():
            apply_statement(fresh, activity, _as_parsed(stored), stored.received_at)
        fresh.save(update_fields=RUNNING_FIELDS)
    return fresh


def _as_parsed(stored: H5PStatement) -> ParsedStatement:
    return ParsedStatement(
        statement=stored.statement,
        dedupe_key="",
        verb=stored.verb,
        object_id=str((stored.statement.get("object") or {}).get("id", "")),
        scaled=stored.scaled_score,
        raw=None,
        maximum=None,
        success=stored.success,
        completion=stored.completion,
    )


def rule_satisfied(activity: H5PActivity, result: H5PResult) -> bool:
    if activity.completion_rule == CompletionRule.PASSED:
        return result.passed
    return result.completed


def activity_status(activity: H5PActivity, result: H5PResult) -> str:
    if rule_satisfied(activity, result):
        # A practice activity's result is recorded but never completes a module.
        return ActivityStatus.DONE if activity.score_may_complete else ActivityStatus.IN_PROGRESS
    if activity.completion_rule == CompletionRule.PASSED and result.completed:
        return ActivityStatus.FAILED
    return ActivityStatus.IN_PROGRESS
