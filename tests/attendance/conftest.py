"""A blended course with a trainer, enrolled teachers and a session happening now (today, 09:00–11:00 local)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shixun.accounts.models import Role
from shixun.attendance.models import Session
from shixun.courses.models import Enrolment
from tests.courses.conftest import make_catalogue, make_course
from tests.factories import make_user


def local(day, hh, mm=0):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def make_session(course, day, *, start=time(9, 0), end=time(11, 0), **fields) -> Session:
    fields.setdefault("title", "集中培训")
    fields.setdefault("venue", "区教研室三楼")
    return Session.objects.create(course=course, date=day, starts_at=start, ends_at=end, hours=Decimal("2"), **fields)


def enrol(user, course, *, days_ago=30):
    return Enrolment.objects.create(user=user, course=course, enrolled_at=timezone.now() - timedelta(days=days_ago))


def session_open_now(course, **fields) -> Session:
    """A session that started ten minutes ago (sign-in open now) and runs for about two hours."""
    now = timezone.localtime()
    start = (now - timedelta(minutes=10)).replace(second=0, microsecond=0)
    if start.date() != now.date():  # just after midnight: start at 00:00
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = min(start + timedelta(hours=2), now.replace(hour=23, minute=59, second=0, microsecond=0))
    return make_session(course, now.date(), start=start.time(), end=end.time(), **fields)


@pytest.fixture
def blended(org):
    """org + a course trained by org.trainer with org.teacher and org.sibling_teacher enrolled, and a session."""
    course = make_course(make_catalogue(), "混合式研修", trainers=[org.trainer])
    enrol(org.teacher, course)
    enrol(org.sibling_teacher, course)
    org.course = course
    org.today = timezone.localdate()
    org.session = make_session(course, org.today)
    org.other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="othertrainer")
    return org
