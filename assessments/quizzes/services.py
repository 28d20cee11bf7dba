"""Every change to a quiz attempt, one function per transition.

    start_attempt ──► IN_PROGRESS ──save_answers──► IN_PROGRESS
                           │ submit_attempt / time up (close_if_expired, sweep)
                           ▼
          AWAITING_GRADING (a short answer to grade) ──grade_item──► GRADED
                           └────────── nothing to grade ───────────► GRADED

An attempt awaiting grading already has `passed` when the automatically
graded part decides it (grading.attempt_result): a pass completes the quiz
and a fail lets the retake start at once, while the trainer still grades.

Locking: every transition of a learner's attempt first locks that learner's
Enrolment row in the course, then the attempt (always in that order, the
same order courses.progress.record_activity_status takes the enrolment), so
two tabs, a retried request or the timeout sweep are serialised per learner
and cannot deadlock each other. A transition re-reads the state under the
lock and does nothing if another request got there first: a second submit
never grades twice. The unique constraints on (learner, quiz, module,
number) and on one open attempt are the last line behind the lock.

Progress is reported only through courses.progress.record_activity_status.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.actors import recorded_person, require
from shixun.config.compiled import CompiledValues, concrete_attnames
from shixun.config.conf import shixun_settings
from shixun.config.prepared import prepared_cursor, update_row
from shixun.courses.activities import module_places
from shixun.courses.models import Enrolment, ModulePage
from shixun.courses.progress import NotEnrolled, lock_enrolment, record_activity_status

from . import grading
from .models import Attempt, AttemptQuestion, AttemptState, Question, Quiz, SelectionMode
from .permissions import can_grade_attempt


class QuizError(Exception):
    """A request the rules refuse; the message is for the learner or trainer, in their language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def grace_period() -> timedelta:
    """Slack after the deadline for a final save or submit already in flight on a slow phone network."""
    return timedelta(seconds=shixun_settings.SHIXUN_QUIZ_GRACE_SECONDS)


# --- Reading ---------------------------------------------------------------------------


def attempts_of(learner, quiz: Quiz, module: ModulePage):
    return Attempt.objects.filter(learner=learner, quiz=quiz, module=module).order_by("number")


def _attempt_rows(learner_id, quiz_id, module_id):
    return attempts_of(learner_id, quiz_id, module_id).values(*concrete_attnames(Attempt))


# The quiz panel of every module page view reads them: compiled once per connection (issue 18).
_ATTEMPTS_OF = CompiledValues(_attempt_rows, prepared=True, learner_id=-2_073_180_601, quiz_id=-2_073_180_602,
                              module_id=-2_073_180_603)


def _attempt_rows_locked(learner_id, quiz_id, module_id):
    return attempts_of(learner_id, quiz_id, module_id).select_for_update().values(*concrete_attnames(Attempt))


# The submit's reads, compiled once per connection: building their SQL cost more CPU than running them
# (bench/ANALYSIS.md, "the quiz submit's CPU"), and prepared (PostgreSQL plans them once per connection).
# The lock keeps its FOR UPDATE (compiled inside the transaction, where every caller runs it).
_ATTEMPTS_LOCKED = CompiledValues(_attempt_rows_locked, prepared=True, learner_id=-2_073_180_604,
                                  quiz_id=-2_073_180_605, module_id=-2_073_180_606)
_ATTEMPT_WITH_QUIZ_AND_MODULE = CompiledValues(
    lambda pk: Attempt.objects.select_related("quiz", "module").filter(pk=pk), prepared=True, pk=-2_073_180_607
)
_ITEMS_OF = CompiledValues(
    lambda attempt_id: AttemptQuestion.objects.filter(attempt_id=attempt_id).order_by("position")
    .values(*concrete_attnames(AttemptQuestion)),
    attempt_id=-2_073_180_608,
    prepared=True,
)


