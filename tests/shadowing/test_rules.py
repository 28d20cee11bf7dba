"""The scheme's rules as plain functions (no database)."""

from datetime import date
from decimal import Decimal

from django.utils import translation

from shixun.shadowing import rules
from shixun.shadowing.models import Programme


def programme(**overrides):
    return Programme(start_date=date(2026, 9, 1), end_date=date(2026, 11, 30), **overrides)


def test_defaults_are_the_districts_scheme():
    p = programme()
    assert (p.min_working_days, p.observations_per_day, p.observations_total) == (10, 2, 20)
    assert (p.taught_lessons, p.report_lessons, p.research_activities, p.class_activities) == (3, 1, 1, 1)
    assert (p.reflections, p.report_due_days, p.pass_mark, p.absence_fail_days) == (3, 7, Decimal("60"), 2)
    assert (p.teacher_hours, p.mentor_hours, p.max_age, p.quota_per_school_stage) == (
        Decimal("60"), Decimal("60"), 45, 1)


def test_record_day_inside_programme_and_on_working_days():
    p = programme()
    assert rules.record_day_error(p, date(2026, 9, 1)) == ""  # a Tuesday
    assert "2026-09-01" in rules.record_day_error(p, date(2026, 8, 31))
    assert rules.record_day_error(p, date(2026, 12, 1))
    with translation.override("zh-hans"):  # the message is in the active language, whichever test ran before
        assert "不是工作日" in rules.record_day_error(p, date(2026, 9, 5))  # a Saturday
    assert rules.record_day_error(programme(weekend_records_allowed=True), date(2026, 9, 5)) == ""


def test_observation_limits_per_day_and_in_total():
    p = programme()
    assert rules.observation_error(p, 1, 10) == ""
    assert "2" in rules.observation_error(p, 2, 10)  # the 3rd on one day
    assert "20" in rules.observation_error(p, 0, 20)  # the 21st in all
    assert rules.observation_error(programme(observations_per_day=3), 2, 5) == ""


def test_age_limit_is_a_setting():
    p = programme()
    assert rules.age_error(p, date(1982, 9, 2)) == ""  # 43 on 1 September 2026
    assert "45" in rules.age_error(p, date(1981, 9, 1))  # 45 that day
    assert rules.age_error(programme(max_age=None), date(1960, 1, 1)) == ""
    assert rules.age_error(p, None)


def test_report_due_a_week_after_the_end():
    assert rules.report_due(programme()) == date(2026, 12, 7)


def test_progress_counts_every_target():
    counts = rules.Counts(present_days=7, journal_days=6, observations=14, lessons=1, reflections=3, report=True)
    targets = {t.code: t for t in rules.progress(programme(), counts)}
    assert (targets["observations"].done, targets["observations"].target) == (14, 20)
    assert targets["observations"].percent == 70 and not targets["observations"].met
    assert targets["reflections"].met and targets["report"].met
    assert set(targets) == {"days", "journal", "observations", "lessons", "report_lessons", "research", "class",
                            "reflections", "report"}


def test_only_unexcused_absence_counts():
    assert rules.unexcused_absences({date(2026, 9, 1), date(2026, 9, 2)}, {date(2026, 9, 2)}) == 1


def test_outcome_rules():
    p = programme()
    ok = rules.outcome(p, score=Decimal("60"), unexcused=1, report_handed_in=True)
    assert ok.passed
    assert not rules.outcome(p, score=Decimal("59.9"), unexcused=0, report_handed_in=True).passed
    assert not rules.outcome(p, score=Decimal("90"), unexcused=2, report_handed_in=True).passed
    assert not rules.outcome(p, score=Decimal("90"), unexcused=0, report_handed_in=False).passed
    assert not rules.outcome(p, score=None, unexcused=0, report_handed_in=True).passed
    assert rules.outcome(programme(absence_fail_days=3), score=Decimal("80"), unexcused=2,
                         report_handed_in=True).passed
