"""The dashboard's upcoming-sessions read is compiled once with date stand-ins (issue 18): it must answer what
the ORM answers, inside the same 14-day window, for each learner their own courses' sessions only."""

from datetime import timedelta

import pytest
from django.urls import reverse

from shixun.attendance.dashboard import _UPCOMING, UPCOMING_DAYS, _upcoming
from shixun.courses.models import Enrolment

from .conftest import make_session

pytestmark = pytest.mark.django_db


def test_the_compiled_read_answers_what_the_orm_answers_at_the_window_edges(blended):
    today = blended.today
    for days, title in ((-1, "昨天"), (0, "今天稍后"), (UPCOMING_DAYS, "第十四天"), (UPCOMING_DAYS + 1, "第十五天")):
        make_session(blended.course, today + timedelta(days=days), title=title)
    last = today + timedelta(days=UPCOMING_DAYS)
    compiled = _UPCOMING.values(user_id=blended.teacher.pk, first=today, last=last)
    assert compiled == list(_upcoming(blended.teacher.pk, today, last))
    titles = [row["title"] for row in compiled]
    assert "今天稍后" in titles and "第十四天" in titles and "昨天" not in titles and "第十五天" not in titles
    assert all(row["course__title"] == blended.course.title for row in compiled)
    # Another window: the dates are parameters, not the first call's.
    later = _UPCOMING.values(user_id=blended.teacher.pk, first=today + timedelta(days=1), last=last + timedelta(days=1))
    assert [row["title"] for row in later] == ["第十四天", "第十五天"]


def test_a_learner_sees_only_the_sessions_of_courses_they_are_enrolled_in(client, blended):
    make_session(blended.course, blended.today + timedelta(days=2), title="后天的研修")
    client.force_login(blended.teacher)
    assert "后天的研修" in client.get(reverse("courses:dashboard")).content.decode()
    Enrolment.objects.filter(user=blended.teacher, course=blended.course).update(status=Enrolment.Status.WITHDRAWN)
    assert "后天的研修" not in client.get(reverse("courses:dashboard")).content.decode()  # at once
    client.force_login(blended.foreign_teacher)
    assert "后天的研修" not in client.get(reverse("courses:dashboard")).content.decode()


def test_the_compiled_my_sessions_read_answers_what_the_orm_answers(blended):
    """The learner's session page reads their active courses' sessions with the course pages, compiled once: the
    same instances (every field of the session and of its course) in the same order, each learner their own,
    a withdrawal at once."""
    from shixun.attendance.views import _MY_SESSIONS, _sessions_of

    for days, title in ((3, "三天后"), (-2, "前天"), (3, "三天后的第二场")):
        make_session(blended.course, blended.today + timedelta(days=days), title=title)

    def fields(instance):
        return {k: v for k, v in instance.__dict__.items() if not k.startswith("_")}

    def both(user):
        got, expected = _MY_SESSIONS.models(user_id=user.pk), list(_sessions_of(user.pk))
        assert [(fields(s), type(s.course), fields(s.course)) for s in got] == [
            (fields(s), type(s.course), fields(s.course)) for s in expected
        ]
        return [s.title for s in got]

    titles = both(blended.teacher)
    assert titles.index("前天") < titles.index("三天后") and "三天后的第二场" in titles
    assert both(blended.foreign_teacher) == []
    Enrolment.objects.filter(user=blended.teacher, course=blended.course).update(status=Enrolment.Status.WITHDRAWN)
    assert both(blended.teacher) == []