_LIVE_MODULE = CompiledValues(lambda pk: ModulePage.objects.live().filter(pk=pk), prepared=True, pk=-2_073_180_609)
_QUIZ = CompiledValues(lambda pk: Quiz.objects.filter(pk=pk), prepared=True, pk=-2_073_180_610)


def live_module_and_quiz(module_id: int, quiz_id: int) -> tuple[ModulePage | None, Quiz | None]:
    """The live module and the quiz of a quiz page's URL (None where there is none), read with SQL compiled once."""
    modules = _LIVE_MODULE.models(pk=module_id)
    if not modules:
        return None, None
    quizzes = _QUIZ.models(pk=quiz_id)
    return modules[0], (quizzes[0] if quizzes else None)


def attempt_with_quiz_and_module(attempt_id: int) -> Attempt | None:
    """`Attempt.objects.select_related("quiz", "module").get(pk=…)` (the learner's pages), or None."""
    found = _ATTEMPT_WITH_QUIZ_AND_MODULE.models(pk=attempt_id)
    return found[0] if found else None


def items_of(attempt: Attempt) -> list[AttemptQuestion]:
    """`list(attempt.items.all())`, in position order, read with SQL compiled once."""
    items = _ITEMS_OF.instances(AttemptQuestion, attempt_id=attempt.pk)
    cache = AttemptQuestion.attempt.field.set_cached_value
    for item in items:
        cache(item, attempt)
    return items


def attempts_list(learner, quiz: Quiz, module: ModulePage) -> list[Attempt]:
    """`list(attempts_of(...))`, read with SQL compiled once (for reading only: no lock, no further filter)."""
    return _ATTEMPTS_OF.instances(Attempt, learner_id=learner.pk, quiz_id=quiz.pk, module_id=module.pk)


def summaries(attempts) -> list[grading.AttemptSummary]:
    return [grading.AttemptSummary(a.number, a.state, a.percent, a.passed) for a in attempts]


def standing_of(quiz: Quiz, attempts) -> grading.Standing:
    return grading.learner_standing(
        summaries(attempts), policy=quiz.grading_policy, attempts_allowed=quiz.attempts_allowed
    )


# --- Locks ----------------------------------------------------------------------------


@dataclass
class Locked:
    """What a transition holds once it has the locks: the attempt as it is now, the learner's
    enrolment (None if there is none) and every attempt of the learner at this quiz in this
    module, in number order (the attempt among them), all read under the lock."""

    attempt: Attempt
    enrolment: Enrolment | None
    attempts: list[Attempt]


def _lock_attempt(attempt: Attempt | int) -> Locked:
    """Lock enrolment then the attempts, and return them as they are now. Must run inside an atomic block.

    Given an Attempt already loaded with its quiz and module (the views load
    it to check its owner), nothing is read twice; given an id, the attempt
    is read first. Its learner, quiz and module never change, so reading them
    before the lock is safe; its state is taken from the locked rows only.
    """
    if not isinstance(attempt, Attempt):
        attempt = Attempt.objects.select_related("quiz", "module", "learner").get(pk=attempt)
    enrolment = lock_enrolment(attempt.learner_id, attempt.module)
    attempts = _ATTEMPTS_LOCKED.instances(
        Attempt, learner_id=attempt.learner_id, quiz_id=attempt.quiz_id, module_id=attempt.module_id
    )
    locked = next(a for a in attempts if a.pk == attempt.pk)
    # Reuse the related objects already loaded; the locked row has the fresh state.
    locked.quiz, locked.module = attempt.quiz, attempt.module
    if Attempt.learner.is_cached(attempt):
        locked.learner = attempt.learner
    return Locked(locked, enrolment, attempts)


# --- Starting -----------------------------------------------------------------------------


