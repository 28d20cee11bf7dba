"""The demo's blended course: sessions (one today), attendance recorded, a pending leave request; idempotent."""

import io

import pytest
from django.urls import reverse

from shixun.attendance import demo
from shixun.attendance.models import Attendance, LeaveRequest, LeaveStatus, Session

pytestmark = pytest.mark.django_db


def test_the_demo_blended_course(client):
    from django.utils import timezone

    from shixun.accounts import demo as accounts_demo
    from shixun.courses import demo as courses_demo

    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)
    demo.seed(out)
    demo.seed(out)  # a second run adds nothing
    sessions = Session.objects.filter(course__slug=demo.COURSE_SLUG)
    assert sessions.count() == 4 and sessions.filter(date=timezone.localdate()).count() == 1
    assert Attendance.objects.filter(session__in=sessions).count() == 5
    pending = LeaveRequest.objects.get(status=LeaveStatus.PENDING)
    assert pending.learner.username == "t0002"
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="gz-shiyan.admin"))
    page = client.get(reverse("attendance:leave_requests")).content.decode()
    assert "当天带学生参加区运动会" in page


def test_the_demo_blended_course_is_graded_and_posts_hours_only_when_passed(client):
    """Issue #20's "done when": the blended course's certificate and hours follow attendance and the grade."""
    from shixun.accounts import demo as accounts_demo
    from shixun.courses import demo as courses_demo
    from shixun.courses.models import CoursePage, CreditPolicy
    from shixun.transcripts import demo as transcripts_demo
    from shixun.transcripts.grades import build_sheet

    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)
    demo.seed(out)
    transcripts_demo.seed(out)
    transcripts_demo.seed(out)  # idempotent
    course = CoursePage.objects.get(slug=demo.COURSE_SLUG)
    assert course.credit_policy == CreditPolicy.ON_PASS
    assert course.credit_settings.void_at_absent_days == 2
    assert [c.name for c in course.credit_settings.components.all()] == ["研讨与评课表现", "评课报告"]
    sheet = build_sheet(course)
    assert sheet.absence_from_sessions and not sheet.types_attendance
    absent = {row.learner.username: row.absent_days for row in sheet.rows}
    assert absent["t0005"] == 1 and absent["t0001"] == 0  # t0005 missed the first session without leave
