"""The rules of progress and completion, in one place.

A module is complete when every required activity in it is done; its lesson
content (LESSON_KEY) is always required and is done once the learner has
opened the module. A course is complete when every live module is.

Apps that own activities (quizzes, assignments, H5P) report a learner's
status through `record_activity_status`; nothing else writes progress. The
completion records are created exactly once (unique constraints), also under
two simultaneous requests, and announce themselves through the
`module_completed` / `course_completed` signals after commit.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .blocks import LESSON_KEY, activity_requirements
from .models import (
    ActivityProgress,
    ActivityStatus,
    CourseCompletion,
    CoursePage,
    Enrolment,
    ModuleCompletion,
    ModulePage,
)
from .signals import course_completed, module_completed


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


def record_activity_status(user, module: ModulePage, activity_key: str, status: str, *, score=None):
    """Record where a learner stands on one activity, then complete the module if that finished it.

    A DONE activity stays done: a later attempt (a retake after passing, a
    replayed H5P statement) never takes back what the learner achieved.
    Returns the ActivityProgress row.
    """
    course = CoursePage.objects.get(pk=module.get_parent().pk)
    with transaction.atomic():
        # Lock the enrolment row: it serialises all progress writes of one
        # learner in one course, so two tabs cannot interleave a
        # check-then-complete (the unique constraints are the last line).
        enrolment = (
            Enrolment.objects.select_for_update()
            .filter(user=user, course=course, status=Enrolment.Status.ACTIVE)
            .first()
        )
        if enrolment is None:
            raise NotEnrolled(f"user {user.pk} is not enrolled in course {course.pk}")
        progress, _ = ActivityProgress.objects.get_or_create(user=user, module=module, activity_key=activity_key)
        if progress.status != ActivityStatus.DONE:
            progress.status = status
        if score is not None and (progress.score is None or Decimal(score) > progress.score):
            progress.score = score
        progress.save()
        if progress.status == ActivityStatus.DONE:
            complete_module_if_finished(user, module, course)
    return progress


def complete_module_if_finished(user, module: ModulePage, course: CoursePage) -> ModuleCompletion | None:
    statuses = dict(
        ActivityProgress.objects.filter(user=user, module=module).values_list("activity_key", "status")
    )
    if not is_module_complete(module_requirements(module), statuses):
        return None
    completion, created = _record_module_completion(user, module, course)
    if created:
        complete_course_if_finished(user, course)
    return completion


def _record_module_completion(user, module: ModulePage, course: CoursePage):
    completion, created = ModuleCompletion.objects.get_or_create(
        user=user,
        module=module,
        defaults={"course": course, "credit_hours": module.credit_hours, "completed_at": timezone.now()},
    )
    if created:
        transaction.on_commit(lambda: module_completed.send(sender=ModuleCompletion, completion=completion))
    return completion, created


def complete_course_if_finished(user, course: CoursePage) -> CourseCompletion | None:
    module_ids = set(course.live_modules().values_list("pk", flat=True))
    if not module_ids:
        return None
    done = set(
        ModuleCompletion.objects.filter(user=user, module_id__in=module_ids).values_list("module_id", flat=True)
    )
    if done != module_ids:
        return None
    completion, created = CourseCompletion.objects.get_or_create(user=user, course=course)
    if created:
        transaction.on_commit(lambda: course_completed.send(sender=CourseCompletion, completion=completion))
    return completion
