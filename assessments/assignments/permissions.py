"""Who may see and review assignment work: the one place these rules live.

- The learner sees their own work.
- Reviewing (the queue, scoring, accepting, returning, the zip download):
  the course's trainers (CoursePage.trainers), course reviewers and site
  superusers. Being in the "trainers" group alone grants no course.
- Seeing a learner's work (the files too) additionally: the learner's school
  admin and the district admin of the learner's district, through
  accounts.permissions.can_view_person — never another school's people.
"""

from __future__ import annotations

from django.db.models import QuerySet

from shixun.accounts.people import profile_of
from shixun.accounts.permissions import can_view_person

from .models import Assignment, Submission


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_use_review_queue(user) -> bool:
    """Whether the queue is worth showing at all (the admin menu item, the queue page)."""
    return _active(user) and (user.is_superuser or profile_of(user).is_reviewer or profile_of(user).is_trainer)


def submissions_reviewable_by(user) -> QuerySet[Submission]:
    submissions = Submission.objects.all()
    if not _active(user):
        return submissions.none()
    if user.is_superuser or profile_of(user).is_reviewer:
        return submissions
    if profile_of(user).is_trainer:
        return submissions.filter(course__trainers=user)
    return submissions.none()


def queue_courses(user, reviewable: QuerySet[Submission]):
    """The courses the review queue's filter offers: those with reviewable work, and a trainer's own courses
    (which may have none yet)."""
    from shixun.courses.models import CoursePage

    if _active(user) and profile_of(user).is_trainer and not (user.is_superuser or profile_of(user).is_reviewer):
        return CoursePage.objects.filter(trainers=user)
    return CoursePage.objects.filter(pk__in=reviewable.values("course"))


def can_review_assignment(user, assignment: Assignment) -> bool:
    """Whether the user reviews work for this assignment: it is placed in (or has work handed in for)
    a course they train. Reviewers and superusers review every assignment."""
    if not _active(user):
        return False
    if user.is_superuser or profile_of(user).is_reviewer:
        return True
    if not profile_of(user).is_trainer:
        return False
    if submissions_reviewable_by(user).filter(assignment=assignment).exists():
        return True
    from shixun.courses.activities import placed_ids
    from shixun.courses.models import CoursePage, ModulePage

    for course in CoursePage.objects.filter(trainers=user):
        for module in ModulePage.objects.descendant_of(course).only("body"):
            if assignment.pk in placed_ids(module, "assignment"):
                return True
    return False


def can_review_submission(user, submission: Submission) -> bool:
    if not _active(user):
        return False
    if user.is_superuser or profile_of(user).is_reviewer:
        return True
    return profile_of(user).is_trainer and submission.course.trainers.filter(pk=user.pk).exists()


def can_view_submission(user, submission: Submission) -> bool:
    """The owner, the owner's school and district admins, and whoever may review it."""
    if not _active(user):
        return False
    if submission.learner_id == user.pk:
        return True
    if can_view_person(user, submission.learner):
        return True
    return can_review_submission(user, submission)
