"""Requirement progress: pure functions, no database."""

from datetime import date
from decimal import Decimal as D

import pytest

from shixun.transcripts import requirements as req

CYCLE_360 = req.Rule(1, "360 h / 5 years", req.CYCLE, D("360"), cycle_start_year=2021, cycle_years=5)
YEAR_80 = req.Rule(2, "80 h a year", req.CALENDAR_YEAR, D("80"))
SCHOOL_YEAR_80 = req.Rule(3, "80 h a school year", req.SCHOOL_YEAR, D("80"))
INDUCTION = req.Rule(4, "induction", req.FIRST_YEAR, D("120"), teacher_category_ids=frozenset({7}))


def c(day, hours, category=None):
    return req.Credit(day, D(hours), category)


@pytest.mark.parametrize(
    ("on_date", "start", "end"),
    [
        (date(2021, 1, 1), date(2021, 1, 1), date(2026, 1, 1)),
        (date(2025, 12, 31), date(2021, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2026, 1, 1), date(2031, 1, 1)),
        (date(2019, 6, 1), date(2021, 1, 1), date(2026, 1, 1)),  # before the first cycle: the first one
    ],
)
def test_cycle_boundaries(on_date, start, end):
    assert req.period_for(CYCLE_360, on_date) == req.Period(start, end)


def test_school_year_starts_on_1_september():
    assert req.period_for(SCHOOL_YEAR_80, date(2025, 8, 31)) == req.Period(date(2024, 9, 1), date(2025, 9, 1))
    assert req.period_for(SCHOOL_YEAR_80, date(2025, 9, 1)) == req.Period(date(2025, 9, 1), date(2026, 9, 1))


def test_induction_year_from_start_date_and_leap_day():
    assert req.period_for(INDUCTION, date(2025, 3, 1), start_date=date(2024, 9, 1)) == req.Period(
        date(2024, 9, 1), date(2025, 9, 1)
    )
    # A teacher who started on 29 February: the year runs through 28 February.
    assert req.period_for(INDUCTION, date(2024, 5, 1), start_date=date(2024, 2, 29)) == req.Period(
        date(2024, 2, 29), date(2025, 3, 1)
    )
    assert req.period_for(INDUCTION, date(2024, 5, 1)) is None
    assert req.progress(INDUCTION, [], date(2024, 5, 1)) is None


def test_leap_year_counts_366_days_for_pace():
    # Half of 2024 (a leap year) has passed on 1 July: day 183 of 366.
    p = req.progress(YEAR_80, [c(date(2024, 3, 1), "40")], date(2024, 7, 1))
    assert p.period.days == 366
    assert p.expected_by_now == D("40.0")
    assert p.status == req.ON_TRACK
    behind = req.progress(YEAR_80, [c(date(2024, 3, 1), "39.5")], date(2024, 7, 1))
    assert behind.status == req.BEHIND


def test_hours_outside_the_period_do_not_count_across_a_cycle_boundary():
    credits = [c(date(2025, 12, 31), "300"), c(date(2026, 1, 1), "10")]
    old = req.progress(CYCLE_360, credits, date(2025, 12, 31))
    new = req.progress(CYCLE_360, credits, date(2026, 1, 2))
    assert (old.earned, old.needed) == (D("300.0"), D("60.0"))
    assert (new.earned, new.needed) == (D("10.0"), D("350.0"))


def test_complete_status_and_no_projection_needed():
    p = req.progress(YEAR_80, [c(date(2025, 2, 1), "50"), c(date(2025, 3, 1), "30")], date(2025, 3, 2))
    assert p.status == req.COMPLETE
    assert p.needed == 0
    assert p.percent == 100
    assert p.projected_completion is None


def test_a_reversal_takes_the_hours_back_out():
    credits = [c(date(2025, 2, 1), "80"), c(date(2025, 2, 1), "-80")]
    p = req.progress(YEAR_80, credits, date(2025, 2, 10))
    assert p.earned == 0
    assert p.status == req.BEHIND


def test_pace_projection():
    # 40 h in the first 100 days of 2025: 0.4 h a day, 100 more days to 80 h.
    p = req.progress(YEAR_80, [c(date(2025, 1, 5), "40")], date(2025, 4, 10))
    assert p.projected_completion == date(2025, 7, 19)
    assert p.projected_at_end == D("146.0")
    assert req.progress(YEAR_80, [], date(2025, 4, 10)).projected_completion is None


def test_counted_category_and_category_minimums():
    class_teacher = req.Rule(
        5,
        "class teacher",
        req.CALENDAR_YEAR,
        D("30"),
        counted_category_id=3,
        category_minimums=(),
    )
    credits = [c(date(2025, 1, 5), "20", 3), c(date(2025, 1, 6), "50", 4)]
    assert req.progress(class_teacher, credits, date(2025, 2, 1)).earned == D("20.0")

    with_minimum = req.Rule(
        6, "80 incl. 10 ethics", req.CALENDAR_YEAR, D("80"), category_minimums=((9, "师德", D("10")),)
    )
    short = req.progress(with_minimum, [c(date(2025, 1, 5), "85", 4)], date(2025, 12, 1))
    assert short.status != req.COMPLETE
    assert short.needed == D("10.0")
    assert not short.categories[0].met
    done = req.progress(with_minimum, [c(date(2025, 1, 5), "75", 4), c(date(2025, 2, 5), "10", 9)], date(2025, 12, 1))
    assert done.status == req.COMPLETE


def test_rule_applies_by_teacher_category():
    assert INDUCTION.applies_to({7, 8})
    assert not INDUCTION.applies_to({8})
    assert YEAR_80.applies_to(set())
