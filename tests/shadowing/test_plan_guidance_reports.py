"""The study plan, the mentor's guidance summary, the base school's report and the daily reminders."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from shixun.inbox.models import Message
from shixun.shadowing import reminders, rules, services
from shixun.shadowing.models import BaseSchool, Participant, Programme
from shixun.shadowing.services import ShadowingError, ShadowingNotPermitted

pytestmark = pytest.mark.django_db

PLAN = "第一周听课学习课堂组织，第二周上汇报课并参加教研活动。"
GUIDANCE = "每天听评课一节，指导教学设计三次，汇报课前两次磨课。"
REPORT = "本校接收跟岗教师两名，导师认真履职，听评课、磨课和教研活动均按计划完成，建议延长跟岗时间、增加同课异构。" * 2


def end_programme(shadow, days_ago=1):
    today = timezone.localdate()
    Programme.objects.filter(pk=shadow.programme.pk).update(
        start_date=today - timedelta(days=40), end_date=today - timedelta(days=days_ago)
    )
    shadow.programme.refresh_from_db()


# --- The personal study plan -------------------------------------------------------------


def test_the_teacher_writes_the_plan_and_the_mentor_reads_it(client, shadow):
    client.force_login(shadow.org.teacher)
    url = reverse("shadowing:record", args=[shadow.participant.pk, "plan"])
    assert client.post(url, {"text": PLAN}).status_code == 302
    assert Participant.objects.get(pk=shadow.participant.pk).plan == PLAN
    client.force_login(shadow.mentor)
    body = client.get(reverse("shadowing:workspace", args=[shadow.participant.pk])).content.decode()
    assert PLAN in body and 'name="text" required>' + PLAN not in body  # read, not a form
    assert client.post(url, {"text": "导师不能替学员写研修计划，这里只读。"}).status_code == 403
    assert Participant.objects.get(pk=shadow.participant.pk).plan == PLAN


def test_a_short_plan_is_refused_and_a_closed_programme_keeps_it(shadow):
    with pytest.raises(ShadowingError, match="20"):
        services.save_plan(shadow.org.teacher, shadow.participant, text="学习")
    services.save_plan(shadow.org.teacher, shadow.participant, text=PLAN)
    Programme.objects.filter(pk=shadow.programme.pk).update(status=Programme.Status.CLOSED)
    with pytest.raises(ShadowingError):
        services.save_plan(shadow.org.teacher, shadow.participant, text=PLAN + "补充")
    assert Participant.objects.get(pk=shadow.participant.pk).plan == PLAN


# --- The mentor's guidance summary ---------------------------------------------------------


def test_only_the_mentor_writes_the_guidance_and_the_appraisal_form_prints_it(client, shadow):
    with pytest.raises(ShadowingNotPermitted):
        services.save_guidance(shadow.org.teacher, shadow.participant, text=GUIDANCE)
    with pytest.raises(ShadowingNotPermitted):
        services.save_guidance(shadow.other_mentor, shadow.participant, text=GUIDANCE)
    client.force_login(shadow.mentor)
    response = client.post(reverse("shadowing:record", args=[shadow.participant.pk, "guidance"]), {"text": GUIDANCE})
    assert response.status_code == 302
    response = client.get(reverse("shadowing:form_pdf", args=[shadow.participant.pk, "appraisal"]))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) == 3
    for page in pages:
        text = "".join(page.split())
        assert "导师指导小结" in text and "每天听评课一节" in text
    client.force_login(shadow.org.teacher)
    assert GUIDANCE in client.get(reverse("shadowing:workspace", args=[shadow.participant.pk])).content.decode()


# --- The base school's report -------------------------------------------------------------


def report_url(shadow):
    return reverse("shadowing:base_report", args=[shadow.programme.pk, shadow.base.pk])


@pytest.mark.parametrize("role,status", [
    ("base_admin", 200), ("district_admin", 200), ("nominating_admin", 404), ("mentor", 404), ("teacher", 404),
    ("foreign_district_admin", 404),
])
def test_report_page_per_role(client, shadow, role, status):
    user = {"base_admin": shadow.base_admin, "district_admin": shadow.org.district_admin,
            "nominating_admin": shadow.org.school_admin, "mentor": shadow.mentor, "teacher": shadow.org.teacher,
            "foreign_district_admin": shadow.org.foreign_district_admin}[role]
    client.force_login(user)
    assert client.get(report_url(shadow)).status_code == status


def test_the_report_waits_for_the_last_day_and_closes_a_week_after(shadow):
    with pytest.raises(ShadowingError, match="最后一天|last day"):
        services.submit_base_report(shadow.base_admin, shadow.base, text=REPORT)
    end_programme(shadow, days_ago=rules.BASE_REPORT_DAYS + 1)
    with pytest.raises(ShadowingError):
        services.submit_base_report(shadow.base_admin, shadow.base, text=REPORT)
    assert not BaseSchool.objects.get(pk=shadow.base.pk).report


def test_submitted_by_the_base_school_and_listed_until_then_as_missing(client, shadow):
    end_programme(shadow)
    programme_url = reverse("shadowing:programme", args=[shadow.programme.pk])
    client.force_login(shadow.org.district_admin)
    body = client.get(programme_url).content.decode()
    assert report_url(shadow) in body and "未提交" in body
    # The district reads but does not write it; a short text is refused and writes nothing.
    assert client.post(report_url(shadow), {"text": REPORT}).status_code == 403
    client.force_login(shadow.base_admin)
    response = client.post(report_url(shadow), {"text": "很好"})
    assert response.status_code == 400 and "50" in response.content.decode()
    assert not BaseSchool.objects.get(pk=shadow.base.pk).report_submitted_at
    assert client.post(report_url(shadow), {"text": REPORT}).status_code == 302
    base = BaseSchool.objects.get(pk=shadow.base.pk)
    assert base.report == REPORT.strip() and base.report_submitted_by == shadow.base_admin
    client.force_login(shadow.org.district_admin)
    body = client.get(programme_url).content.decode()
    assert "未提交" not in body and "已提交" in body
    assert "导师认真履职" in client.get(report_url(shadow)).content.decode()


# --- Daily reminders --------------------------------------------------------------------------


def monday_in(shadow) -> date:
    day = shadow.day + timedelta(days=7)
    return day - timedelta(days=day.weekday())


def test_journal_reminder_for_the_last_working_day_once_a_day(shadow):
    monday = monday_in(shadow)
    friday = monday - timedelta(days=3)
    services.save_journal(shadow.other_teacher, shadow.other, day=friday,
                          text="听课两节，参加教研活动，学习了课堂提问的方法与技巧。" * 2)
    assert reminders.send_daily_reminders(monday) == {"journal": 1, "report": 0}
    assert reminders.send_daily_reminders(monday) == {"journal": 0, "report": 0}  # a second run sends nothing
    message = Message.objects.get(recipient=shadow.org.teacher)
    assert friday.isoformat() in str(message.params) and message.url.endswith("#journal")
    assert not Message.objects.filter(recipient=shadow.other_teacher).exists()
    # One reminder per missing day (the key holds it): Sunday's run is again about Friday and sends
    # nothing; Tuesday's is about Monday.
    assert reminders.send_daily_reminders(monday - timedelta(days=1))["journal"] == 0
    assert reminders.send_daily_reminders(monday + timedelta(days=1))["journal"] == 2


def test_no_journal_reminder_after_the_programme_or_once_closed(shadow):
    end_programme(shadow, days_ago=10)
    assert reminders.send_daily_reminders(timezone.localdate())["journal"] == 0


def test_report_reminder_in_the_last_three_days_only_without_a_report(shadow):
    end_programme(shadow)
    due = rules.report_due(shadow.programme)
    services.save_writing(shadow.other_teacher, shadow.other, kind="report", title="行动研究报告", text="研" * 1000)
    assert reminders.send_daily_reminders(due - timedelta(days=4))["report"] == 0
    assert reminders.send_daily_reminders(due - timedelta(days=3))["report"] == 1
    assert reminders.send_daily_reminders(due)["report"] == 1
    assert reminders.send_daily_reminders(due)["report"] == 0
    assert not Message.objects.filter(recipient=shadow.other_teacher).exists()
    Programme.objects.filter(pk=shadow.programme.pk).update(status=Programme.Status.CLOSED)
    assert reminders.send_daily_reminders(due - timedelta(days=1))["report"] == 0


def test_the_daily_schedule_is_registered_once(shadow):
    from django_q.models import Schedule

    reminders.register_schedules()
    reminders.register_schedules()
    schedule = Schedule.objects.get(name=reminders.SCHEDULE_NAME)
    assert schedule.func == "shixun.shadowing.reminders.send_daily_reminders"
    assert schedule.schedule_type == Schedule.DAILY
