"""Reminder emails: who gets one, what it says, once per period, and the opt-out."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from shixun.schools import reminders
from shixun.schools.models import ReminderPreference, ReminderSent
from tests.factories import make_teacher

ON = date(2026, 7, 1)  # 80 h a year expects 39.9 h by now


@pytest.fixture
def yearly_rule(org):
    from shixun.transcripts.models import PeriodKind, RequirementRule

    return RequirementRule.objects.create(
        district=org.district, name="每年 80 学时", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("80")
    )


def credit(teacher, hours):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    post_entry(
        learner=teacher, hours=Decimal(hours), title="培训", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"rem-{teacher.pk}", earned_on=date(2026, 3, 1),
    )


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def test_weekly_goes_to_teachers_behind_once_a_week(org, yearly_rule, mailoutbox):
    credit(org.sibling_teacher, "50")  # on track: no email
    no_email = make_teacher(org.school, email="")  # behind, but nowhere to send
    opted_out = make_teacher(org.school)
    ReminderPreference.objects.create(user=opted_out, weekly_reminders=False)

    reminders.send_weekly_reminders(ON)
    got = recipients(mailoutbox)
    assert org.teacher.email in got
    assert org.sibling_teacher.email not in got and opted_out.email not in got and no_email.pk
    message = next(m for m in mailoutbox if m.to == [org.teacher.email])
    assert "每年 80 学时" in message.body and "/transcript/" in message.body
    assert "/schools/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    # Only teachers (school people) get the weekly email; district staff do not.
    assert org.district_admin.email not in got and org.trainer.email not in got

    count = len(mailoutbox)
    assert reminders.send_weekly_reminders(ON + timedelta(days=1)) == 0  # the same ISO week
    assert len(mailoutbox) == count
    assert reminders.send_weekly_reminders(ON + timedelta(days=7)) > 0  # next week


def test_work_due_within_seven_days_is_named_with_a_link(org, mailoutbox):
    from wagtail.models import Page

    from shixun.courses.models import CataloguePage, CoursePage, Enrolment, ModulePage

    root = Page.objects.get(depth=1)
    catalogue = root.add_child(instance=CataloguePage(title="课程中心", slug="rem-cat"))
    course = catalogue.add_child(instance=CoursePage(title="信息技术应用能力提升", slug="it", summary="IT"))
    course.add_child(instance=ModulePage(title="模块一：办公软件", slug="m1", due_date=ON + timedelta(days=3)))
    course.add_child(instance=ModulePage(title="模块二：以后再说", slug="m2", due_date=ON + timedelta(days=30)))
    Enrolment.objects.create(user=org.sibling_teacher, course=course)
    # No requirement rules at all: only the due work triggers the email.
    reminders.send_weekly_reminders(ON)
    assert recipients(mailoutbox) == [org.sibling_teacher.email]
    body = mailoutbox[0].body
    assert "模块一：办公软件" in body and "模块二" not in body


def test_monthly_digest_lists_only_the_admins_school(org, yearly_rule, mailoutbox):
    credit(org.teacher, "60")  # on track
    slow = make_teacher(org.school, full_name="张慢")
    reminders.send_monthly_digests(ON)
    digest = next(m for m in mailoutbox if m.to == [org.school_admin.email])
    assert "张慢" in digest.body and org.teacher.shixun_profile.full_name not in digest.body
    assert org.sibling_teacher.shixun_profile.full_name not in digest.body
    assert f"/schools/{org.school.code}/?status=behind" in digest.body
    assert slow.pk
    assert reminders.send_monthly_digests(ON) == 0  # once a month


def test_a_failed_send_is_tried_again_next_run(org, yearly_rule, mailoutbox, monkeypatch):
    from django.core.mail import EmailMessage

    def refuse(self, *args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(ConnectionError):
        reminders.send_weekly_reminders(ON)
    assert not ReminderSent.objects.exists()
    monkeypatch.undo()
    assert reminders.send_weekly_reminders(ON) > 0


def test_one_click_unsubscribe(client, org):
    token = reminders.unsubscribe_token(org.teacher, reminders.WEEKLY)
    url = reverse("schools:unsubscribe", args=[token])
    assert client.get(url).status_code == 200
    assert not ReminderPreference.objects.exists()  # a link scanner's GET changes nothing
    assert client.post(url).status_code == 200  # no login, no CSRF token: the signature is enough
    assert ReminderPreference.objects.get(user=org.teacher).weekly_reminders is False
    assert client.post(reverse("schools:unsubscribe", args=[token + "x"])).status_code == 400


def test_schedules_are_registered_once(db):
    from django_q.models import Schedule

    reminders.register_schedules()
    reminders.register_schedules()
    names = list(Schedule.objects.filter(name__startswith="shixun_schools.").values_list("name", flat=True))
    assert sorted(names) == [
        "shixun_schools.expire_exports",  # registered by schools.jobs (tests/schools/test_export_retention.py)
        "shixun_schools.monthly_digests",
        "shixun_schools.weekly_reminders",
    ]
