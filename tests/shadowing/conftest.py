from datetime import date, timedelta

import pytest

from tests.factories import make_teacher, make_user


def weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def saturday_after(day: date) -> date:
    return day + timedelta(days=(5 - day.weekday()) % 7)


@pytest.fixture
def shadow(org):
    """A running programme in org's district: base school = org.sibling_school, one nominated teacher (org.teacher).

    Mentor `mentor` (of the base school) guides org.teacher; `other_mentor` guides `other_teacher`.
    """
    from django.utils import timezone

    from shixun.accounts.actors import SYSTEM
    from shixun.accounts.models import Role, Subject
    from shixun.shadowing import services
    from shixun.shadowing.models import BaseSchool, Place, Programme, Stage

    class S:
        pass

    s = S()
    s.org = org
    today = timezone.localdate()
    s.subject = Subject.objects.get_or_create(name="语文")[0]
    s.programme = Programme.objects.create(
        district=org.district, title="2026年骨干教师跟岗研修", start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=30),
    )
    s.programme.subjects.add(s.subject)
    s.base = BaseSchool.objects.create(programme=s.programme, school=org.sibling_school)
    Place.objects.create(base_school=s.base, subject=s.subject, places=3)
    s.base_admin = org.sibling_school_admin
    s.mentor = make_teacher(org.sibling_school, username="mentor1", full_name="李导师")
    s.other_mentor = make_teacher(org.sibling_school, username="mentor2", full_name="周导师")
    s.other_teacher = make_teacher(org.school, username="visitor2", full_name="陈来访")
    s.participant = services.nominate(
        org.school_admin, s.programme, teacher=org.teacher, school=org.school, stage=Stage.PRIMARY,
        subject=s.subject, birth_date=date(1990, 5, 1),
    )
    services.assign_mentor(s.base_admin, s.participant, s.base, s.mentor)
    s.other = services.nominate(
        SYSTEM, s.programme, teacher=s.other_teacher, school=org.school, stage=Stage.JUNIOR,
        subject=s.subject, birth_date=date(1988, 1, 1),
    )
    services.assign_mentor(SYSTEM, s.other, s.base, s.other_mentor)
    s.participant.refresh_from_db()
    s.day = weekday_on_or_after(today - timedelta(days=14))
    s.make_user = make_user
    s.Role = Role
    return s
