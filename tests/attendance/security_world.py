"""What the attendance rows of the security matrix need in its world (kept apart from access_rows.py: the
world is built before the matrix is imported, and the matrix imports access_rows)."""

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

SESSION_TITLE = "集中研修-SESS-5521"
LEAVE_REASON = "家中有事-LEAVE-8830"


def build_world(w) -> None:
    """A session today open all day (the teacher marked present), one next week with the teacher's pending leave."""
    from shixun.accounts.actors import SYSTEM
    from shixun.attendance import services
    from shixun.attendance.models import Session

    today = timezone.localdate()
    session = Session(course=w.course, title=SESSION_TITLE, venue="报告厅", date=today, starts_at=time(0, 5),
                      ends_at=time(23, 59), sign_in_opens=time(0, 0), sign_in_closes=time(23, 50), hours=Decimal("2"))
    services.save_session(SYSTEM, session, trainers=[w.trainer])
    upcoming = Session(course=w.course, title="下周研修", venue="报告厅", date=today + timedelta(days=7),
                       starts_at=time(9), ends_at=time(11), hours=Decimal("2"))
    services.save_session(SYSTEM, upcoming)
    services.mark(SYSTEM, session, w.teacher, "present", reason="依纸质签到表", paper=True)
    w.extra["session"] = session
    w.extra["upcoming_session"] = upcoming
    w.extra["leave"] = services.request_leave(w.teacher, upcoming, LEAVE_REASON)
