"""The dashboard panel: the day-before reminder is a notice here (the in-site inbox is not built yet)."""

from datetime import timedelta

from django.template.loader import render_to_string

from shixun.courses.models import Enrolment

from .models import LeaveStatus, Session
from .permissions import courses_run_by, may_decide_leave, may_run_sessions

UPCOMING_DAYS = 14


def sessions_panel_html(request, today) -> str:
    user = request.user
    trainer_today = []
    if may_run_sessions(user):
        trainer_today = list(
            Session.objects.filter(course__in=courses_run_by(user), date=today).select_related("course")
        )
    upcoming = list(
        Session.objects.filter(
            course__enrolments__user=user, course__enrolments__status=Enrolment.Status.ACTIVE,
            date__gte=today, date__lte=today + timedelta(days=UPCOMING_DAYS),
        ).select_related("course").order_by("date", "starts_at")[:10]
    )
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