def start_attempt(learner, quiz: Quiz, module: ModulePage, *, now: datetime | None = None, rng=None) -> Attempt:
    """Start the learner's next attempt, or return the one already open (a second click, a second tab).

    Refuses when the module does not place the quiz, the learner is not
    enrolled, the quiz is already passed, an attempt awaits grading, or no
    attempts are left.
    """
    now = now or timezone.now()
    if not module.live or not module_places(module, "quiz", quiz.pk):
        raise QuizError(_("This quiz is not part of this module."))
    # An open attempt whose time is up is submitted first, in its own
    # transaction, so a refusal below cannot roll that submission back.
    stale = next((a for a in attempts_list(learner, quiz, module) if a.is_open), None)
    if stale is not None:
        stale.quiz, stale.module = quiz, module
        close_if_expired(stale, now=now)
    try:
        with transaction.atomic():
            enrolment = lock_enrolment(learner, module)
            if enrolment is None or enrolment.status != Enrolment.Status.ACTIVE:
                raise QuizError(_("Enrol in the course before taking its quizzes."))
            attempts = _ATTEMPTS_LOCKED.instances(Attempt, learner_id=learner.pk, quiz_id=quiz.pk, module_id=module.pk)
            open_attempt = next((a for a in attempts if a.is_open), None)
            if open_attempt is not None:
                return open_attempt
            _check_may_start(quiz, attempts)
            attempt = _create_attempt(learner, quiz, module, number=len(attempts) + 1, now=now, rng=rng)
            _report_progress(learner, attempt, [*attempts, attempt], enrolment)
            return attempt
    except IntegrityError:
        # Another request created this attempt number between our read and our
        # insert (possible only where select_for_update is a no-op): theirs wins.
        existing = attempts_of(learner, quiz, module).filter(state=AttemptState.IN_PROGRESS).first()
        if existing is None:
            raise
        return existing


def _check_may_start(quiz: Quiz, attempts: list[Attempt]) -> None:
    standing = standing_of(quiz, attempts)
    if standing.status == "done":
        raise QuizError(_("You have already passed this quiz."))
    if standing.status == "waiting":
        raise QuizError(_("Your last attempt is waiting for a trainer to grade it. Please check back later."))
    if standing.attempts_left == 0:
        raise QuizError(_("You have used all your attempts at this quiz."))


def draw_questions(quiz: Quiz, rng=None) -> list[Question]:
    """The questions of a new attempt: the fixed list, or a random draw from each pool without repeats."""
    rng = rng or random.SystemRandom()
    if quiz.selection_mode == SelectionMode.FIXED:
        questions = [
            link.question
            for link in quiz.fixed_questions.select_related("question").prefetch_related("question__options")
        ]
    else:
        questions, taken = [], set()
        for pool in quiz.pools.all():
            candidates = [q for q in pool.candidates().prefetch_related("options") if q.pk not in taken]
            chosen = rng.sample(candidates, min(pool.count, len(candidates)))
            questions.extend(chosen)
            taken.update(q.pk for q in chosen)
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    return questions


def _create_attempt(learner, quiz: Quiz, module: ModulePage, *, number: int, now: datetime, rng) -> Attempt:
    rng = rng or random.SystemRandom()
    questions = draw_questions(quiz, rng)
    if not questions:
        raise QuizError(_("This quiz has no questions yet. Please tell your trainer."))
    deadline = now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    attempt = Attempt.objects.create(
        learner=learner, quiz=quiz, module=module, number=number, pass_mark_percent=quiz.pass_mark_percent,
        started_at=now, deadline=deadline,
        max_points=sum(q.points for q in questions),
    )
    items = []
    for position, question in enumerate(questions, start=1):
        options = list(question.options.all())
        if quiz.shuffle_options:
            rng.shuffle(options)
        items.append(
            AttemptQuestion(
                attempt=attempt, position=position, question=question,
                snapshot=question.snapshot(options), points_possible=question.points,
            )
        )
    AttemptQuestion.objects.bulk_create(items)
    return attempt


# --- Saving and submitting --------------------------------------------------------------


def _is_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace_period()


@dataclass(frozen=True)
class SaveOutcome:
    attempt: Attempt
    saved: bool  # False when the attempt was already closed or time was up


