"""Dashboards: figures against hand-computed expectations, filters, sorting, constant query counts."""

import re
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from django.db.models import Q
from django.urls import reverse

from shixun.accounts.models import Subject, TeacherCategory
from shixun.schools import dashboard
from shixun.schools.charts import bar_chart_svg
from tests.factories import make_teacher

ON = date(2026, 7, 1)  # day 182 of 365: 80 h a year expects 39.9 h by now
_refs = count(1)


@pytest.fixture
def rules(org):
    from shixun.transcripts.models import PeriodKind, RequirementRule

    yearly = RequirementRule.objects.create(
        district=org.district, name="每年 80 学时", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("80")
    )
    cycle = RequirementRule.objects.create(
        district=org.district, name="五年 360 学时", period_kind=PeriodKind.CYCLE,
        cycle_start_year=2021, cycle_years=5, minimum_hours=Decimal("360"), sort_order=1,
    )
    return yearly, cycle


def credit(teacher, hours, on):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    post_entry(
        learner=teacher, hours=Decimal(hours), title="培训", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"test-{next(_refs)}", earned_on=on,
    )


def test_school_figures_match_a_hand_count(org, rules):
    yearly, cycle = rules
    assert org.school_admin not in {row.teacher for row in dashboard.school_dashboard(org.school, ON).rows}
    type(org.school_admin.shixun_profile).objects.filter(user=org.school_admin).update(also_teaches=True)
    credit(org.teacher, "80", date(2026, 3, 1))
    credit(org.teacher, "50", date(2025, 12, 31))  # last year and the last cycle: counts for neither
    middling = make_teacher(org.school, full_name="李中", staff_number="T010")
    credit(middling, "45", date(2026, 6, 30))
    late = make_teacher(org.school, full_name="张慢", staff_number="T011")
    credit(late, "10", date(2026, 1, 1))
    credit(org.sibling_teacher, "100", date(2026, 2, 1))  # another school: not on this dashboard

    data = dashboard.school_dashboard(org.school, ON)
    rows = {row.teacher.pk: row for row in data.rows}
    # org.school: teacher, middling, late, and the school admin only as one who also teaches (issue #16).
    assert set(rows) == {org.teacher.pk, middling.pk, late.pk, org.school_admin.pk}

    assert rows[org.teacher.pk].hours_this_year == Decimal("80")
    assert rows[org.teacher.pk].progress_by_rule[yearly.pk].status == "complete"
    # 360 h over 2026-2030 expects 35.9 h by 1 July 2026: 80 h is ahead, not complete.
    assert rows[org.teacher.pk].progress_by_rule[cycle.pk].earned == Decimal("80.0")
    assert rows[org.teacher.pk].progress_by_rule[cycle.pk].status == "on_track"
    assert rows[org.teacher.pk].status == "on_track"  # the worst of the two
    assert rows[middling.pk].progress_by_rule[yearly.pk].status == "on_track"  # 45 ≥ 39.9
    assert rows[late.pk].status == "behind"  # 10 < 39.9
    assert rows[org.school_admin.pk].hours_this_year == Decimal("0")
    assert data.status_counts == {"on_track": 2, "behind": 2}


def test_district_compliance_rate(org, rules):
    credit(org.teacher, "80", date(2026, 3, 1))  # on track (cycle), so not behind
    credit(org.sibling_teacher, "5", date(2026, 3, 1))  # behind
    make_teacher(org.sibling_school)  # behind, nothing earned
    data = dashboard.district_dashboard(org.district, ON)
    figures = {f.school.pk: f for f in data.schools}
    # school: teacher (on track); the school admin does not teach, so is not counted (issue #16) → 100 %
    assert (figures[org.school.pk].teachers, figures[org.school.pk].compliance_percent) == (1, 100)
    # sibling school: sibling teacher, a new teacher: both behind (the sibling admin is not a teacher)
    assert (figures[org.sibling_school.pk].teachers, figures[org.sibling_school.pk].compliance_percent) == (2, 0)
    assert org.foreign_school.pk not in figures
    assert data.totals.teachers == 3 and data.totals.compliance_percent == 33


def test_filters_and_sorting(org, rules):
    new = TeacherCategory.objects.get(code="new")
    maths = Subject.objects.create(name="数学")
    a = make_teacher(org.school, full_name="甲", staff_number="T100", categories=("new",))
    a.shixun_profile.subjects.add(maths)
    credit(a, "60", date(2026, 5, 1))
    b = make_teacher(org.school, full_name="乙", staff_number="T099")
    credit(b, "30", date(2026, 5, 1))

    def names(**filters):
        rows = dashboard.school_dashboard(org.school, ON, dashboard.Filters(**filters)).rows
        return [row.teacher.shixun_profile.full_name for row in rows]

    assert names(category=new.pk) == ["甲"]
    assert names(subject=maths.pk) == ["甲"]
    # 王秀英 has nothing yet
    assert set(names(status="behind")) == {"乙", "王秀英"}  # the school admin does not teach: not listed
    assert names(sort="hours", descending=True)[:2] == ["甲", "乙"]
    assert names(sort="staff_number") == ["王秀英", "乙", "甲"]
    assert dashboard.Filters.from_query({"sort": "-hours", "status": "nonsense", "category": "x"}) == dashboard.Filters(
        sort="hours", descending=True
    )


