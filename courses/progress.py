"""The rules of progress and completion, in one place.

A module is complete when every required activity in it is done; its lesson
content (LESSON_KEY) is always required and is done once the learner has
studied it for the module's minimum study time (courses.study). A course is complete when every live module is.

Apps that own activities (quizzes, assignments, H5P) report a learner's
status through `record_activity_status`; nothing else writes progress. The
completion records are created exactly once (unique constraints), also under
two simultaneous requests, and announce themselves through the
`module_completed` / `course_completed` signals after commit.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from wagtail.models import Page

from shixun.config.compiled import CompiledValues
from shixun.config.prepared import prepared_cursor, update_row

from .blocks import LESSON_KEY, activity_requirements
from .models import (
    ActivityProgress,
    ActivityStatus,
    CourseCompletion,
    CoursePage,
    CreditPolicy,
    Enrolment,
    ModuleCompletion,
    ModulePage,
)
from .signals import course_completed, module_completed

SCORE_PLACES = Decimal("0.01")  # ActivityProgress.score


class NotEnrolled(Exception):
    """Progress was reported for a learner who is not enrolled in the course."""


@dataclass(frozen=True)
class Requirement:
    key: str
    required: bool


def module_requirements(module: ModulePage) -> list[Requirement]:
    """What a module asks of a learner, in page order: the lesson first, then each activity."""
    return [Requirement(LESSON_KEY, True)] + [
        Requirement(key, required) for key, required in activity_requirements(module.body)
    ]


def is_module_complete(requirements: list[Requirement], statuses: dict[str, str]) -> bool:
    return all(statuses.get(r.key) == ActivityStatus.DONE for r in requirements if r.required)


def module_progress_fraction(requirements: list[Requirement], statuses: dict[str, str]) -> float:
    required = [r for r in requirements if r.required]
    if not required:
        return 1.0
    return sum(statuses.get(r.key) == ActivityStatus.DONE for r in required) / len(required)


def is_enrolled(user, course: CoursePage) -> bool:
    return Enrolment.objects.filter(user=user, course=course, status=Enrolment.Status.ACTIVE).exists()


def is_enrolled_on_module_page(context, user, module: ModulePage) -> bool:
    """`is_enrolled(user, module's course)` for a block on the module page, from what the page has read already.

    serve_module reads the learner's active enrolment before it renders (its context's `course` and
    `enrolment`), so an activity block (quiz panel, H5P player) asks the page's context instead of the
    database. Anything else (another page, a preview, another user or course) asks the database.
    """
    request = context.get("request")
    course = context.get("course")
    if (
        "enrolment" in context
        and context.get("page") is module
        and request is not None
        and not getattr(request, "is_preview", False)
        and getattr(request, "user", None) == user
        and isinstance(course, CoursePage)
        and course.path == course_path_of(module)
    ):
        return context["enrolment"] is not None
    return is_enrolled(user, module.get_parent())


def course_path_of(module: ModulePage) -> str:
    """The tree path of a module's course: its own path minus one step (no query)."""
    return module.path[: -module.steplen]


def lock_enrolment(user, module: ModulePage) -> Enrolment | None:
    """Lock and return the learner's enrolment (active or not) in the module's course, or None. One query.

    Every progress write of one learner in one course first takes this row
    lock, so two tabs cannot interleave a check-then-complete (the unique
    constraints are the last line). The course is found by its tree path in a
    subquery, so the lock covers the enrolment row alone, not the course page.
    Must run inside an atomic block.
    """
    found = _ENROLMENT_LOCKED.models(user_id=getattr(user, "pk", user), course_path=course_path_of(module))
    return found[0] if found else None


def _enrolment_locked(user_id, course_path):
    course_id = Page.objects.filter(path=course_path).values("pk")
    return Enrolment.objects.select_for_update().filter(user=user_id, course_id=Subquery(course_id)).order_by("pk")[:1]


# The reads of every progress report, compiled once per connection (building their SQL cost more CPU
# than running them: bench/ANALYSIS.md, "the quiz submit's CPU") and prepared (planned once per
# connection on PostgreSQL). The lock keeps its FOR UPDATE.
_ENROLMENT_LOCKED = CompiledValues(_enrolment_locked, prepared=True, user_id=-2_073_180_701,
                                   course_path="~stand-in course path~")


def _progress_rows(user_id, module_id):
    """Every progress row of the learner in the module, each with whether the module is already complete."""
    return (
        ActivityProgress.objects.filter(user=user_id, module=module_id)
        .annotate(module_done=Exists(ModuleCompletion.objects.filter(user=user_id, module=module_id)))
        .values("id", "activity_key", "status", "score", "module_done")
    )


_PROGRESS_OF_MODULE = CompiledValues(_progress_rows, prepared=True, user_id=-2_073_180_702, module_id=-2_073_180_703)


