"""Active study time on a module's lesson, measured on the server from heartbeats.

The lesson (LESSON_KEY) is done when the learner has spent the module's
minimum study time on it: the module's own `study_minutes`, or its credit
hours × SHIXUN_MINUTES_PER_CREDIT_HOUR. Opening the page proves nothing.

The module page sends a heartbeat every SHIXUN_STUDY_HEARTBEAT_SECONDS while
it is visible and the learner is active. The rule of crediting, the one
place it is computed (`_BEAT_SQL`): a heartbeat credits the server time since
the learner's previous accepted heartbeat for the module, and nothing when
that gap is longer than twice the interval (a pause: the page was hidden,
the learner idle, the connection lost). So a burst of heartbeats credits the
real time it lasted, two tabs or devices share one clock (each beat credits
only the time since the other's), and the client's clock is never read.

The heartbeat is the most frequent request of the site (issue #18: ≥ 1,000/s
on PostgreSQL + Redis, the cost of a one-query view), so the endpoint's path
(`beat`) is one statement once the learner's row exists: the UPDATE of
`_beat_sql` also checks that the module is live and the learner actively
enrolled in its course (EXISTS in its WHERE: the check and the write are one
atomic step) and returns the module's minimum with the row. Its SQL is built
once per database vendor; nothing is compiled by the ORM per beat, and on
PostgreSQL it is prepared, so planned once per connection (config.prepared:
planning it cost the database several times its execution). Only when
it touches no row (the first beat, a draft module, a learner not enrolled)
does `beat` read the module to say which, and the beat that reaches the
minimum loads the module to report the lesson (once per learner and module).

On PostgreSQL an ordinary beat's commit does not wait for the disk
(SHIXUN_STUDY_ASYNC_COMMIT, as the H5P statements that change nothing): with
sync workers a durable commit per beat (~6 ms of WAL flush on the benchmark's
disk) caps a worker at ~150 beats/s whatever the CPU. What a database crash
can lose is the last fraction of a second of beats, and a lost beat costs
the learner nothing: the next beat credits the time since the previous kept
one (up to the cap, twice the interval). The report of the lesson and the
module's completion keep their durable commit, and a durable commit flushes
every earlier one, so a completion never survives without the beats that
earned it.

No buffer in Redis (beats kept there and applied by a task), measured
(bench/ANALYSIS.md, "heartbeats buffered in Redis"): with no UPDATE at all a
beat costs the machine ~0.79 of today's CPU (0.72-0.84; the web worker and
PostgreSQL's share of the statement), and a flush gives part of that back
(the same statement per beat, prepared and pipelined in one transaction:
~0.09 ms a beat). The lean answer would also need the row's time, the
module's minimum and the learner's right to credit kept in Redis (to answer
honestly, to hand over the beat that may complete the lesson, to refuse a
withdrawn learner), cleared on every withdrawal, unpublishing and password
change. Net ~13-15% of a beat, for a second path to this rule: not worth it,
and not the third less that 1,000 beats/s on two cores needs.
"""

import functools
import math
import re
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Substr
from django.utils import timezone
from wagtail.models import Page

from shixun.config.conf import shixun_settings
from shixun.config.prepared import prepared_cursor

from .blocks import LESSON_KEY
from .models import ActivityStatus, Enrolment, ModulePage, StudyTime
from .progress import NotEnrolled, _insert_unless_present, record_activity_status


def required_minutes(module: ModulePage) -> int:
    """The study minutes the module's hours stand for: the trainer's minimum, else hours × the conversion."""
    return _required_minutes(module.study_minutes, module.credit_hours)


def _required_minutes(study_minutes: int | None, credit_hours) -> int:
    if study_minutes is not None:
        return study_minutes
    if not isinstance(credit_hours, Decimal):  # SQLite hands a raw statement's decimal back as a float
        credit_hours = Decimal(str(credit_hours))
    return math.ceil(credit_hours * shixun_settings.SHIXUN_MINUTES_PER_CREDIT_HOUR)


def _minute_ms() -> float:
    return shixun_settings.SHIXUN_STUDY_SECONDS_PER_MINUTE * 1000


def required_ms(module: ModulePage) -> int:
    return round(required_minutes(module) * _minute_ms())


