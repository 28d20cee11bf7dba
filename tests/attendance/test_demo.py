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
