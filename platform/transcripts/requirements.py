"""Requirement progress as pure functions: no database, no clock.

Given a rule (plain values), the learner's entries (date, hours, category)
and a date, compute the period the date falls in, the hours earned in it,
what is still needed, a status and a pace projection. Periods are half-open
[start, end): the end date is the first day of the next period.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CYCLE = "cycle"
CALENDAR_YEAR = "calendar_year"
SCHOOL_YEAR = "school_year"
FIRST_YEAR = "first_year"
SCHOOL_YEAR_START_MONTH = 9

COMPLETE = "complete"
ON_TRACK = "on_track"
BEHIND = "behind"

ZERO = Decimal("0")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    period_kind: str
    minimum_hours: Decimal
    cycle_start_year: int | None = None
    cycle_years: int | None = None
    teacher_category_ids: frozenset[int] = frozenset()
    counted_category_id: int | None = None
    category_minimums: tuple[tuple[int, str, Decimal], ...] = ()  # (category id, name, hours)

    def applies_to(self, teacher_category_ids: Iterable[int]) -> bool:
        return not self.teacher_category_ids or bool(self.teacher_category_ids & set(teacher_category_ids))


@dataclass(frozen=True)
class Credit:
    earned_on: date
    hours: Decimal
    category_id: int | None = None


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


@dataclass(frozen=True)
class CategoryProgress:
    category_id: int
    name: str
    minimum: Decimal
    earned: Decimal

    @property
    def met(self) -> bool:
        return self.earned >= self.minimum


@dataclass(frozen=True)
class Progress:
    rule: Rule
    period: Period
    earned: Decimal
    needed: Decimal
    status: str
    expected_by_now: Decimal
    projected_at_end: Decimal | None  # hours at the end of the period at the current pace
    projected_completion: date | None  # the day the minimum is reached at the current pace
    categories: tuple[CategoryProgress, ...] = field(default=())

    @property
    def percent(self) -> int:
        if self.rule.minimum_hours <= 0:
            return 100
        return min(100, int(self.earned * 100 / self.rule.minimum_hours))


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 1 March in a common year."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return day.replace(year=year)


def period_for(rule: Rule, on_date: date, *, start_date: date | None = None) -> Period | None:
    """The period of `rule` that `on_date` falls in; None when it cannot be known (induction without a start date)."""
    if rule.period_kind == CALENDAR_YEAR:
        return Period(date(on_date.year, 1, 1), date(on_date.year + 1, 1, 1))
    if rule.period_kind == SCHOOL_YEAR:
        first = on_date.year if on_date.month >= SCHOOL_YEAR_START_MONTH else on_date.year - 1
        return Period(date(first, SCHOOL_YEAR_START_MONTH, 1), date(first + 1, SCHOOL_YEAR_START_MONTH, 1))
    if rule.period_kind == CYCLE:
        length = rule.cycle_years
        # Before the first cycle, the first cycle is the one that matters.
        index = max(0, (on_date.year - rule.cycle_start_year) // length)
        first = rule.cycle_start_year + index * length
        return Period(date(first, 1, 1), date(first + length, 1, 1))
    if rule.period_kind == FIRST_YEAR:
        if start_date is None:
            return None
        return Period(start_date, add_years(start_date, 1))
    raise ValueError(f"unknown period kind {rule.period_kind!r}")


def _round(hours: Decimal) -> Decimal:
    return hours.quantize(TENTH, rounding=ROUND_HALF_UP)


def progress(
    rule: Rule, credits: Iterable[Credit], on_date: date, *, start_date: date | None = None
) -> Progress | None:
    """Where a teacher stands on one rule on `on_date` (reversals are credits with negative hours)."""
    period = period_for(rule, on_date, start_date=start_date)
    if period is None:
        return None
    by_category: dict[int | None, Decimal] = {}
    for credit in credits:
        if credit.earned_on in period:
            by_category[credit.category_id] = by_category.get(credit.category_id, ZERO) + credit.hours
    return progress_in_period(rule, period, counted(rule, by_category), on_date)


def counted(rule: Rule, by_category: dict[int | None, Decimal]) -> tuple[Decimal, tuple[Decimal, ...]]:
    """What of a period's net hours per course category the rule looks at: the hours it counts, then the hours of
    each category with a minimum (in the rule's order). Equal inputs give equal progress (progress_in_period)."""
    if rule.counted_category_id is not None:
        earned = by_category.get(rule.counted_category_id, ZERO)
    else:
        earned = sum(by_category.values(), ZERO)
    return earned, tuple(by_category.get(cat_id, ZERO) for cat_id, _name, _minimum in rule.category_minimums)


def progress_in_period(
    rule: Rule, period: Period, inputs: tuple[Decimal, tuple[Decimal, ...]], on_date: date
) -> Progress:
    """Progress on `rule` in `period` on `on_date`, from the period's counted hours (`counted`).

    A pure function of its arguments, so a caller judging thousands of teachers
    may compute it once per distinct input (transcripts.services does).
    """
    earned, category_hours = inputs
    earned = max(earned, ZERO)
    categories = tuple(
        CategoryProgress(cat_id, name, minimum, max(hours, ZERO))
        for (cat_id, name, minimum), hours in zip(rule.category_minimums, category_hours, strict=True)
    )
    needed = max(rule.minimum_hours - earned, ZERO)
    for cat in categories:
        # The overall total cannot be complete while a category minimum is short.
        needed = max(needed, cat.minimum - cat.earned)

    # Days elapsed, counting the day itself; clamp to the period.
    if on_date < period.start:
        elapsed = 0
    else:
        elapsed = min((on_date - period.start).days + 1, period.days)
    fraction = Decimal(elapsed) / Decimal(period.days)
    expected = _round(rule.minimum_hours * fraction)

    complete = earned >= rule.minimum_hours and all(c.met for c in categories)
    if complete:
        status = COMPLETE
    elif earned >= expected:
        status = ON_TRACK
    else:
        status = BEHIND

    projected_at_end = projected_completion = None
    if elapsed > 0 and earned > 0:
        rate = earned / Decimal(elapsed)  # hours per day so far
        projected_at_end = _round(rate * period.days)
        if complete:
            projected_completion = None
        else:
            days_needed = int(((rule.minimum_hours - earned) / rate).to_integral_value(rounding="ROUND_CEILING"))
            projected_completion = on_date + timedelta(days=max(days_needed, 0))
    return Progress(
        rule=rule,
        period=period,
        earned=_round(earned),
        needed=_round(needed),
        status=status,
        expected_by_now=expected,
        projected_at_end=projected_at_end,
        projected_completion=projected_completion,
        categories=categories,
    )
