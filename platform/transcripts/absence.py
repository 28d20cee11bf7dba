"""Days of unexcused absence for the attendance rule: from the attendance app when the course has sessions.

A course with scheduled sessions takes attendance in Shixun (QR sign-in, the trainer's class list,
approved leave): its days are computed there and never typed. A course without sessions keeps the
days a trainer enters on the grade sheet (CourseAttendance), for attendance taken elsewhere.
transcripts reads attendance; attendance never imports transcripts (tests/platform_checks/test_layering.py).
"""

from shixun.attendance.services import course_has_sessions, unexcused_absence_days


def computed_absence_days(course, learner_ids) -> dict[int, int] | None:
    """{learner id: days} computed from the course's sessions, or None when the course has none."""
    if not course_has_sessions(course):
        return None
    return unexcused_absence_days(course, learner_ids)
