"""The annual report's figures against a hand count on a small district (year 2025, finished)."""

from datetime import date
from decimal import Decimal

import pytest

from shixun.reports import figures
from tests.factories import make_teacher

from .conftest import credit

TODAY = date(2026, 12, 5)


def test_district_figures_match_the_hand_count(world, courses):
    data = figures.compute(world.district, 2025, today=TODAY)
    assert data["final"] and data["as_of"] == "2025-12-31"
    district = data["scopes"]["district"]
    assert district["teachers"] == 4
    assert district["participants"] == 3 and district["participation_percent"] == 75
    assert district["hours"] == 205.0
    assert district["hours_per_teacher"] == 51.3  # 205 / 4 = 51.25, half up
    assert district["by_month"] == [0, 0, 80.0, 0, 0, 0.0, 0, 0, 0, 0, 40.0, 85.0]
    assert district["by_course_category"] == [
        {"name": "师德师风", "hours": 165.0}, {"name": "Uncategorised", "hours": 40.0}
    ]
    assert district["by_teacher_category"] == [
        {"name": "在职教师", "teachers": 2, "hours": 120.0, "average": 60.0},
        {"name": "No category", "teachers": 2, "hours": 85.0, "average": 42.5},
    ]
    # Enrolments that ran in 2025: teacher, sibling and school_admin in X. Completed: 2; passed (valid): 1.
    assert (district["enrolments"], district["completions"], district["passed"]) == (3, 2, 1)
    assert (district["completion_percent"], district["pass_percent"]) == (67, 50)
    yearly, cycle = district["rules"]
    assert (yearly["applies"], yearly["complete"], yearly["behind"], yearly["percent"]) == (4, 2, 2, 50)
    assert (cycle["applies"], cycle["complete"], cycle["behind"], cycle["percent"]) == (4, 1, 3, 25)
    assert (district["not_met"], district["at_risk"], district["outstanding"]) == (3, 3, 1)
    assert data["satisfaction"] is None


def test_school_figures_and_lists(world, courses):
    o = world
    data = figures.compute(o.district, 2025, today=TODAY)
    one = data["scopes"][f"school:{o.school.pk}"]
    two = data["scopes"][f"school:{o.sibling_school.pk}"]
    assert (one["teachers"], one["participants"], one["participation_percent"], one["hours"]) == (2, 1, 50, 90.0)
    assert one["hours_per_teacher"] == 45.0
    assert (two["teachers"], two["participants"], two["hours"], two["hours_per_teacher"]) == (2, 2, 115.0, 57.5)
    assert (one["enrolments"], one["completions"], one["passed"], one["pass_percent"]) == (2, 1, 1, 100)
    assert (two["enrolments"], two["completions"], two["passed"], two["pass_percent"]) == (1, 1, 0, 0)
    assert one["by_month"][2] == 50.0 and two["by_month"][11] == 85.0

    not_met = {row["id"]: [r["name"] for r in row["rules"]] for row in data["lists"]["not_met"]}
    assert not_met == {
        o.sibling_teacher.pk: ["每年 80 学时", "五年 360 学时"],
        o.school_admin.pk: ["每年 80 学时", "五年 360 学时"],
        o.sibling_school_admin.pk: ["五年 360 学时"],
    }
    assert [row["id"] for row in data["lists"]["outstanding"]] == [o.teacher.pk]

    mine = figures.for_school(data, o.school.pk)
    assert [row["id"] for row in mine["not_met"]] == [o.school_admin.pk]
    assert mine["figures"] is one and mine["school_figures"] == []
    with pytest.raises(KeyError):
        figures.for_school(data, o.foreign_school.pk)


def test_outstanding_learners_follow_the_district_criteria(world, courses):
    from shixun.reports.models import ReportCriteria

    o = world
    criteria = ReportCriteria.objects.create(district=o.district, minimum_hours=Decimal("30"),
                                             all_requirements_met=False)
    ids = [row["id"] for row in figures.compute(o.district, 2025, today=TODAY)["lists"]["outstanding"]]
    assert ids == [o.teacher.pk, o.sibling_school_admin.pk, o.sibling_teacher.pk]  # most hours first
    criteria.minimum_grade = Decimal("80")
    criteria.save()
    # Only the teacher has a valid certificate with a grade (90); the sibling's 70 was revoked anyway.
    data = figures.compute(o.district, 2025, today=TODAY)
    assert [(row["id"], row["grade"]) for row in data["lists"]["outstanding"]] == [(o.teacher.pk, 90.0)]


