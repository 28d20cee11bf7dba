"""Issue #20 with #16's inbox: a reminder the day before a session, leave decisions told to the teacher, and
what waits for the school admin (leave) and the trainer (today's sessions)."""

from datetime import timedelta

import pytest
from django.utils import translation

from shixun.attendance import services
from shixun.attendance.tasks import REMINDER_SCHEDULE
from shixun.inbox.models import Message
from shixun.inbox.pending import pending_work_for

from .conftest import make_session

pytestmark = pytest.mark.django_db


def waiting(user) -> dict:
    with translation.override("en"):
        return {item.label: item.count for item in pending_work_for(user)}


def test_the_day_before_every_enrolled_teacher_gets_one_reminder(blended):
    tomorrow = make_session(blended.course, blended.today + timedelta(days=1), title="集中培训（第二天）")
    make_session(blended.course, blended.today + timedelta(days=2), title="后天的培训")
    assert services.send_session_reminders(blended.today) == 2  # teacher and sibling teacher
    assert services.send_session_reminders(blended.today) == 0  # a schedule run twice sends nothing twice
    keys = set(Message.objects.values_list("recipient_id", "key"))
    assert keys == {(blended.teacher.pk, f"session-reminder:{tomorrow.pk}"),
                    (blended.sibling_teacher.pk, f"session-reminder:{tomorrow.pk}")}
    with translation.override("zh-hans"):
        subject = Message.objects.filter(recipient=blended.teacher).get().subject_text
    assert subject == "明天 09:00：“集中培训（第二天）”"


def test_the_reminder_runs_daily_from_django_q2():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name=REMINDER_SCHEDULE)
    assert schedule.schedule_type == Schedule.DAILY and schedule.func.endswith("send_session_reminders")


def test_leave_waits_for_the_school_and_the_decision_reaches_the_teacher(blended):
    later = make_session(blended.course, blended.today + timedelta(days=3), title="教学观摩")
    leave = services.request_leave(blended.teacher, later, "家中有事")
    assert waiting(blended.school_admin)["Leave requests to decide"] == 1
    assert "Leave requests to decide" not in waiting(blended.sibling_school_admin)
    services.decide_leave(blended.school_admin, leave, approve=False, note="当天有区级公开课")
    assert "Leave requests to decide" not in waiting(blended.school_admin)
    message = Message.objects.get(recipient=blended.teacher)
    with translation.override("zh-hans"):
        assert "未获批准" in message.subject_text and "当天有区级公开课" in message.body_text


def test_a_trainer_sees_todays_sessions_first(blended):
    assert waiting(blended.trainer)["Sessions today"] == 1
    assert "Sessions today" not in waiting(blended.other_trainer)
