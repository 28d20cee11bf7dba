"""The read API other apps use: hours_by_learner, hours_earned, requirement_progress and its bulk variant."""

from datetime import date
from decimal import Decimal

import pytest

from shixun.accounts.models import TeacherCategory
from shixun.transcripts import requirements as req
from shixun.transcripts import services
from shixun.transcripts.ledger import post_entry, reverse_entry
from shixun.transcripts.models import CategoryMinimum, PeriodKind, RequirementRule, SourceKind
from tests.factories import make_teacher


def credit(user, hours, day, ref, category=None):
    return post_entry(
        learner=user,
        hours=Decimal(hours),
        title="培训",
        source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=ref,
        earned_on=day,
        category_id=category.pk if category else None,
    ).entry


@pytest.fixture
def rules(org):
    cycle = RequirementRule.objects.create(
        district=org.district,
        name="360",
        period_kind=PeriodKind.CYCLE,
        cycle_start_year=2021,
        cycle_years=5,
        minimum_hours=Decimal("360"),
    )
    yearly = RequirementRule.objects.create(
        district=org.district,
        name="80",
        period_kind=PeriodKind.CALENDAR_YEAR,
        minimum_hours=Decimal("80"),
    )
    induction = RequirementRule.objects.create(
        district=org.district,
        name="120",
        period_kind=PeriodKind.FIRST_YEAR,
        minimum_hours=Decimal("120"),
    )
    induction.teacher_categories.set([TeacherCategory.objects.get(code="new")])
    RequirementRule.objects.create(
        district=org.other_district,
        name="other",
        period_kind=PeriodKind.CALENDAR_YEAR,
        minimum_hours=Decimal("10"),
    )
    return cycle, yearly, induction


def test_hours_earned_nets_reversals(org):
    kept = credit(org.teacher, "10", date(2025, 3, 1), "a")
    gone = credit(org.teacher, "5", date(2025, 4, 1), "b")
    credit(org.teacher, "7", date(2024, 4, 1), "c")
    reverse_entry(gone, reason="错误", actor=org.district_admin)
    assert services.hours_earned_in_year(org.teacher, 2025) == Decimal("10")
    assert services.hours_earned(org.teacher) == Decimal("17")
    assert services.hours_earned(org.teacher, date(2025, 3, 2), None) == Decimal("0")
    assert kept.hours == Decimal("10")


def test_hours_by_learner_is_one_query_for_a_list_or_a_queryset(org, django_assert_num_queries):
    from shixun.accounts.models import User

    gone = credit(org.teacher, "5", date(2025, 4, 1), "a")
    credit(org.teacher, "10", date(2025, 3, 1), "b")
    reverse_entry(gone, reason="错误", actor=org.district_admin)
    credit(org.sibling_teacher, "3", date(2025, 12, 31), "c")
    credit(org.sibling_teacher, "4", date(2026, 1, 1), "d")  # the next period
    credit(org.foreign_teacher, "8", date(2025, 6, 1), "e")  # not asked for
    start, end = services.year_span(2025)
    people = User.objects.filter(pk__in=[org.teacher.pk, org.sibling_teacher.pk, org.school_admin.pk])
    with django_assert_num_queries(1):
        by_queryset = services.hours_by_learner(people, start, end)
    assert by_queryset == services.hours_by_learner(list(people), start, end)
    assert by_queryset == {org.teacher.pk: Decimal("10"), org.sibling_teacher.pk: Decimal("3")}  # no entry: absent
    assert services.hours_earned_in_year(org.school_admin, 2025) == Decimal("0")


def test_requirement_progress_per_rule_and_category(org, rules):
    cycle, yearly, induction = rules
    credit(org.teacher, "100", date(2022, 5, 1), "a")
    credit(org.teacher, "30", date(2025, 2, 1), "b")
    progress = {p.rule.name: p for p in services.requirement_progress(org.teacher, date(2025, 6, 30))}
    assert set(progress) == {"360", "80"}  # not a new teacher; not the other district's rule
    assert progress["360"].earned == Decimal("130.0")
    assert progress["80"].earned == Decimal("30.0")
    assert progress["80"].status == req.BEHIND

    new_teacher = make_teacher(org.school, categories=("new",), start_date=date(2024, 9, 1))
    credit(new_teacher, "120", date(2024, 10, 1), "n")
    progress = {p.rule.name: p for p in services.requirement_progress(new_teacher, date(2025, 1, 10))}
    assert progress["120"].status == req.COMPLETE


def test_category_minimum_from_the_database(org, rules):
    from tests.transcripts.helpers import make_category

    ethics = make_category("师德")
    _cycle, yearly, _induction = rules
    CategoryMinimum.objects.create(rule=yearly, category=ethics, minimum_hours=Decimal("10"))
    credit(org.teacher, "80", date(2025, 2, 1), "a")
    p = {p.rule.name: p for p in services.requirement_progress(org.teacher, date(2025, 3, 1))}["80"]
    assert p.status != req.COMPLETE and p.needed == Decimal("10.0")
    credit(org.teacher, "10", date(2025, 2, 2), "b", category=ethics)
    p = {p.rule.name: p for p in services.requirement_progress(org.teacher, date(2025, 3, 1))}["80"]
    assert p.status == req.COMPLETE


