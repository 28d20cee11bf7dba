"""One district's requirement rules are read by compiled SQL (issue 18): the same rules as the ORM's reads."""

import dataclasses
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shixun.accounts.models import TeacherCategory
from shixun.transcripts import services
from shixun.transcripts.models import CategoryMinimum, PeriodKind, RequirementRule
from tests.transcripts.helpers import make_category

pytestmark = pytest.mark.django_db


def orm_rules(district_id):
    # Two districts at once take the ORM path; keep this one's rules.
    rules = services._rules_by_district({district_id, -1})
    return rules.get(district_id, [])


def normalised(rules):
    # The ORM's prefetch of the minimums has no order: compared as sets.
    return [dataclasses.replace(r, category_minimums=tuple(sorted(r.category_minimums))) for r in rules]


@pytest.fixture
def district_rules(org):
    ethics, safety = make_category("师德"), make_category("安全")
    yearly = RequirementRule.objects.create(
        district=org.district, name="80", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("80"),
        sort_order=2,
    )
    cycle = RequirementRule.objects.create(
        district=org.district, name="360", period_kind=PeriodKind.CYCLE, cycle_start_year=2021, cycle_years=5,
        minimum_hours=Decimal("360"), sort_order=1, counted_category=ethics,
    )
    induction = RequirementRule.objects.create(
        district=org.district, name="120", period_kind=PeriodKind.FIRST_YEAR, minimum_hours=Decimal("120.5"),
        sort_order=1,
    )
    induction.teacher_categories.set(TeacherCategory.objects.all()[:2])
    CategoryMinimum.objects.create(rule=yearly, category=safety, minimum_hours=Decimal("4"))
    CategoryMinimum.objects.create(rule=yearly, category=ethics, minimum_hours=Decimal("10.5"))
    RequirementRule.objects.create(
        district=org.district, name="old", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("1"),
        active=False,
    )
    other = RequirementRule.objects.create(
        district=org.other_district, name="other", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("10"),
    )
    CategoryMinimum.objects.create(rule=other, category=ethics, minimum_hours=Decimal("2"))
    return yearly, cycle, induction


def test_one_districts_rules_are_the_orms(org, district_rules):
    for district in (org.district, org.other_district):
        compiled = services.rules_for_district(district.pk)
        assert normalised(compiled) == normalised(orm_rules(district.pk))
    rules = services.rules_for_district(org.district.pk)
    assert [r.name for r in rules] == ["360", "120", "80"]  # sort order, then creation; the inactive rule left out
    assert rules[1].teacher_category_ids and rules[1].minimum_hours == Decimal("120.5")
    assert rules[0].counted_category_id == district_rules[1].counted_category_id
    assert [(name, hours) for _id, name, hours in rules[2].category_minimums] == [
        ("安全", Decimal("4.0")), ("师德", Decimal("10.5"))
    ]
    assert services.rules_for_district(None) == []


def test_a_change_shows_at_once_and_costs_the_same_three_queries(org, district_rules):
    yearly, _cycle, _induction = district_rules
    services.rules_for_district(org.district.pk)
    yearly.minimum_hours = Decimal("90")
    yearly.save()
    with CaptureQueriesContext(connection) as queries:
        rules = services.rules_for_district(org.district.pk)
    assert len(queries) == 3
    assert {r.name: r.minimum_hours for r in rules}["80"] == Decimal("90")
    assert normalised(rules) == normalised(orm_rules(org.district.pk))
    RequirementRule.objects.filter(district=org.district).delete()
    with CaptureQueriesContext(connection) as queries:
        assert services.rules_for_district(org.district.pk) == []
    assert len(queries) == 1  # no rule: nothing more to read, as the ORM's prefetches