def test_a_running_year_is_provisional_and_judged_on_today(world):
    o = world
    credit(o.teacher, "20", date(2026, 2, 1))
    data = figures.compute(o.district, 2026, today=date(2026, 7, 1))
    assert not data["final"] and data["as_of"] == "2026-07-01"
    # The yearly rule is due this year: every teacher short of 80 h is (provisionally) on the list.
    assert len(data["lists"]["not_met"]) == 4
    # The 2026-2030 cycle is not due; being behind its pace counts as at risk.
    assert data["scopes"]["district"]["hours"] == 20.0


def test_school_year_rule_is_judged_at_the_end_of_august(world):
    from shixun.transcripts.models import PeriodKind, RequirementRule

    o = world
    RequirementRule.objects.filter(district=o.district).update(active=False)
    RequirementRule.objects.create(
        district=o.district, name="学年 16 学时", period_kind=PeriodKind.SCHOOL_YEAR, minimum_hours=Decimal("16")
    )
    credit(o.sibling_teacher, "20", date(2024, 10, 1))  # school year 2024-25, ending 31 August 2025
    data = figures.compute(o.district, 2025, today=TODAY)
    not_met = {row["id"] for row in data["lists"]["not_met"]}
    # teacher: 50 h in March 2025 (same school year); sibling 20 + 30; sibling_school_admin's December hours
    # belong to the next school year; school_admin has none.
    assert not_met == {o.school_admin.pk, o.sibling_school_admin.pk}


def test_satisfaction_comes_from_a_registered_provider(world):
    from wagtail import hooks

    calls = []

    def provider(district, year):
        calls.append((district.pk, year))
        return [{"kind": "course", "name": "课程X", "responses": 7, "score": Decimal("4.286")},
                {"kind": "nonsense", "name": "?", "responses": 1, "score": 1}]

    with hooks.register_temporarily("register_shixun_report_satisfaction", lambda: provider):
        data = figures.compute(world.district, 2025, today=TODAY)
    assert calls == [(world.district.pk, 2025)]
    assert data["satisfaction"] == [{"kind": "course", "name": "课程X", "responses": 7, "score": 4.29}]


def test_query_count_does_not_grow_with_the_district(world, courses):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_school

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            figures.compute(world.district, 2025, today=TODAY)
        return len(ctx.captured_queries)

    small = measure()
    for n in range(6):
        school = make_school(world.district)
        for _ in range(3):
            credit(make_teacher(school, categories=("new",)), "12", date(2025, 4 + n, 1))
    assert measure() == small
    assert small <= 25


def test_progress_on_several_dates_is_progress_on_each(world):
    from django.db.models import Q

    from shixun.schools.dashboard import teachers_of
    from shixun.transcripts.services import requirement_progress_bulk, requirement_progress_on_dates

    teachers = list(teachers_of(Q(shixun_profile__school__district=world.district)))
    days = [date(2025, 7, 1), date(2025, 12, 31), date(2024, 3, 3)]
    together = requirement_progress_on_dates(teachers, days)
    for day in days:
        assert together[day] == requirement_progress_bulk(teachers, day)


def test_a_school_admin_who_does_not_teach_is_not_counted(world):
    from shixun.accounts.models import Profile

    o = world
    Profile.objects.filter(user=o.school_admin).update(also_teaches=False)
    one = figures.compute(o.district, 2025, today=TODAY)["scopes"][f"school:{o.school.pk}"]
    assert one["teachers"] == 1


def test_the_report_job_reads_a_fixed_number_of_queries(world, courses):
    """reports.jobs.run, the job itself (figures and storing them): the same queries with more schools, more
    teachers, first-year teachers with start dates (their own periods) and a category minimum."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shixun.accounts.models import TeacherCategory
    from shixun.reports import jobs
    from shixun.transcripts.models import CategoryMinimum, PeriodKind, RequirementRule
    from tests.factories import make_school
    from tests.transcripts.helpers import make_category

    induction = RequirementRule.objects.create(
        district=world.district, name="岗前 120", period_kind=PeriodKind.FIRST_YEAR, minimum_hours=Decimal("120"),
        sort_order=2,
    )
    induction.teacher_categories.set([TeacherCategory.objects.get(code="new")])
    yearly = RequirementRule.objects.get(district=world.district, name="每年 80 学时")
    CategoryMinimum.objects.create(rule=yearly, category=make_category("心理健康"), minimum_hours=Decimal("6"))

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            jobs.run(world.district.pk, 2025)
        return len(ctx.captured_queries)

    credit(make_teacher(world.school, categories=("new",), start_date=date(2024, 11, 1)), "30", date(2025, 2, 1))
    jobs.run(world.district.pk, 2025)  # the report's row is created once, by the first run
    small = measure()
    for n in range(5):
        school = make_school(world.district)
        for k in range(4):
            teacher = make_teacher(school, categories=("new",), start_date=date(2024, 3 + n, 1 + k))
            credit(teacher, "12", date(2025, 1 + n, 1))
    assert measure() == small
