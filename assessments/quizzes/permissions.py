"""Who may see and do what with quizzes.

- A learner takes a quiz in a module of a course they are actively enrolled
  in, and sees only their own attempts.
- A course's trainers (CoursePage.trainers), course reviewers and
  superusers see the results of the course's quizzes and grade short answers.
"""

from shixun.courses.models import CoursePage
from shixun.courses.progress import is_enrolled


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_take_quiz(user, course: CoursePage) -> bool:
    return _active(user) and is_enrolled(user, course)


def sees_every_course(user) -> bool:
    return _active(user) and (user.is_superuser or user.is_reviewer)


def can_manage_course_quizzes(user, course: CoursePage) -> bool:
    if not _active(user):
        return False
    if sees_every_course(user):
        return True
    return user.is_trainer and course.trainers.filter(pk=user.pk).exists()


def can_use_quiz_results(user) -> bool:
    """May open the trainer pages at all (each page then checks the course)."""
    return _active(user) and (user.is_superuser or user.is_reviewer or user.is_trainer)


def courses_managed_by(user):
    courses = CoursePage.objects.all()
    if not can_use_quiz_results(user):
        return courses.none()
    if sees_every_course(user):
        return courses
    return courses.filter(trainers=user)


def course_of_attempt(attempt) -> CoursePage:
    """The course an attempt counts towards: the parent of its module in the page tree."""
    return CoursePage.objects.get(pk=attempt.module.get_parent().pk)


def can_grade_attempt(user, attempt) -> bool:
    """Grading a short answer belongs to whoever manages the quizzes of the attempt's course."""
    return can_manage_course_quizzes(user, course_of_attempt(attempt))


def can_view_attempt(user, attempt, course: CoursePage) -> bool:
    if not _active(user):
        return False
    return attempt.learner_id == user.pk or can_manage_course_quizzes(user, course)