def _live_modules_done(user_id, course_path, module_depth):
    return (
        ModulePage.objects.live()
        .filter(path__startswith=course_path, depth=module_depth)
        .annotate(done=Exists(ModuleCompletion.objects.filter(user=user_id, module=OuterRef("pk"))))
        .values("done")
    )


_LIVE_MODULES_DONE = CompiledValues(_live_modules_done, prepared=True, user_id=-2_073_180_704,
                                    # a positive depth: a negative one compiles to no query at all
                                    course_path="STANDINCOURSEPATH", module_depth=2_073_180_705)


def record_activity_status(
    user, module: ModulePage, activity_key: str, status: str, *, score=None, locked_enrolment: Enrolment | None = None
):
    """Record where a learner stands on one activity, then complete the module if that finished it.

    A DONE activity stays done: a later attempt (a retake after passing, a
    replayed H5P statement) never takes back what the learner achieved.
    Returns the ActivityProgress row as it now is, with `module_completed`:
    whether the module is complete for the learner after this report.

    A caller that already holds the enrolment lock in this transaction (see
    lock_enrolment) passes the row as `locked_enrolment`. Cost: the lock, one
    read of the learner's progress in the module, and only when something
    changes one write; completing the module adds the requirements, one
    INSERT and one read of the course's other modules.
    """
    if not connection.in_atomic_block:
        with transaction.atomic():
            return record_activity_status(
                user, module, activity_key, status, score=score, locked_enrolment=locked_enrolment
            )
    # Inside the caller's transaction: no savepoint (two round trips). The
    # refusal comes before any write, so a caller that catches NotEnrolled
    # keeps an intact transaction; an error while writing fails the caller's
    # whole transaction, so nothing is half-written either way.
    enrolment = locked_enrolment or lock_enrolment(user, module)
    if enrolment is None or enrolment.status != Enrolment.Status.ACTIVE:
        raise NotEnrolled(f"user {user.pk} is not enrolled in the course of module {module.pk}")
    with transaction.atomic(savepoint=False):
        module_done = False
        rows = {}
        # One read: every progress row of the learner in this module, and
        # (on each row) whether the module is already complete.
        for row in _PROGRESS_OF_MODULE.values(user_id=getattr(user, "pk", user), module_id=module.pk):
            rows[row["activity_key"]] = (row["id"], row["status"], row["score"])
            module_done = module_done or row["module_done"]
        pk, old_status, old_score = rows.get(activity_key, (None, None, None))
        new_status = old_status if old_status == ActivityStatus.DONE else status
        new_score = old_score
        score = _as_score(score)
        if score is not None and (old_score is None or score > old_score):
            new_score = score
        progress = _write_progress(user, module, activity_key, pk, new_status, new_score,
                                   changed=pk is None or (new_status, new_score) != (old_status, old_score))
        if new_status == ActivityStatus.DONE and not module_done:
            statuses = {key: row[1] for key, row in rows.items()}
            statuses[activity_key] = new_status
            if is_module_complete(module_requirements(module), statuses):
                _complete_module(user, module, enrolment.course_id)
                module_done = True  # now, or already by a request that did not take the lock
    progress.module_completed = module_done
    return progress


def _as_score(score) -> Decimal | None:
    """A score as the progress row stores it (two decimal places), so comparing with the stored one is exact."""
    if score is None:
        return None
    return Decimal(str(score) if isinstance(score, float) else score).quantize(SCORE_PLACES, ROUND_HALF_UP)


def _write_progress(user, module, activity_key, pk, status, score, *, changed: bool) -> ActivityProgress:
    """One UPDATE or one INSERT, and nothing when nothing changed."""
    progress = ActivityProgress(pk=pk, user=user, module=module, activity_key=activity_key, status=status, score=score)
    if not changed:
        return progress
    progress.updated_at = timezone.now()
    values = {"status": status, "score": score, "updated_at": progress.updated_at}
    if pk is not None:
        update_row(ActivityProgress, pk, values)
        return progress
    progress.pk = _insert_unless_present(
        ActivityProgress, {"user_id": user.pk, "module_id": module.pk, "activity_key": activity_key, **values},
        unique=("user", "module", "activity_key"),
    )
    if progress.pk is None:
        # Written since our read by a request that did not take the enrolment
        # lock: ours is the later report, so it wins (DONE still never downgrades).
        existing = ActivityProgress.objects.select_for_update().get(user=user, module=module, activity_key=activity_key)
        if existing.status == ActivityStatus.DONE:
            values["status"] = progress.status = ActivityStatus.DONE
        if existing.score is not None and (score is None or existing.score > score):
            values["score"] = progress.score = existing.score
        update_row(ActivityProgress, existing.pk, values)
        progress.pk = existing.pk
    return progress


