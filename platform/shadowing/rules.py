"""The scheme's rules as plain functions of a programme's settings and a teacher's counts.

No database access here: services.py gathers the counts and these decide, so
each rule is tested on its own and computed in one place (the workspace
counters, the district's progress table and the close all call `progress`
and `outcome`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Counts:
    """What a visiting teacher has recorded so far."""

    present_days: int = 0
    journal_days: int = 0
    observations: int = 0
    lessons: int = 0
    report_lessons: int = 0
    research_activities: int = 0
    class_activities: int = 0
    reflections: int = 0
    report: bool = False


@dataclass(frozen=True)
class Target:
    code: str
    label: str
    done: int
    target: int

    @property
    def met(self) -> bool:
        return self.done >= self.target

    @property
    def percent(self) -> int:
        return 100 if not self.target else min(100, round(100 * self.done / self.target))


def is_working_day(programme, day: date) -> bool:
    return programme.weekend_records_allowed or day.weekday() < 5


def record_day_error(programme, day: date | None) -> str:
    """Why a record cannot be dated `day`, or "" when it can."""
    if day is None:
        return _("Give the date.")
    if day < programme.start_date or day > programme.end_date:
        return _("The date must be within the programme (%(start)s to %(end)s).") % {
            "start": programme.start_date.isoformat(), "end": programme.end_date.isoformat(),
        }
    if not is_working_day(programme, day):
        return _("%(day)s is not a working day: records are kept for working days only.") % {"day": day.isoformat()}
    return ""


def observation_error(programme, on_that_day: int, in_total: int) -> str:
    """Why one more observation cannot be recorded, given those already recorded on its day and in all."""
    if on_that_day >= programme.observations_per_day:
        return _("You have already recorded %(n)s observed lessons on this day, the most for one day.") % {
            "n": on_that_day
        }
    if in_total >= programme.observations_total:
        return _("You have already recorded all %(n)s observed lessons of the programme.") % {"n": in_total}
    return ""


def report_due(programme) -> date:
    return programme.end_date + timedelta(days=programme.report_due_days)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_error(programme, birth: date | None) -> str:
    if birth is None:
        return _("Give the teacher's date of birth.")
    if programme.max_age is not None and age_on(birth, programme.start_date) >= programme.max_age:
        return _("The teacher must be younger than %(age)s on the programme's first day.") % {"age": programme.max_age}
    return ""


def progress(programme, counts: Counts) -> list[Target]:
    """Every target of the programme with what is done, in the order the workspace shows them."""
    return [
        Target("days", _("Days present"), counts.present_days, programme.min_working_days),
        Target("journal", _("Journal days"), counts.journal_days, programme.min_working_days),
        Target("observations", _("Lessons observed"), counts.observations, programme.observations_total),
        Target("lessons", _("Lessons taught"), counts.lessons, programme.taught_lessons),
        Target("report_lessons", _("Report lessons"), counts.report_lessons, programme.report_lessons),
        Target("research", _("Teaching-research activities"), counts.research_activities,
               programme.research_activities),
        Target("class", _("Class activities"), counts.class_activities, programme.class_activities),
        Target("reflections", _("Reflections"), counts.reflections, programme.reflections),
        Target("report", _("Research report"), int(counts.report), 1),
    ]


def unexcused_absences(absent_days, excused_days) -> int:
    """Days marked absent without a leave approved by both the mentor and the base school."""
    return len(set(absent_days) - set(excused_days))


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str


def outcome(programme, *, score: Decimal | None, unexcused: int, report_handed_in: bool) -> Outcome:
    """Pass or fail at the close: a score at the pass mark, attendance within the rule, the report handed in."""
    if score is None:
        return Outcome(False, _("The mentor gave no score."))
    if score < programme.pass_mark:
        return Outcome(False, _("Score %(score)s is below the pass mark %(mark)s.") % {
            "score": score, "mark": programme.pass_mark,
        })
    if unexcused >= programme.absence_fail_days:
        return Outcome(False, _("%(n)s days of unexcused absence.") % {"n": unexcused})
    if not report_handed_in:
        return Outcome(False, _("No research report was handed in."))
    return Outcome(True, _("Passed."))


# --- The base school's report and the daily reminders -------------------------------------

BASE_REPORT_DAYS = 7  # the base school's report (基地校总结) is due within a week of the end


def base_report_due(programme) -> date:
    return programme.end_date + timedelta(days=BASE_REPORT_DAYS)


def base_report_error(programme, today: date) -> str:
    """Why the base school cannot submit its report today ("" when it can)."""
    if today < programme.end_date:
        return _("The base school's report is written from the programme's last day (%(day)s).") % {
            "day": programme.end_date.isoformat()
        }
    if today > base_report_due(programme):
        return _("The base school's report was due by %(day)s: ask the district office.") % {
            "day": base_report_due(programme).isoformat()
        }
    return ""


def previous_working_day(programme, today: date) -> date | None:
    """The working day before `today` (Friday on a Monday) if it is a day of the programme, else None."""
    day = today - timedelta(days=1)
    while not is_working_day(programme, day):
        day -= timedelta(days=1)
    return day if programme.start_date <= day <= programme.end_date else None


def report_due_soon(programme, today: date, within_days: int = 3) -> bool:
    """The research report is due within `within_days` days (today included)."""
    return 0 <= (report_due(programme) - today).days <= within_days
