"""Issue #16: teachers rarely read email, so decisions and reminders also go to an in-site inbox,
with an unread count in the header."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from shixun.accounts.people import profile_of
from shixun.courses import enrolment as services
from shixun.courses.models import EnrolmentApplication, EnrolmentMode
from shixun.inbox import services as inbox
from shixun.inbox.models import Message
from shixun.schools import offline
from shixun.schools.models import ExternalTraining
from tests.courses.conftest import make_catalogue, make_course

pytestmark = pytest.mark.django_db


def unread(user) -> int:
    return type(profile_of(user)).objects.get(user=user).unread_messages


def test_one_message_per_key_and_the_count_follows(org):
    assert inbox.send(org.teacher, "k:1", "Reminder: training work is waiting for you")
    assert not inbox.send(org.teacher, "k:1", "Reminder: training work is waiting for you")  # a retried task
    inbox.send(org.teacher, "k:2", "Reminder: training work is waiting for you")
    assert Message.objects.filter(recipient=org.teacher).count() == 2 and unread(org.teacher) == 2
    inbox.mark_read(org.teacher, Message.objects.get(key="k:1"))
    assert unread(org.teacher) == 1
    inbox.mark_read(org.sibling_teacher, Message.objects.get(key="k:2"))  # not theirs: nothing
    assert unread(org.teacher) == 1
    assert inbox.mark_all_read(org.teacher) == 1 and unread(org.teacher) == 0


def test_the_header_shows_the_unread_count_and_reading_lowers_it(org, client):
    inbox.send(org.teacher, "k:1", "Your school recommended your application for “%(course)s”",
               params={"course": "新课标解读"}, url="/learn/")
    client.force_login(org.teacher)
    page = client.get(reverse("inbox:inbox"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "消息（1 条未读）" in page and "学校已推荐您报名“新课标解读”" in page
    message = Message.objects.get()
    opened = client.get(reverse("inbox:message", args=[message.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'href="/learn/"' in opened
    page = client.get(reverse("inbox:inbox"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "条未读" not in page
    # Shown in the reader's language, whatever the language it was sent in.
    client.cookies.load({"django_language": "en"})
    english = client.get(reverse("inbox:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your school recommended your application for “新课标解读”" in english


def test_someone_elses_message_is_404_and_a_foreign_link_is_not_offered(org, client):
    inbox.send(org.teacher, "k:1", "Reminder: training work is waiting for you", url="https://evil.example/")
    message = Message.objects.get()
    client.force_login(org.sibling_teacher)
    assert client.get(reverse("inbox:message", args=[message.pk])).status_code == 404
    assert unread(org.teacher) == 1
    client.force_login(org.teacher)
    assert "evil.example" not in client.get(reverse("inbox:message", args=[message.pk])).content.decode()


def test_read_all_needs_a_post(org, client):
    inbox.send(org.teacher, "k:1", "Reminder: training work is waiting for you")
    client.force_login(org.teacher)
    assert client.get(reverse("inbox:read_all")).status_code == 405
    assert client.post(reverse("inbox:read_all")).status_code == 302 and unread(org.teacher) == 0


def test_application_decisions_reach_the_inbox(org):
    course = make_course(make_catalogue(), "新课标解读", mode=EnrolmentMode.APPLICATION)
    application = services.apply(org.teacher, course, "想学习")
    services.recommend(org.school_admin, application)
    services.approve(org.district_admin, EnrolmentApplication.objects.get(pk=application.pk))
    keys = sorted(Message.objects.filter(recipient=org.teacher).values_list("key", flat=True))
    assert keys == [f"application-approved:{application.pk}", f"application-recommended:{application.pk}"]
    refused = services.apply(org.sibling_teacher, course, "想学习")
    services.refuse_at_school(org.sibling_school_admin, refused, "名额已满")
    message = Message.objects.get(recipient=org.sibling_teacher)
    assert message.params["reason"] == "名额已满"


def test_external_training_decisions_reach_the_inbox(org):
    def register(title):
        return ExternalTraining.objects.create(
            teacher=org.teacher, title=title, hours=Decimal("6"), organiser="市教科院", level="city",
            start_date=date(2026, 3, 1), end_date=date(2026, 3, 5),
        )

    offline.approve(register("市级骨干教师培训"), org.school_admin)
    offline.reject(register("暑期研修"), org.school_admin, "证书上的学时与登记不符")
    texts = {m.key.split(":")[0]: m for m in Message.objects.filter(recipient=org.teacher)}
    assert set(texts) == {"external-training-approved", "external-training-returned"}
    assert texts["external-training-returned"].params["reason"] == "证书上的学时与登记不符"
    assert unread(org.teacher) == 2