@pytest.mark.parametrize("size", [5, 40])
def test_bulk_progress_uses_a_constant_number_of_queries(org, rules, size, django_assert_num_queries):
    teachers = [
        make_teacher(org.school, categories=("in_service", "new"), start_date=date(2025, 1, 1)) for _ in range(size)
    ]
    for n, teacher in enumerate(teachers):
        credit(teacher, "10", date(2025, 2, 1), f"t{n}")
    with django_assert_num_queries(5):
        result = services.requirement_progress_bulk(teachers, date(2025, 6, 1))
    assert len(result) == size
    assert all(len(rows) == 3 for rows in result.values())
    assert all(rows[1].earned == Decimal("10.0") for rows in result.values())


def test_bulk_progress_is_progress_over_each_learners_entries(org, rules):
    """The database's period sums (transcripts.services) give exactly what requirements.progress gives over the
    learner's own entries: first years with a 29 February inside or as the start (day 365 counts or not), the
    day before and after a period, reversals, a counted category and a category minimum, several dates."""
    from django.db.models import Q

    from shixun.transcripts.services import to_rule
    from tests.transcripts.helpers import make_category

    ethics = make_category("师德")
    _cycle, yearly, _induction = rules
    CategoryMinimum.objects.create(rule=yearly, category=ethics, minimum_hours=Decimal("10"))
    RequirementRule.objects.create(
        district=org.district, name="师德 12", period_kind=PeriodKind.SCHOOL_YEAR, minimum_hours=Decimal("12"),
        counted_category=ethics,
    )
    people = []
    for n, start in enumerate([date(2024, 2, 29), date(2023, 3, 1), date(2024, 3, 1), date(2025, 1, 1), None]):
        teacher = make_teacher(org.school, categories=("in_service", "new"), start_date=start)
        people.append(teacher)
        days = [date(2024, 2, 28), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1), date(2024, 3, 1),
                date(2024, 12, 31), date(2025, 1, 1), date(2025, 8, 31), date(2025, 9, 1), date(2021, 1, 1)]
        for k, day in enumerate(days[n:] + days[:n]):
            entry = credit(teacher, str(10 + k * 7 % 13), day, f"edge-{n}-{k}", category=ethics if k % 3 else None)
            if k == 4:
                reverse_entry(entry, reason="错误", actor=org.district_admin)
    dates = [date(2024, 6, 30), date(2025, 2, 28), date(2025, 8, 31), date(2025, 12, 31)]
    found = services.requirement_progress_on_dates(
        type(org.teacher).objects.filter(Q(pk__in=[p.pk for p in people])).select_related("shixun_profile"), dates
    )
    district_rules = [to_rule(r) for r in RequirementRule.objects.filter(district=org.district).order_by(
        "sort_order", "pk")]
    for teacher in people:
        teacher.refresh_from_db()
        profile = teacher.shixun_profile
        credits = [req.Credit(e.earned_on, e.hours, e.category_id) for e in teacher.credit_entries.all()]
        categories = set(profile.categories.values_list("pk", flat=True))
        for day in dates:
            expected = [
                p for p in (
                    req.progress(rule, credits, day, start_date=profile.start_date)
                    for rule in district_rules if rule.applies_to(categories)
                ) if p is not None
            ]
            assert found[day][teacher.pk] == expected, (profile.start_date, day)


def test_hours_earned_in_year_counts_the_calendar_year_of_that_learner_only(org, django_assert_num_queries):
    # The dashboard's figure is a compiled read (issue 18): the same period and learner as hours_by_learner.
    credit(org.teacher, "2", date(2025, 1, 1), "first-day")
    credit(org.teacher, "3", date(2025, 12, 31), "last-day")
    credit(org.teacher, "4", date(2026, 1, 1), "next-year")
    credit(org.teacher, "5", date(2024, 12, 31), "year-before")
    credit(org.sibling_teacher, "6", date(2025, 6, 1), "someone-else")
    services.hours_earned_in_year(org.teacher, 2025)  # compiled on the first call
    with django_assert_num_queries(1):
        assert services.hours_earned_in_year(org.teacher, 2025) == Decimal("5")
    assert services.hours_earned_in_year(org.teacher, 2026) == Decimal("4")
    assert services.hours_earned_in_year(org.sibling_teacher, 2025) == Decimal("6")
    assert services.hours_earned_in_year(org.sibling_teacher, 2024) == Decimal("0")
    for year in (2024, 2025, 2026):
        start, end = services.year_span(year)
        assert services.hours_earned_in_year(org.teacher, year) == services.hours_by_learner(
            [org.teacher], start, end
        ).get(org.teacher.pk, Decimal("0"))