def max_credit_ms() -> int:
    """The most one heartbeat credits: twice the interval, so one late or lost heartbeat costs nothing."""
    return round(2 * shixun_settings.SHIXUN_STUDY_HEARTBEAT_SECONDS * 1000)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class StudyState:
    active_ms: int
    required_ms: int
    lesson_done: bool  # the lesson counts as studied (reported DONE now or before)
    module_completed: bool = False  # the module is complete after this heartbeat (only known when reported now)

    @property
    def remaining_ms(self) -> int:
        return max(0, self.required_ms - self.active_ms)

    @property
    def remaining_minutes(self) -> int:
        """What is left in (study) minutes, rounded up: "还需学习 12 分钟" until the last second."""
        return math.ceil(self.remaining_ms / _minute_ms())

    @property
    def active_minutes(self) -> int:
        """Studied (study) minutes, to the nearest: the transcript's figure for the same time (whole_minutes)."""
        return int((self.active_ms + _minute_ms() / 2) // _minute_ms())


_PLACEHOLDER = re.compile(r":(now|start|cap|half|window|user|module|active|per_hour|minute|password)\b")
_VALUE = re.compile(r":(now|start|cap|half|window|active|per_hour|minute|password)\b")


@functools.cache
def _beat_sql(
    vendor: str, guarded: bool = False, async_commit: bool = False, lean: bool = False, user_check: bool = False
) -> tuple[str, list[str]]:
    """One UPDATE … RETURNING (PostgreSQL, SQLite ≥ 3.35): the row lock orders concurrent beats.

    Returns the statement and the names of its parameters in order (`_update` fills them in); built once
    per database vendor and variant (the heartbeat is the most frequent request).
    `guarded` (the endpoint's `beat`): the row is updated only while the module is live and the learner
    has an active enrolment in its course (the module's parent page, found by its tree path as
    `_module_for` finds it), and the module's study_minutes and credit_hours come back with the row.
    `async_commit` (PostgreSQL, outside a transaction): the statement's own commit does not wait for the
    WAL flush (`set_config(…, true)` lasts until the end of this statement's transaction; see the module
    docstring for why that loses no credit).
    The values the expressions repeat (now, cap, …) come once each from a one-row `FROM (SELECT …) _beat`
    (UPDATE … FROM: PostgreSQL, SQLite ≥ 3.33): 8 parameters instead of 50, so psycopg caches the
    statement's conversion (it does not for more than 50) and binds 8 values per beat, not 50.
    Each beat credits now − last_beat when 0 < gap ≤ cap, else nothing; a
    `start` beat (the page was just opened, shown again or resumed) only
    starts the clock: a client can ask to be credited less, never more.
    last_beat only moves forward, so an out-of-order (earlier) server time
    from another process credits nothing and takes nothing back.

    The same statement keeps the review's evidence (StudyTime's aggregates; every SET reads the row as it
    was before the UPDATE, on both databases): a credited beat adds its gap to the count, sum and sum of
    squares; a beat under half an interval after the previous one is "short"; a credited beat while
    another module of the same learner beat within the last interval is an "overlap" (an EXISTS on the
    learner's other rows, found by the (user, module) unique index's prefix: no extra statement and no
    extra table); a credited beat extends the current run, any other beat starts a new one.

    `lean` (with `guarded`; the lean heartbeat path, `lean_beat`): the row is updated only when this beat
    cannot complete the lesson: it is reported already, or the row's time stays more than one cap (the most
    a beat credits) and a millisecond below the module's minimum, taken as study_minutes, else credit_hours ×
    SHIXUN_MINUTES_PER_CREDIT_HOUR without rounding up (never more than `required_ms`; the millisecond
    covers `required_ms`'s rounding). Every SET is the same statement's: one crediting rule.
    `user_check` (with `lean`): the row is updated only while the learner's user row is active and its
    password column still holds the value the caller verified the session against (config.lean_routes
    `user_row_check_sql`).
    """
    meta = StudyTime._meta
    qn = connection.ops.quote_name
    c = {f.name: qn(f.column) for f in meta.concrete_fields}
    c["user"], c["module"] = qn(meta.get_field("user").column), qn(meta.get_field("module").column)
    table = qn(meta.db_table)
    last = c["last_beat_ms"]
    credited = f"(:start = 0 AND {last} IS NOT NULL AND :now > {last} AND :now - {last} <= :cap)"
    gap = f"(:now - {last})"
    run_from = f"COALESCE({c['run_start_ms']}, {last})"
    other_module_beating = (
        f"EXISTS (SELECT 1 FROM {table} other WHERE other.{c['user']} = {table}.{c['user']} "  # noqa: S608
        f"AND other.{c['module']} <> {table}.{c['module']} AND other.{last} > :now - :window)"
    )
    sql = (
        f"UPDATE {table} SET "  # noqa: S608 (quoted model names only; values are parameters)
        f"{c['active_ms']} = {c['active_ms']} + CASE WHEN {credited} THEN {gap} ELSE 0 END, "
        f"{last} = CASE WHEN {last} IS NULL OR :now > {last} THEN :now ELSE {last} END, "
        f"{c['beats']} = {c['beats']} + 1, "
        f"{c['credited_beats']} = {c['credited_beats']} + CASE WHEN {credited} THEN 1 ELSE 0 END, "
        f"{c['gap_sum_ms']} = {c['gap_sum_ms']} + CASE WHEN {credited} THEN {gap} ELSE 0 END, "
        f"{c['gap_sq_sum']} = {c['gap_sq_sum']} + CASE WHEN {credited} THEN {gap} * {gap} ELSE 0 END, "
        f"{c['short_beats']} = {c['short_beats']} + CASE WHEN {last} IS NOT NULL AND :now >= {last} "
        f"AND {gap} < :half THEN 1 ELSE 0 END, "
        f"{c['overlap_beats']} = {c['overlap_beats']} + CASE WHEN {credited} AND {other_module_beating} "
        f"THEN 1 ELSE 0 END, "
        f"{c['run_start_ms']} = CASE WHEN {credited} THEN {run_from} "
        f"WHEN {last} IS NOT NULL AND :now <= {last} THEN {c['run_start_ms']} ELSE :now END, "
        f"{c['longest_run_ms']} = CASE WHEN {credited} AND :now - {run_from} > {c['longest_run_ms']} "
        f"THEN :now - {run_from} ELSE {c['longest_run_ms']} END "
        f"FROM (SELECT :values) _beat "
        f"WHERE {c['user']} = :user AND {c['module']} = :module"
    )
    returning = f" RETURNING {c['active_ms']}, {c['lesson_reported']}"
    if guarded:
        page_meta, enrolment_meta = Page._meta, Enrolment._meta
        pages = qn(page_meta.db_table)
        page_id, path = qn(page_meta.pk.column), qn(page_meta.get_field("path").column)
        depth, live = qn(page_meta.get_field("depth").column), qn(page_meta.get_field("live").column)
        enrolment = {name: qn(enrolment_meta.get_field(name).column) for name in ("user", "course", "status")}
        sql += (
            f" AND EXISTS (SELECT 1 FROM {pages} mp "  # noqa: S608 (quoted model names only)
            f"JOIN {pages} cp ON cp.{path} = SUBSTR(mp.{path}, 1, (mp.{depth} - 1) * {int(ModulePage.steplen)}) "
            f"JOIN {qn(enrolment_meta.db_table)} e ON e.{enrolment['course']} = cp.{page_id} "
            f"WHERE mp.{page_id} = {table}.{c['module']} AND mp.{live} AND e.{enrolment['user']} = {table}.{c['user']} "
            f"AND e.{enrolment['status']} = :active)"
        )
        modules, module_meta = qn(ModulePage._meta.db_table), ModulePage._meta
        module_id = qn(module_meta.pk.column)
        if lean:
            minutes, hours = (qn(module_meta.get_field(name).column) for name in ("study_minutes", "credit_hours"))
            sql += (
                f" AND ({c['lesson_reported']} OR {c['active_ms']} + :cap + 1 < (SELECT "  # noqa: S608
                f"CASE WHEN m.{minutes} IS NOT NULL THEN m.{minutes} * :minute "
                f"ELSE CAST(m.{hours} AS DOUBLE PRECISION) * :per_hour * :minute END "
                f"FROM {modules} m WHERE m.{module_id} = {table}.{c['module']}))"
            )
        if user_check:
            from shixun.config.lean_routes import user_row_check_sql

            learner = f"{table}.{c['user']}"
            sql += f" AND {user_row_check_sql(connection, learner, ':password')}"
        for name in ("study_minutes", "credit_hours"):
            column = qn(module_meta.get_field(name).column)
            returning += f", (SELECT {column} FROM {modules} WHERE {module_id} = {table}.{c['module']})"  # noqa: S608
    if async_commit:
        returning += ", set_config('synchronous_commit', 'off', true)"
    sql += returning
    values = list(dict.fromkeys(_VALUE.findall(sql)))
    sql = _VALUE.sub(r"_beat.\1_v", sql).replace(":values", ", ".join(f":{name} AS {name}_v" for name in values))
    names = _PLACEHOLDER.findall(sql)
    return _PLACEHOLDER.sub("%s", sql), names


def _update(user_id: int, module_id: int, at: int, start: bool, *, guarded: bool = False, lean: bool = False,
            password: str | None = None):
    async_commit = (
        connection.vendor == "postgresql"
        and shixun_settings.SHIXUN_STUDY_ASYNC_COMMIT
        and not connection.in_atomic_block  # never relax the commit of a caller's transaction
    )
    sql, names = _beat_sql(connection.vendor, guarded, async_commit, lean, password is not None)
    interval_ms = round(shixun_settings.SHIXUN_STUDY_HEARTBEAT_SECONDS * 1000)
    values = {"now": at, "start": int(start), "cap": max_credit_ms(), "half": interval_ms // 2,
              "window": interval_ms, "user": user_id, "module": module_id, "active": Enrolment.Status.ACTIVE,
              "per_hour": float(shixun_settings.SHIXUN_MINUTES_PER_CREDIT_HOUR), "minute": float(_minute_ms()),
              "password": password}
    with prepared_cursor() as cursor:  # planned once per connection on PostgreSQL (config.prepared)
        cursor.execute(sql, [values[name] for name in names])
        return cursor.fetchone()


def record_heartbeat(user, module: ModulePage, *, start: bool = False, at: int | None = None) -> StudyState:
    """Credit one heartbeat of an enrolled learner (the caller checked the enrolment) and report the lesson
    DONE once the minimum is reached. `at` (epoch ms) is for tests; it defaults to the server's clock.

    One UPDATE when the learner's row exists (every heartbeat but the first); the report that completes the
    lesson goes through record_activity_status, once (`lesson_reported`).
    """
    at = now_ms() if at is None else at
    row = _update(user.pk, module.pk, at, start)
    if row is None:
        # The first heartbeat on this module starts the clock. Two first beats at once: one INSERT wins and
        # the other, finding the row, is an ordinary beat.
        inserted = _insert_unless_present(
            StudyTime,
            {"user_id": user.pk, "module_id": module.pk, "active_ms": 0, "last_beat_ms": at, "beats": 1,
             "lesson_reported": False, "started_at": timezone.now(), "run_start_ms": at,
             **dict.fromkeys(("credited_beats", "gap_sum_ms", "gap_sq_sum", "short_beats", "overlap_beats",
                              "longest_run_ms"), 0)},
            unique=("user", "module"),
        )
        row = (0, False) if inserted is not None else _update(user.pk, module.pk, at, start)
    active, reported = row[:2]
    needed = required_ms(module)
    if reported or active < needed:
        return StudyState(active, needed, bool(reported))
    return _report_lesson(user, module, active, needed)


def _report_lesson(user, module: ModulePage, active: int, needed: int) -> StudyState:
    """The minimum is reached: report the lesson DONE (and so maybe complete the module), once, durably."""
    with transaction.atomic():
        progress = record_activity_status(user, module, LESSON_KEY, ActivityStatus.DONE)
        StudyTime.objects.filter(user=user, module=module).update(lesson_reported=True)
    return StudyState(active, needed, True, progress.module_completed)


class NoSuchModule(Exception):
    """The heartbeat names no live module."""


def module_for(user, module_id: int):
    """The live module with `enrolled`: whether the learner has an active enrolment in its course. One query."""
    steplen = ModulePage.steplen
    course_path = Substr(OuterRef("path"), 1, (OuterRef("depth") - Value(1)) * Value(steplen))
    enrolled = Enrolment.objects.filter(user=user, status=Enrolment.Status.ACTIVE, course__path=course_path)
    return (
        ModulePage.objects.live().defer("body").annotate(enrolled=Exists(enrolled)).filter(pk=module_id).first()
    )


def beat(user, module_id: int, *, start: bool = False, at: int | None = None) -> StudyState:
    """The heartbeat endpoint's step: check the module and the enrolment, credit, report once the minimum is met.

    Raises NoSuchModule (no live module of that id) or NotEnrolled (no active enrolment in its course);
    either way nothing is written. One statement for every beat but a learner's first on a module (see
    the module docstring); the checks are in that statement, so a learner withdrawn or a module
    unpublished a moment ago is refused, never credited.
    """
    at = now_ms() if at is None else at
    row = _update(user.pk, module_id, at, start, guarded=True)
    if row is None:  # the first beat, or a refusal: find out which with the module's read
        module = module_for(user, module_id)
        if module is None:
            raise NoSuchModule(module_id)
        if not module.enrolled:
            raise NotEnrolled
        return record_heartbeat(user, module, start=start, at=at)
    active, reported, study_minutes, credit_hours = row[:4]
    needed = round(_required_minutes(study_minutes, credit_hours) * _minute_ms())
    if reported or active < needed:
        return StudyState(active, needed, bool(reported))
    return _report_lesson(user, ModulePage.objects.get(pk=module_id), active, needed)


def lean_beat(user_id, module_id: int, *, start: bool = False, at: int | None = None,
              password: str | None = None) -> StudyState | None:
    """The lean heartbeat path's step (courses.lean_heartbeat): `beat`'s statement, only for a beat that
    cannot complete the lesson (see `_beat_sql`'s `lean`).

    None when the statement touched no row: a first beat, a refusal (no live module, not enrolled) or a
    beat that may reach the minimum. Nothing was written then; the caller hands the request to the view,
    whose `beat` decides, so every message and the lesson's report stay the view's.
    `password` (the user's password column as the caller verified the session against it): the statement
    also requires the user active with that password still (`user_check`), so the caller need not load them.
    """
    at = now_ms() if at is None else at
    row = _update(user_id, module_id, at, start, guarded=True, lean=True, password=password)
    if row is None:
        return None
    active, reported, study_minutes, credit_hours = row[:4]
    return StudyState(active, round(_required_minutes(study_minutes, credit_hours) * _minute_ms()), bool(reported))


def replay_study(user, module: ModulePage, *, start_ms: int | None = None) -> StudyState:
    """Heartbeats one cap apart from `start_ms` (default now) until the lesson is done: the study a learner
    did, for the demo data and tests. Goes through record_heartbeat, so the report and completion follow
    exactly as in the browser; a lesson already studied is left as it is."""
    at = now_ms() if start_ms is None else start_ms
    state = record_heartbeat(user, module, start=True, at=at)
    while not state.lesson_done:
        at += max_credit_ms()
        state = record_heartbeat(user, module, at=at)
    return state


def study_state(user, module: ModulePage, active_ms=None, reported=None) -> StudyState:
    """Where the learner stands on the module's lesson, without crediting anything (the page's first view).

    A caller that has read the learner's row already passes its values (None: read them here).
    """
    if active_ms is None:
        row = StudyTime.objects.filter(user=user, module=module).values_list("active_ms", "lesson_reported").first()
        active_ms, reported = row or (0, False)
    return StudyState(active_ms, required_ms(module), bool(reported))


def study_seconds_by_module(user_ids, module_ids=None) -> dict[tuple[int, int], int]:
    """{(user id, module id): active study seconds}: what transcripts and reports show beside the hours."""
    rows = StudyTime.objects.filter(user_id__in=list(user_ids))
    if module_ids is not None:
        rows = rows.filter(module_id__in=list(module_ids))
    return {(u, m): ms // 1000 for u, m, ms in rows.values_list("user_id", "module_id", "active_ms")}