def complete_module_if_finished(user, module: ModulePage, course: CoursePage) -> ModuleCompletion | None:
    """Complete the module if every required activity is done (repairs and tests; record_activity_status
    does this itself). Returns the completion, new or existing, or None."""
    statuses = dict(
        ActivityProgress.objects.filter(user=user, module=module).values_list("activity_key", "status")
    )
    if not is_module_complete(module_requirements(module), statuses):
        return None
    return _complete_module(user, module, course.pk) or ModuleCompletion.objects.get(user=user, module=module)


def _complete_module(user, module: ModulePage, course_id: int) -> ModuleCompletion | None:
    """Record the module's completion once; None if it was already recorded.

    INSERT … ON CONFLICT DO NOTHING: the unique constraint decides in the
    same statement, without a read first or a savepoint, and only the
    request that inserted the row announces it (after commit) and goes on
    to check the course.
    """
    completion = ModuleCompletion(
        user=user, module=module, course_id=course_id, credit_hours=module.credit_hours, completed_at=timezone.now()
    )
    # The course's credit policy is read by the INSERT itself (a scalar
    # subquery on the course's live row), so recording it costs no query.
    course_table = connection.ops.quote_name(CoursePage._meta.db_table)
    course_pk = connection.ops.quote_name(CoursePage._meta.pk.column)
    policy = connection.ops.quote_name(CoursePage._meta.get_field("credit_policy").column)
    completion.pk = _insert_unless_present(
        ModuleCompletion,
        {"user_id": user.pk, "module_id": module.pk, "course_id": course_id,
         "credit_hours": completion.credit_hours, "completed_at": completion.completed_at},
        unique=("user", "module"),
        computed={
            "hours_on_pass": (
                f"COALESCE((SELECT {policy} = %s FROM {course_table} WHERE {course_pk} = %s), FALSE)",  # noqa: S608
                [CreditPolicy.ON_PASS.value, course_id],
            )
        },
    )
    if completion.pk is None:
        return None
    transaction.on_commit(lambda: module_completed.send(sender=ModuleCompletion, completion=completion))
    if _every_live_module_completed(user, course_path_of(module), module.depth):
        _complete_course(user, course_id)
    return completion


def complete_course_if_finished(user, course: CoursePage) -> CourseCompletion | None:
    if not course.path or not _every_live_module_completed(user, course.path, course.depth + 1):
        return None
    return _complete_course(user, course.pk) or CourseCompletion.objects.get(user=user, course=course)


def _every_live_module_completed(user, course_path: str, module_depth: int) -> bool:
    """One query: the course has live modules and the learner completed each of them."""
    rows = _LIVE_MODULES_DONE.values(
        user_id=getattr(user, "pk", user), course_path=course_path, module_depth=module_depth
    )
    done = [row["done"] for row in rows]
    return bool(done) and all(done)


def _complete_course(user, course_id: int) -> CourseCompletion | None:
    completion = CourseCompletion(user=user, course_id=course_id, completed_at=timezone.now())
    completion.pk = _insert_unless_present(
        CourseCompletion,
        {"user_id": user.pk, "course_id": course_id, "completed_at": completion.completed_at},
        unique=("user", "course"),
    )
    if completion.pk is None:
        return None
    transaction.on_commit(lambda: course_completed.send(sender=CourseCompletion, completion=completion))
    return completion


def _insert_unless_present(
    model, values: dict, *, unique: tuple[str, ...], computed: dict[str, tuple[str, list]] | None = None
) -> int | None:
    """INSERT one row unless its unique key is taken; the new primary key, or None. One query.

    ON CONFLICT DO NOTHING … RETURNING (PostgreSQL, SQLite ≥ 3.35): unlike
    get_or_create it needs no read first and no savepoint, and a conflict
    does not abort the transaction. Only quoted names from the model go
    into the SQL text; every value is a parameter.
    """
    meta = model._meta
    qn = connection.ops.quote_name
    computed = computed or {}
    fields = [meta.get_field(name) for name in values]
    columns = ", ".join(qn(field.column) for field in [*fields, *(meta.get_field(name) for name in computed)])
    params = [field.get_db_prep_save(values[name], connection) for name, field in zip(values, fields, strict=True)]
    placeholders = ["%s"] * len(fields)
    for expression, expression_params in computed.values():
        # `computed`: SQL expressions written by the caller from model
        # metadata (no user text), with their values as parameters.
        placeholders.append(expression)
        params.extend(expression_params)
    conflict = ", ".join(qn(meta.get_field(name).column) for name in unique)
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({', '.join(placeholders)}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {qn(meta.pk.column)}"
    )
    with prepared_cursor() as cursor:  # planned once per connection on PostgreSQL (config.prepared)
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
