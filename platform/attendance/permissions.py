"""Who may run a course's sessions, sign in, ask for leave and decide it."""

from shixun.accounts.people import profile_of


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_run_course_sessions(user, course) -> bool:
    """The course's own trainers (Course.trainers) and superusers schedule sessions and take attendance."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return profile_of(user).is_trainer and course.trainers.filter(pk=user.pk).exists()


def courses_run_by(user):
    """The courses whose sessions this user may manage."""
    from shixun.courses.models import CoursePage

    courses = CoursePage.objects.all()
    if not _active(user):
        return courses.none()
    if user.is_superuser:
        return courses
    if not profile_of(user).is_trainer:
        return courses.none()
    return courses.filter(trainers=user)


def may_run_sessions(user) -> bool:
    """Whether the trainer pages are worth showing at all (each course then checks can_run_course_sessions)."""
    return _active(user) and (user.is_superuser or profile_of(user).is_trainer)


def can_decide_leave(user, leave) -> bool:
    """The admin of the teacher's own school (and superusers) approves or refuses leave."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    profile = profile_of(user)
    return profile.is_school_admin and profile_of(leave.learner).school_id == profile.school_id


def may_decide_leave(user) -> bool:
    return _active(user) and (user.is_superuser or profile_of(user).is_school_admin)


def leave_requests_for(user):
    """The leave requests this user may decide: their school's teachers' (every one for a superuser)."""
    from .models import LeaveRequest

    requests = LeaveRequest.objects.all()
    if not may_decide_leave(user):
        return requests.none()
    if user.is_superuser:
        return requests
    return requests.filter(learner__shixun_profile__school_id=profile_of(user).school_id)