def save_answers(attempt_id: int | Attempt, learner, raw_answers: dict, *, now: datetime | None = None) -> SaveOutcome:
    """Autosave: validate the whole batch, then store it. Nothing is saved if any answer is invalid.

    After the deadline (plus grace) the answers are not taken; the attempt is
    submitted with what was saved before, and `saved` is False. `attempt_id`
    may be the Attempt itself, loaded with its quiz and module.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_own_attempt(attempt_id, learner)
        attempt = locked.attempt
        if not attempt.is_open:
            return SaveOutcome(attempt, saved=False)
        if _is_expired(attempt, now):
            _submit_locked(locked, now=now, auto=True)
            return SaveOutcome(attempt, saved=False)
        items = items_of(attempt)
        changed = _take_answers(items, raw_answers)
        if changed:
            _update_items(changed, ["response"])
        attempt.last_saved_at = now
        _write_attempt(attempt, ["last_saved_at"])
    return SaveOutcome(attempt, saved=True)


@dataclass(frozen=True)
class SubmitOutcome:
    attempt: Attempt
    submitted_now: bool  # False: it had already been submitted (second tab, retry)
    late: bool = False  # True: time was up, the posted answers were not taken


def submit_attempt(attempt_id: int | Attempt, learner, raw_answers: dict | None = None, *, now=None) -> SubmitOutcome:
    """Save the final answers (if any), grade, and close the attempt. Idempotent: a repeat does nothing.

    `attempt_id` may be the Attempt itself, loaded with its quiz and module
    (the view has it), so nothing is read twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_own_attempt(attempt_id, learner)
        attempt = locked.attempt
        if not attempt.is_open:
            return SubmitOutcome(attempt, submitted_now=False)
        late = _is_expired(attempt, now)
        _submit_locked(locked, now=now, auto=late, raw_answers=None if late else raw_answers)
    return SubmitOutcome(attempt, submitted_now=True, late=late)


def close_if_expired(attempt: Attempt, *, now: datetime | None = None) -> Attempt:
    """Submit an attempt whose time is up with what was saved. Called whenever the learner loads a quiz page."""
    now = now or timezone.now()
    if not attempt.is_open or not _is_expired(attempt, now):
        return attempt
    with transaction.atomic():
        locked = _lock_attempt(attempt)
        if locked.attempt.is_open and _is_expired(locked.attempt, now):
            _submit_locked(locked, now=now, auto=True)
    return locked.attempt


def close_expired_attempts(*, now: datetime | None = None) -> int:
    """The sweep (django-q2 schedule and management command): submit every attempt whose time is up."""
    now = now or timezone.now()
    cutoff = now - grace_period()
    closed = 0
    expired = Attempt.objects.filter(state=AttemptState.IN_PROGRESS, deadline__lt=cutoff).values_list("pk", flat=True)
    for attempt_id in list(expired):
        with transaction.atomic():
            locked = _lock_attempt(attempt_id)
            if locked.attempt.is_open and _is_expired(locked.attempt, now):
                _submit_locked(locked, now=now, auto=True)
                closed += 1
    return closed


def _lock_own_attempt(attempt: Attempt | int, learner) -> Locked:
    """The learner's own attempt, locked. The owner never changes, so an attempt loaded
    before the lock is checked first and another learner's attempt is never locked."""
    if isinstance(attempt, Attempt):
        _check_owner(attempt, learner)
    locked = _lock_attempt(attempt)
    _check_owner(locked.attempt, learner)
    locked.attempt.learner = learner
    return locked


def _check_owner(attempt: Attempt, learner) -> None:
    if attempt.learner_id != learner.pk:
        raise QuizError(_("This is not your attempt."))


def _take_answers(items: list[AttemptQuestion], raw_answers: dict) -> list[AttemptQuestion]:
    """Validate a batch of answers (all or nothing) and put them on the items; the items that changed."""
    by_id = {item.pk: item for item in items}
    cleaned = grading.clean_answers({pk: item.snapshot for pk, item in by_id.items()}, raw_answers)
    changed = []
    for item_id, response in cleaned.items():
        item = by_id[item_id]
        if item.response != response:
            item.response = response
            changed.append(item)
    return changed


