"""A small district with hand-counted figures for 2025 (world, courses); pages in English."""

from datetime import date, datetime
from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone, translation


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; the Chinese catalogue is checked by platform_checks."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Pages in English for the assertions (test_translations checks the Chinese catalogue;
    test_views has one page read in Chinese)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


_refs = count(1)


def credit(teacher, hours, on, category=None):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    return post_entry(
        learner=teacher, hours=Decimal(hours), title="培训", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"report-{next(_refs)}", earned_on=on, category_id=category.pk if category else None,
    ).entry


def at(*args):
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def world(org):
    """District d-main: school one (teacher, school_admin), school two (sibling_teacher, sibling_school_admin);
    both admins also teach.

    2025, hand-counted:
    - teacher (in service): 50 h in March (师德), 40 h in November; 300 h in 2023 and 7 h in 2024 (the cycle)
    - sibling_teacher (in service): 30 h in March (师德); 10 h in June reversed
    - school_admin (no category): nothing
    - sibling_school_admin (no category): 85 h on 31 December (师德)
    - foreign_teacher (another district): 100 h, never counted
    """
    from shixun.accounts.models import Profile
    from shixun.transcripts.ledger import reverse_entry
    from shixun.transcripts.models import PeriodKind, RequirementRule
    from tests.transcripts.helpers import make_category

    # Both school admins teach classes too (Profile.also_teaches): only then are staff counted as teachers.
    Profile.objects.filter(user__in=[org.school_admin, org.sibling_school_admin]).update(also_teaches=True)

    ethics = make_category("师德师风")
    RequirementRule.objects.create(
        district=org.district, name="每年 80 学时", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("80")
    )
    RequirementRule.objects.create(
        district=org.district, name="五年 360 学时", period_kind=PeriodKind.CYCLE, cycle_start_year=2021,
        cycle_years=5, minimum_hours=Decimal("360"), sort_order=1,
    )
    credit(org.teacher, "50", date(2025, 3, 10), ethics)
    credit(org.teacher, "40", date(2025, 11, 2))
    credit(org.teacher, "300", date(2023, 5, 1))
    credit(org.teacher, "7", date(2024, 12, 31))
    credit(org.sibling_teacher, "30", date(2025, 3, 15), ethics)
    mistaken = credit(org.sibling_teacher, "10", date(2025, 6, 1))
    reverse_entry(mistaken, reason="重复登记", actor=org.district_admin)
    credit(org.sibling_school_admin, "85", date(2025, 12, 31), ethics)
    credit(org.foreign_teacher, "100", date(2025, 5, 5), ethics)
    return org


@pytest.fixture
def courses(world):
    """Course X: teacher completes and passes, sibling completes with a revoked certificate, school_admin is
    enrolled; sibling_school_admin completed in 2024 (not this year's). Course Y: school_admin withdrew in 2024,
    teacher enrolled in 2026 (neither runs in 2025)."""
    from shixun.courses.models import CourseCompletion, Enrolment
    from shixun.transcripts.models import Certificate
    from tests.transcripts.helpers import make_course

    x, _ = make_course(title="课程X")
    y, _ = make_course(title="课程Y")
    o = world
    Enrolment.objects.create(user=o.teacher, course=x, enrolled_at=at(2025, 2, 1))
    Enrolment.objects.create(user=o.sibling_teacher, course=x, enrolled_at=at(2025, 2, 1))
    Enrolment.objects.create(user=o.school_admin, course=x, enrolled_at=at(2025, 3, 1))
    Enrolment.objects.create(user=o.sibling_school_admin, course=x, enrolled_at=at(2024, 1, 1))
    Enrolment.objects.create(user=o.school_admin, course=y, enrolled_at=at(2024, 3, 1), status="withdrawn",
                             withdrawn_at=at(2024, 10, 1))
    Enrolment.objects.create(user=o.teacher, course=y, enrolled_at=at(2026, 1, 5))
    passed = CourseCompletion.objects.create(user=o.teacher, course=x, completed_at=at(2025, 4, 1))
    revoked = CourseCompletion.objects.create(user=o.sibling_teacher, course=x, completed_at=at(2025, 5, 1))
    CourseCompletion.objects.create(user=o.sibling_school_admin, course=x, completed_at=at(2024, 6, 1))
    for completion, score, revoked_at in ((passed, "90", None), (revoked, "70", at(2025, 6, 1))):
        Certificate.objects.create(
            learner=completion.user, course=x, course_completion=completion, kind="completion", course_title="课程X",
            learner_name="x", hours=Decimal("3.5"), score=Decimal(score), completed_on=completion.completed_at.date(),
            issued_on=completion.completed_at.date(), issuer="进修学校", revoked_at=revoked_at,
            revoked_reason="作弊" if revoked_at else "",
        )
    return x