def make_course_with_completions(org, enrolled, completed):
    from wagtail.models import Page

    from shixun.courses.models import CataloguePage, CourseCompletion, CoursePage, Enrolment

    root = Page.objects.get(depth=1)
    catalogue = root.add_child(instance=CataloguePage(title="课程中心", slug=f"cat-{next(_refs)}"))
    course = catalogue.add_child(instance=CoursePage(title="师德师风建设", slug="ethics", summary="师德"))
    for teacher in enrolled:
        Enrolment.objects.create(user=teacher, course=course)
    for teacher in completed:
        CourseCompletion.objects.create(user=teacher, course=course)
    return course


def test_completion_by_course_and_its_chart(org):
    extra = make_teacher(org.school)
    course = make_course_with_completions(org, [org.teacher, extra, org.sibling_teacher], [org.teacher])
    bars = dashboard.completion_by_course(Q(user__shixun_profile__school=org.school))
    assert [(b.course_id, b.enrolled, b.completed, b.percent) for b in bars] == [(course.pk, 2, 1, 50)]
    svg = bar_chart_svg(bars, title="<完成>", detail=lambda b: f"{b.percent}%")
    assert svg.startswith("<svg") and "&lt;完成&gt;" in svg and 'width="120"' in svg  # half of 240


def test_query_count_does_not_grow_with_the_school(org, rules):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add_teachers(n):
        for _ in range(n):
            credit(make_teacher(org.school), "12", date(2026, 4, 1))

    def measure():
        with CaptureQueriesContext(connection) as school, CaptureQueriesContext(connection) as both:
            dashboard.school_dashboard(org.school, ON)
        school_queries = len(school)
        with CaptureQueriesContext(connection) as district:
            dashboard.district_dashboard(org.district, ON)
        return school_queries, len(district), both

    add_teachers(3)
    small = measure()
    add_teachers(30)
    large = measure()
    assert small[:2] == large[:2], [q["sql"] for q in large[2]]
    # measured, then locked: teachers, progress (categories, rules, sums), hours, rules, courses.
    # 14 → 12: the categories/subjects prefetch of every teacher is gone (filters are a join now).
    assert large[:2] == (12, 10)
    # Teachers are selected by subquery: no statement grows with the school (no bound id lists).
    assert max(len(q["sql"]) for q in large[2]) == max(len(q["sql"]) for q in small[2])


def test_the_table_is_paginated_while_the_figures_cover_every_teacher(client, org, rules):
    for n in range(53):
        teacher = make_teacher(org.school, full_name=f"教师{n:03d}", staff_number=f"P{n:03d}")
        if n % 2:
            credit(teacher, "60", date(2026, 5, 1))  # on track; the others are behind

    data = dashboard.school_dashboard(org.school, ON, page_number=1)
    assert dashboard.PAGE_SIZE == 50
    assert len(data.page_rows) == 50
    # org.teacher is behind too (the school admin does not teach: not counted).
    assert data.all_count == 54 and data.status_counts == {"on_track": 26, "behind": 28}
    second = dashboard.school_dashboard(org.school, ON, page_number=2)
    assert len(second.page_rows) == 4
    assert {r.teacher.pk for r in data.page_rows}.isdisjoint(r.teacher.pk for r in second.page_rows)
    # Filters and sorting apply before paging; an out-of-range page shows the last one.
    behind = dashboard.school_dashboard(
        org.school, ON, dashboard.Filters(status="behind", sort="staff_number"), page_number=99
    )
    assert behind.page.number == 1 and len(behind.page_rows) == 28
    assert [r.teacher.shixun_profile.staff_number for r in behind.page_rows] == sorted(
        r.teacher.shixun_profile.staff_number for r in behind.rows
    )

    client.force_login(org.school_admin)
    url = reverse("schools:school_dashboard", args=[org.school.code])
    response = client.get(url, {"sort": "-hours", "status": "", "page": "2"})
    page = response.content.decode()
    person_links = re.findall(r'href="[^"]*/transcript/(\d+)/"', page)
    assert len(person_links) == 4
    # The summary counts everyone (the view's date is today, so only the total is fixed here).
    shown = response.context["dashboard"]
    assert shown.all_count == 54 and sum(shown.status_counts.values()) == 54
    assert f"{shown.status_counts.get('behind', 0)}" in page
    assert "page=1" in page and "sort=-hours" in page  # the pager keeps the sort


def test_transcripts_bulk_progress_takes_a_queryset_by_subquery(org, rules):
    """The dashboard's teachers go to transcripts as a queryset: same figures as a list, no id bound,
    the same five queries at two sizes, and a queryset the caller already read is not read again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shixun.transcripts.services import requirement_progress_bulk

    def figures(progress):
        return {pk: [(p.rule.id, p.earned, p.status) for p in found] for pk, found in progress.items()}

    def measure():
        teachers = dashboard.teachers_of(Q(shixun_profile__school=org.school))
        as_list = requirement_progress_bulk(list(teachers), ON)
        list(teachers)
        with CaptureQueriesContext(connection) as queries:
            as_queryset = requirement_progress_bulk(teachers, ON)
        assert figures(as_queryset) == figures(as_list)
        return as_queryset, queries

    credit(org.teacher, "12", date(2026, 4, 1))
    small, small_queries = measure()
    assert [p.earned for p in small[org.teacher.pk]] == [Decimal("12"), Decimal("12")]
    for _ in range(12):
        credit(make_teacher(org.school), "3", date(2026, 4, 1))
    large, large_queries = measure()
    assert len(large) == len(small) + 12
    assert len(small_queries) == len(large_queries) == 5, [q["sql"] for q in large_queries]
    # Selected by subquery, not a list of ids: no statement grows with the school.
    assert [len(q["sql"]) for q in small_queries] == [len(q["sql"]) for q in large_queries]