ATTEMPT_RESULT_FIELDS = [
    "state", "submitted_at", "auto_submitted", "graded_at", "score_points", "max_points", "percent", "passed",
    "auto_points", "pending_points",
]


def _submit_locked(locked: Locked, *, now: datetime, auto: bool, raw_answers: dict | None = None) -> None:
    """Take the final answers (if any), grade every question and close the attempt.

    The caller holds the locks and checked it is open. One read of the
    items, one write of their answers and grades, one of the attempt.
    """
    attempt = locked.attempt
    assert attempt.state == AttemptState.IN_PROGRESS
    items = items_of(attempt)
    fields = ["points_awarded", "needs_manual_grading"]
    if raw_answers:
        _take_answers(items, raw_answers)
        attempt.last_saved_at = now
        fields.append("response")
    for item in items:
        grade = grading.grade_question(item.snapshot, item.response)
        item.points_awarded = grade.points
        item.needs_manual_grading = grade.needs_manual_grading
    _update_items(items, fields)
    attempt.submitted_at = now
    attempt.auto_submitted = auto
    _apply_result(attempt, items, now)
    _write_attempt(attempt, [*ATTEMPT_RESULT_FIELDS, *(["last_saved_at"] if raw_answers else [])])
    _report_progress(attempt.learner, attempt, locked.attempts, locked.enrolment)


def _update_items(items: list[AttemptQuestion], fields: list[str]) -> None:
    """Write the given fields of an attempt's items in one UPDATE.

    What bulk_update does, without its cost: bulk_update builds a Case/When
    expression tree per item and field and resolves it (about a third of a
    whole submit's CPU time for ten questions). Here each field is one
    `CASE id WHEN … THEN CAST(… AS type) … END` (PostgreSQL and SQLite
    alike); only quoted names from the model go into the SQL text, every
    value is a parameter.
    """
    if not items:
        return
    if connection.vendor == "postgresql":
        _update_items_by_arrays(items, fields)
        return
    meta = AttemptQuestion._meta
    qn = connection.ops.quote_name
    pk_column = qn(meta.pk.column)
    assignments, params = [], []
    for name in fields:
        field = meta.get_field(name)
        cast = field.cast_db_type(connection)
        whens = " ".join(f"WHEN %s THEN CAST(%s AS {cast})" for _ in items)
        assignments.append(f"{qn(field.column)} = CASE {pk_column} {whens} END")
        for item in items:
            params += [item.pk, field.get_db_prep_save(getattr(item, field.attname), connection)]
    ids = [item.pk for item in items]
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
        f"WHERE {pk_column} IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + ids)


def _update_items_by_arrays(items: list[AttemptQuestion], fields: list[str]) -> None:
    """PostgreSQL: the same UPDATE with one array per column (`FROM unnest(…)`), so its text and its
    few parameters are the same for any number of items: psycopg parses it once (it re-parsed the
    CASE form, > 50 parameters, on every submit) and PostgreSQL plans it once per connection
    (prepared). Only quoted names and types from the model go into the SQL text."""
    meta = AttemptQuestion._meta
    qn = connection.ops.quote_name
    model_fields = [meta.pk, *(meta.get_field(name) for name in fields)]
    arrays = ", ".join(f"%s::{field.cast_db_type(connection)}[]" for field in model_fields)
    columns = ", ".join(qn(field.column) for field in model_fields)
    assignments = ", ".join(f"{qn(field.column)} = v.{qn(field.column)}" for field in model_fields[1:])
    table, pk_column = qn(meta.db_table), qn(meta.pk.column)
    sql = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({columns}) "  # noqa: S608
        f"WHERE {table}.{pk_column} = v.{pk_column}"
    )
    params = [[item.pk for item in items]] + [
        [field.get_db_prep_save(getattr(item, field.attname), connection) for item in items]
        for field in model_fields[1:]
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)


