"""The course's attendance rule reads unexcused absence days from attendance; the grade sheet no longer asks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from shixun.attendance import services
from shixun.attendance.models import AttendanceStatus, LeaveRequest, LeaveStatus
from shixun.transcripts import grades
from shixun.transcripts.models import Certificate, CourseAttendance, CourseCreditSettings
from tests.courses.conftest import make_module
from tests.transcripts.helpers import complete

from .conftest import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(blended):
    CourseCreditSettings.objects.create(course=blended.course, pass_mark=Decimal("60"), void_at_absent_days=2)
    # Only the three past days below count: blended's own session today (09:00-11:00) would end, and count
    # as a day of absence, once the suite runs after 11:00 local time.
    blended.session.delete()
    blended.module = make_module(blended.course, "线上学习")
    blended.days = [make_session(blended.course, blended.today - timedelta(days=n), title=f"第{n}天")
                    for n in (3, 2, 1)]
    return blended


def test_the_grade_sheet_shows_computed_days_and_ignores_typed_ones(client, graded):
    t = graded.teacher
    services.mark(graded.trainer, graded.days[0], t, AttendanceStatus.PRESENT, reason="补录")
    LeaveRequest.objects.create(session=graded.days[1], learner=t, reason="病", status=LeaveStatus.APPROVED)
    sheet = grades.build_sheet(graded.course)
    assert sheet.absence_from_sessions and not sheet.types_attendance
    by_learner = {row.learner.pk: row for row in sheet.rows}
    assert by_learner[t.pk].absent_days == 1  # day 1 absent; day 2 on approved leave; day 3 present
    assert by_learner[graded.sibling_teacher.pk].absent_days == 3
    changes, errors = grades.parse_changes(sheet, {grades.absence_field(t.pk): "0"})
    assert (changes, errors) == ([], {})  # nothing typed is read
    client.force_login(graded.trainer)
    page = client.get(reverse("transcripts:grades", args=[graded.course.pk])).content.decode()
    assert "无故缺勤天数（来自考勤）" in page and f'name="{grades.absence_field(t.pk)}"' not in page
    assert not CourseAttendance.objects.exists()


def test_two_unexcused_days_void_the_certificate_and_approved_leave_does_not(
        graded, django_capture_on_commit_callbacks):
    t, s = graded.teacher, graded.sibling_teacher
    for learner in (t, s):
        complete(learner, graded.module)
    # Nobody was marked: both have three unexcused days, so no certificate.
    assert not Certificate.objects.filter(revoked_at__isnull=True).exists()
    # The teacher was there on two days and on approved leave on the third: one certificate.
    for day in graded.days[:2]:
        services.mark(graded.trainer, day, t, AttendanceStatus.PRESENT, reason="纸质签到表", paper=True)
    LeaveRequest.objects.create(session=graded.days[2], learner=t, reason="病", status=LeaveStatus.APPROVED)
    services.mark(graded.trainer, graded.days[0], t, AttendanceStatus.PRESENT, reason="复核")  # unchanged: no-op
    from shixun.transcripts.certificates import evaluate_course

    evaluate_course(t, graded.course.pk, actor=graded.trainer)
    assert Certificate.objects.filter(learner=t, revoked_at__isnull=True).count() == 1
    assert not Certificate.objects.filter(learner=s).exists()
    # Marking the teacher absent on two days afterwards voids it (the trainer's mark re-evaluates).
    with django_capture_on_commit_callbacks(execute=True):
        services.mark(graded.trainer, graded.days[0], t, AttendanceStatus.ABSENT, reason="核对录像：未到场")
    assert Certificate.objects.get(learner=t).revoked_at is None  # one day: still valid
    with django_capture_on_commit_callbacks(execute=True):
        services.mark(graded.trainer, graded.days[1], t, AttendanceStatus.ABSENT, reason="核对录像：未到场")
    certificate = Certificate.objects.get(learner=t)
    assert certificate.revoked_at is not None and "2" in certificate.revoked_reason
