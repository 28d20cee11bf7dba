"""The services on a real database: sign-in, marks and their audit, leave, absence days."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError

from shixun.accounts.actors import NotPermitted
from shixun.attendance import rules, services
from shixun.attendance.models import (
    Attendance,
    AttendanceChange,
    AttendanceSource,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Session,
)
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, ModuleCompletion
from shixun.courses.progress import record_activity_status

from .conftest import enrol, local, make_session

pytestmark = pytest.mark.django_db


def _token(session, now):
    return rules.token_for(session, rules.current_step(session, now))


def test_sign_in_with_the_qr_token_records_once_and_audits(blended):
    s, now = blended.session, local(blended.today, 8, 50)
    result = services.sign_in_with_token(blended.teacher, _token(s, now), now=now)
    assert result.attendance.status == AttendanceStatus.PRESENT
    assert result.attendance.source == AttendanceSource.QR
    with pytest.raises(services.AttendanceError, match="无需重复签到|already"):
        services.sign_in_with_token(blended.teacher, _token(s, now), now=now + timedelta(seconds=5))
    assert Attendance.objects.filter(session=s).count() == 1
    change = AttendanceChange.objects.get()
    assert (change.before, change.after, change.changed_by) == ("", AttendanceStatus.PRESENT, blended.teacher)


def test_late_sign_in_is_marked_late(blended):
    now = local(blended.today, 9, 20)
    result = services.sign_in_with_token(blended.teacher, _token(blended.session, now), now=now)
    assert result.attendance.status == AttendanceStatus.LATE


@pytest.mark.parametrize("when", [(8, 0), (10, 0), (12, 0)])
def test_outside_the_window_nothing_is_written(blended, when):
    now = local(blended.today, *when)
    with pytest.raises(services.AttendanceError):
        services.sign_in_with_token(blended.teacher, _token(blended.session, now), now=now)
    assert not Attendance.objects.exists()


def test_expired_forged_and_other_session_codes_are_refused(blended):
    s, now = blended.session, local(blended.today, 9, 0)
    other = make_session(blended.course, blended.today, title="另一场")
    old = _token(s, now - timedelta(seconds=90))
    for token in (old, f"{s.pk}-{rules.current_step(s, now)}-{'0' * 20}", _token(other, now).replace(
            f"{other.pk}-", f"{s.pk}-", 1), "garbage", "999999-1-abc"):
        with pytest.raises(services.AttendanceError):
            services.sign_in_with_token(blended.teacher, token, now=now)
    assert not Attendance.objects.exists()


def test_a_teacher_not_enrolled_cannot_sign_in(blended):
    now = local(blended.today, 9, 0)
    with pytest.raises(services.AttendanceError, match="未选|not enrolled"):
        services.sign_in_with_token(blended.foreign_teacher, _token(blended.session, now), now=now)
    assert not Attendance.objects.exists()


def test_the_short_code_signs_in_to_the_teachers_session_of_today(blended):
    s, now = blended.session, local(blended.today, 9, 0)
    code = rules.short_code_for(s, rules.current_step(s, now))
    result = services.sign_in_with_short_code(blended.teacher, code, now=now)
    assert result.attendance.source == AttendanceSource.TYPED_CODE
    with pytest.raises(services.AttendanceError):
        services.sign_in_with_short_code(blended.sibling_teacher, "12345", now=now)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(services.AttendanceError):
        services.sign_in_with_short_code(blended.sibling_teacher, wrong, now=now)
    with pytest.raises(services.AttendanceError):  # right code, not enrolled: no session of theirs matches
        services.sign_in_with_short_code(blended.foreign_teacher, code, now=now)
    assert Attendance.objects.count() == 1


def test_sign_out_window_records_sign_out_once(blended):
    s = blended.session
    s.sign_out_opens, s.sign_out_closes = time(10, 50), time(11, 20)
    s.save()
    now = local(blended.today, 8, 55)
    services.sign_in_with_token(blended.teacher, _token(s, now), now=now)
    out = local(blended.today, 11, 0)
    result = services.sign_in_with_token(blended.teacher, _token(s, out), now=out)
    assert result.action == rules.SIGN_OUT and result.attendance.signed_out_at == out
    with pytest.raises(services.AttendanceError):
        services.sign_in_with_token(blended.teacher, _token(s, out), now=out)
    with pytest.raises(services.AttendanceError):  # never signed in
        services.sign_in_with_token(blended.sibling_teacher, _token(s, out), now=out)


def test_attending_completes_the_module_that_requires_the_session(blended):
    from tests.courses.conftest import make_module

    s = blended.session
    module = make_module(blended.course, "集中研修", body=[("attendance", {"session": s, "required": True})])
    record_activity_status(blended.teacher, module, LESSON_KEY, ActivityStatus.DONE)  # opened the lesson
    now = local(blended.today, 8, 55)
    services.sign_in_with_token(blended.teacher, _token(s, now), now=now)
    progress = ActivityProgress.objects.get(user=blended.teacher, module=module, activity_key=s.activity_key)
    assert progress.status == ActivityStatus.DONE
    assert ModuleCompletion.objects.filter(user=blended.teacher, module=module).exists()
    # Approved leave excuses but is not attendance: the module stays open.
    later = make_session(blended.course, blended.today + timedelta(days=3), title="第二次")
    module2 = make_module(blended.course, "第二次研修", body=[("attendance", {"session": later, "required": True})])
    leave = services.request_leave(blended.teacher, later, "家中有事")
    services.decide_leave(blended.school_admin, leave, approve=True)
    record_activity_status(blended.teacher, module2, LESSON_KEY, ActivityStatus.DONE)
    assert not ModuleCompletion.objects.filter(user=blended.teacher, module=module2).exists()


def test_a_session_ending_before_it_starts_is_refused(blended):
    bad = Session(course=blended.course, title="x", venue="y", date=blended.today, starts_at=time(10),
                  ends_at=time(9))
    with pytest.raises(ValidationError) as error:
        services.save_session(blended.trainer, bad)
    assert "ends_at" in error.value.message_dict
    assert Session.objects.count() == 1


def test_only_the_course_trainers_save_sessions(blended):
    session = Session(course=blended.course, title="x", venue="y", date=blended.today, starts_at=time(14),
                      ends_at=time(16))
    with pytest.raises(NotPermitted):
        services.save_session(blended.other_trainer, session)
    services.save_session(blended.trainer, session)
    assert (session.sign_in_opens, session.sign_in_closes) == (time(13, 30), time(14, 30))


def test_marks_after_the_session_need_a_reason_and_are_audited(blended):
    s = blended.session
    during, after = local(blended.today, 9, 30), local(blended.today, 12)
    services.mark(blended.trainer, s, blended.teacher, AttendanceStatus.PRESENT, now=during)
    with pytest.raises(services.AttendanceError, match="理由|reason"):
        services.mark(blended.trainer, s, blended.teacher, AttendanceStatus.ABSENT, now=after)
    assert Attendance.objects.get().status == AttendanceStatus.PRESENT
    services.mark(blended.trainer, s, blended.teacher, AttendanceStatus.LEFT_EARLY, reason="10点离开",
                  paper=True, now=after)
    attendance = Attendance.objects.get()
    assert (attendance.status, attendance.source) == (AttendanceStatus.LEFT_EARLY, AttendanceSource.PAPER)
    last = attendance.changes.last()
    assert (last.before, last.after, last.reason, last.changed_by, last.source) == (
        AttendanceStatus.PRESENT, AttendanceStatus.LEFT_EARLY, "10点离开", blended.trainer, AttendanceSource.PAPER)
    with pytest.raises(NotPermitted):
        services.mark(blended.other_trainer, s, blended.teacher, AttendanceStatus.ABSENT, reason="x", now=after)
    with pytest.raises(services.AttendanceError):  # on leave without an approved request
        services.mark(blended.trainer, s, blended.sibling_teacher, AttendanceStatus.ON_LEAVE, reason="x", now=after)
    with pytest.raises(services.AttendanceError):  # not enrolled
        services.mark(blended.trainer, s, blended.foreign_teacher, AttendanceStatus.PRESENT, now=during)
    assert attendance.changes.count() == 2


def test_leave_is_asked_before_the_session_and_decided_by_the_own_school(blended):
    s = blended.session
    with pytest.raises(services.AttendanceError, match="开始|started"):
        services.request_leave(blended.teacher, s, "生病", now=local(blended.today, 9, 1))
    before = local(blended.today, 7)
    with pytest.raises(services.AttendanceError):
        services.request_leave(blended.teacher, s, "   ", now=before)
    with pytest.raises(services.AttendanceError):
        services.request_leave(blended.foreign_teacher, s, "生病", now=before)
    assert not LeaveRequest.objects.exists()
    leave = services.request_leave(blended.teacher, s, "生病", now=before)
    with pytest.raises(services.AttendanceError):
        services.request_leave(blended.teacher, s, "再次", now=before)
    with pytest.raises(NotPermitted):
        services.decide_leave(blended.sibling_school_admin, leave, approve=True)
    with pytest.raises(NotPermitted):
        services.decide_leave(blended.trainer, leave, approve=True)
    services.decide_leave(blended.school_admin, leave, approve=True)
    assert LeaveRequest.objects.get().status == LeaveStatus.APPROVED
    with pytest.raises(services.AttendanceError):
        services.decide_leave(blended.school_admin, leave, approve=False)


def test_unexcused_absence_days(blended):
    course, today = blended.course, blended.today
    d1, d2, d3 = today - timedelta(days=5), today - timedelta(days=4), today - timedelta(days=3)
    morning = make_session(course, d1, title="上午")
    make_session(course, d1, title="下午", start=time(14), end=time(16))
    second = make_session(course, d2)
    third = make_session(course, d3)
    now = local(today, 8)  # today's session has not ended: it does not count
    t, s = blended.teacher, blended.sibling_teacher
    # teacher: absent both sessions of d1 (one day), present d2, approved leave d3 -> 1 day
    services.mark(blended.trainer, second, t, AttendanceStatus.PRESENT, reason="补录", paper=True, now=now)
    LeaveRequest.objects.create(session=third, learner=t, reason="病", status=LeaveStatus.APPROVED)
    # sibling: marked present at one d1 session, nothing else -> d1 (afternoon), d2, d3 = 3 days
    services.mark(blended.trainer, morning, s, AttendanceStatus.PRESENT, reason="补录", now=now)
    days = services.unexcused_absence_days(course, now=now)
    assert days == {t.pk: 1, s.pk: 3}
    # a teacher enrolled yesterday is not absent from earlier sessions
    late_joiner = blended.foreign_teacher
    enrol(late_joiner, course, days_ago=1)
    assert services.unexcused_absence_days(course, [late_joiner.pk], now=now) == {late_joiner.pk: 0}