def _write_attempt(attempt: Attempt, fields: list[str]) -> None:
    """`attempt.save(update_fields=fields)` as one hand-written UPDATE of the locked row (config.prepared
    `update_row`): compiling the ORM's UPDATE was ~5% of a submit's CPU (bench/ANALYSIS.md). Nothing listens
    to an Attempt's pre_save or post_save (tests/quizzes/test_write_path_queries.py checks), so nothing is
    skipped."""
    meta = Attempt._meta
    update_row(Attempt, attempt.pk, {name: getattr(attempt, meta.get_field(name).attname) for name in fields})


def _apply_result(attempt: Attempt, items: list[AttemptQuestion], now: datetime) -> None:
    result = grading.attempt_result(((i.points_awarded, i.max_points) for i in items), attempt.pass_mark_percent)
    attempt.passed = result.passed
    if result.pending:
        attempt.state = AttemptState.AWAITING_GRADING
        attempt.auto_points, attempt.pending_points = result.auto_points, result.pending_points
        return
    attempt.auto_points, attempt.pending_points = None, 0
    attempt.state = AttemptState.GRADED
    attempt.graded_at = now
    attempt.score_points, attempt.max_points = result.score, result.max_points
    attempt.percent, attempt.passed = result.percent, result.passed


# --- Manual grading ------------------------------------------------------------------------


def grade_item(item_id: int, grader, points, comment: str = "", *, now: datetime | None = None) -> AttemptQuestion:
    """A trainer grades one short answer; when it was the last one pending, the attempt is graded.

    `grader` must manage the quizzes of the attempt's course
    (permissions.can_grade_attempt; accounts.actors.SYSTEM skips the check),
    else NotPermitted and nothing is written. Regrading an already graded
    answer is allowed while the attempt still waits; once the attempt is
    graded it is final.
    """
    now = now or timezone.now()
    with transaction.atomic():
        item = AttemptQuestion.objects.select_related("attempt__module").get(pk=item_id)
        require(grader, lambda user: can_grade_attempt(user, item.attempt), _("You do not grade this course."))
        locked = _lock_attempt(item.attempt_id)
        attempt = locked.attempt
        item = AttemptQuestion.objects.select_for_update().get(pk=item_id)
        if not item.needs_manual_grading:
            raise QuizError(_("This answer does not need grading."))
        if attempt.state != AttemptState.AWAITING_GRADING:
            raise QuizError(_("This attempt has already been graded."))
        if points < 0 or points > item.max_points:
            raise QuizError(_("Give between 0 and %(max)s points.") % {"max": item.max_points})
        item.points_awarded = points
        item.graded_by = recorded_person(grader)
        item.graded_at = now
        item.grader_comment = comment
        item.save(update_fields=["points_awarded", "graded_by", "graded_at", "grader_comment"])
        items = items_of(attempt)
        _apply_result(attempt, items, now)
        _write_attempt(attempt, ATTEMPT_RESULT_FIELDS)
        if attempt.state == AttemptState.GRADED or attempt.passed is not None:
            _report_progress(attempt.learner, attempt, locked.attempts, locked.enrolment)
    return item


# --- Progress -------------------------------------------------------------------------------


def _report_progress(learner, attempt: Attempt, attempts: list[Attempt], enrolment: Enrolment | None) -> None:
    """Report the learner's standing on this quiz in this module, from the attempts read under the lock
    (`attempt` is the one just changed, in memory), with the enrolment lock the caller holds."""
    attempts = [attempt if a.pk == attempt.pk else a for a in attempts]
    standing = standing_of(attempt.quiz, attempts)
    if enrolment is None:
        return  # not enrolled (see below)
    try:
        record_activity_status(
            learner, attempt.module, attempt.activity_key, standing.status, score=standing.percent,
            locked_enrolment=enrolment,
        )
    except NotEnrolled:
        # The learner withdrew while an attempt was open: the attempt is still
        # graded and kept, but a withdrawn learner's progress is not advanced.
        pass
