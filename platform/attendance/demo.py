"""Demo blended course: 课堂观察与评课（混合式研修） "hunhe-guancha" (trainer1), with sessions.

Sessions: one three days ago (attendance recorded: t0001–t0004 present from the paper sheet, t0005
absent, t0006 on approved leave), one TODAY 08:00–23:59 with sign-in open from 00:00 to 23:50 (so
trainer1 can show the code and a teacher can sign in whenever the demo runs; after 08:00 it is
"late"), one tomorrow (the dashboard reminds the enrolled teachers), one next week with a pending
leave request of t0002 for gz-shiyan.admin to decide.
Enrolled: t0001–t0006. The module "集中研修" requires attendance at today's session.

Idempotent: the course, sessions (by title), marks and leave requests are created only when missing.
"""

from datetime import time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from shixun.accounts.actors import SYSTEM
from shixun.courses.models import CoursePage, Enrolment, EnrolmentSource, ModulePage

from . import services
from .models import Attendance, AttendanceStatus, LeaveRequest, LeaveStatus, Session, SessionKind

User = get_user_model()

COURSE_SLUG = "hunhe-guancha"
TEACHERS = [f"t{n:04d}" for n in range(1, 7)]


def _course(today):
    from shixun.courses.demo import _catalogue, _child, _publish_new

    catalogue = _catalogue()
    course = _child(catalogue, CoursePage, COURSE_SLUG)
    if course is None:
        course = _publish_new(catalogue, CoursePage(
            title="课堂观察与评课（混合式研修）", slug=COURSE_SLUG,
            summary="线上学习课堂观察方法，线下集中研修听课评课；考勤计入结业。",
            starts_on=today - timedelta(days=7), ends_on=today + timedelta(days=14),
        ))
        trainer = User.objects.filter(username="trainer1").first()
        if trainer:
            course.trainers.add(trainer)
            course.save_revision().publish()
    return course


def _session(course, title, day, start, end, **fields):
    session = Session.objects.filter(course=course, title=title).first()
    if session is None:
        session = Session(course=course, title=title, date=day, starts_at=start, ends_at=end,
                          hours=fields.pop("hours", Decimal("4")), **fields)
        services.save_session(SYSTEM, session, trainers=list(course.trainers.all()))
    return session


def seed(stdout):
    from shixun.courses.demo import _child, _publish_new

    today = timezone.localdate()
    course = _course(today)
    teachers = list(User.objects.filter(username__in=TEACHERS).order_by("username"))
    for teacher in teachers:
        Enrolment.objects.get_or_create(user=teacher, course=course, defaults={
            "source": EnrolmentSource.ASSIGNED, "enrolled_at": timezone.now() - timedelta(days=10)})
    past = _session(course, "开班集中研修：课堂观察量表", today - timedelta(days=3), time(8, 30), time(12),
                    venue="甘州区教师进修学校 301 教室")
    current = _session(course, "集中研修：听课与评课", today, time(8), time(23, 59), venue="甘州区实验小学报告厅",
                       sign_in_opens=time(0, 0), sign_in_closes=time(23, 50))
    _session(course, "线上直播：评课议课方法", today + timedelta(days=1), time(19), time(20, 30),
             kind=SessionKind.ONLINE, meeting_link="https://meeting.example.cn/j/123456", hours=Decimal("1.5"))
    next_week = _session(course, "校本研修：同课异构", today + timedelta(days=7), time(14), time(17),
                         kind=SessionKind.SCHOOL_BASED, venue="各校教研室")
    if _child(course, ModulePage, "hunhe-jizhong") is None:
        _publish_new(course, ModulePage(
            title="集中研修", slug="hunhe-jizhong", credit_hours=Decimal("4"),
            introduction="到场参加集中研修并扫码签到。",
            body=[("paragraph", "<p>请按时到场，扫描培训者展示的二维码签到。</p>"),
                  ("attendance", {"session": current, "required": True})],
        ))
    by_name = {t.username: t for t in teachers}
    if not Attendance.objects.filter(session=past).exists():
        now = timezone.now()
        for username in ("t0001", "t0002", "t0003", "t0004"):
            if username in by_name:
                services.mark(SYSTEM, past, by_name[username], AttendanceStatus.PRESENT,
                              reason="依纸质签到表补录", paper=True, now=now)
        if "t0005" in by_name:
            services.mark(SYSTEM, past, by_name["t0005"], AttendanceStatus.ABSENT, reason="未到场，未请假", now=now)
        if "t0006" in by_name:
            LeaveRequest.objects.get_or_create(
                session=past, learner=by_name["t0006"], defaults={
                    "reason": "参加市级教学比赛", "status": LeaveStatus.APPROVED,
                    "requested_at": now - timedelta(days=5), "decided_at": now - timedelta(days=4),
                    "decided_by": User.objects.filter(username="gz-shiyan.admin").first()})
    if "t0002" in by_name and not LeaveRequest.objects.filter(session=next_week, learner=by_name["t0002"]).exists():
        services.request_leave(by_name["t0002"], next_week, "当天带学生参加区运动会，申请请假。")
    stdout.write(f"attendance: {course.title}, "
                 f"{Session.objects.filter(course=course).count()} sessions, "
                 f"{LeaveRequest.objects.filter(session__course=course, status=LeaveStatus.PENDING).count()} "
                 "pending leave request(s)")
    return []
