"""The dashboard panel: the day-before reminder is a notice here (the in-site inbox is not built yet)."""

from datetime import date, timedelta

from django.db import connection
from django.template.loader import render_to_string

from shixun.config.compiled import CompiledValues, concrete_attnames
from shixun.courses.models import Enrolment

from .models import LeaveStatus, Session
from .permissions import courses_run_by, may_decide_leave, may_run_sessions

UPCOMING_DAYS = 14


def _upcoming(user_id, first, last):
    """The next sessions of the learner's courses (at most 10), with each course's title."""
    return (
        Session.objects.filter(
            course__enrolments__user_id=user_id, course__enrolments__status=Enrolment.Status.ACTIVE,
            date__gte=first, date__lte=last,
        )
        .order_by("date", "starts_at")
        .values(*concrete_attnames(Session), "course__title")[:10]
    )


# Read on every learner dashboard: compiled once per connection (shixun.config.compiled), as the ORM's building
# of its joins took longer than PostgreSQL's answer (issue 18).
_UPCOMING = CompiledValues(_upcoming, user_id=-2_073_180_501, first=date(1901, 2, 3), last=date(1901, 3, 4))


def sessions_panel_html(request, today) -> str:
    user = request.user
    trainer_today = []
    if may_run_sessions(user):
        trainer_today = list(
            Session.objects.filter(course__in=courses_run_by(user), date=today).select_related("course")
        )
    for session in trainer_today:
        session.course_title = session.course.title
    upcoming = []
    for row in _UPCOMING.values(user_id=user.pk, first=today, last=today + timedelta(days=UPCOMING_DAYS)):
        course_title = row.pop("course__title")
        session = Session.from_db(connection.alias, list(row), list(row.values()))
        session.course_title = course_title
        upcoming.append(session)
    pending_leave = 0
    if may_decide_leave(user):
        from .permissions import leave_requests_for

        pending_leave = leave_requests_for(user).filter(status=LeaveStatus.PENDING).count()
    if not (trainer_today or upcoming or pending_leave):
        return ""
    tomorrow = today + timedelta(days=1)
    # Rendered without the request: the panel needs none of the context processors (the header's navigation,
    # branding, CSRF), which would otherwise run a second time for the dashboard (issue 18).
    return render_to_string("shixun/attendance/dashboard_panel.html", {
        "trainer_today": trainer_today,
        "upcoming": upcoming,
        "tomorrow": [s for s in upcoming if s.date == tomorrow],
        "today": today,
        "pending_leave": pending_leave,
    })
