"""The figures of a district's annual training report (绩效评估报告), for the district and each school.

`compute(district, year)` reads the ledger and the requirement rules once
for the whole district and returns plain JSON-ready data (stored by
reports.jobs as the cached report). The number of queries does not depend
on the number of teachers or schools (tests/reports/test_figures.py
measures it at two sizes). Every hours figure is a sum of ledger entries
over the year by the ledger's own period rule (transcripts.services.earned_in,
hours_by_learner); requirement standing is transcripts.services'
requirement_progress_of_learners, the rule the dashboards use.

Definitions (one place for each):
- teachers: the active learners of the district's schools (schools.dashboard.teachers_of);
  each counts in their current school;
- participation: teachers with more than 0 net hours in the year;
- completion rate: courses completed in the year over enrolments that ran in
  the year (enrolled before its end, not withdrawn nor completed before its start);
  pass rate: of those completions, the share with a valid (not revoked) certificate;
- compliance per rule: standing on each rule on the report date (the year's
  last day, or today while the year runs);
- not met (the appraisal list, 年度考核): a rule whose period ends in the year
  (calendar year, the school year ending 31 August, a cycle ending this year,
  a first year of service ending this year) not complete at the period's end;
  while the year runs, the list is provisional;
- at risk: behind the expected pace on any rule on the report date;
- outstanding (优秀学员): the district's ReportCriteria: minimum hours in the
  year, optionally no rule not met nor behind, optionally a minimum average
  grade of the year's certificates.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.models import Profile, School, TeacherCategory
from shixun.schools.dashboard import teachers_of
from shixun.transcripts import requirements as req
from shixun.transcripts.services import (
    Learner,
    earned_in,
    hours_by_learner,
    requirement_progress_of_learners,
    rules_for_district,
)

from . import providers

VERSION = 1
PREVIEW = 50  # rows of each list the page shows
LISTS = ("not_met", "at_risk", "outstanding")
SCHOOL_FIELD = "learner__shixun_profile__school_id"


def _hours(value) -> float:
    return float(Decimal(value or 0).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> int:
    """Whole percent, rounded half up; 0 of nothing is 0."""
    if not whole:
        return 0
    return min(100, int(Decimal(part * 100) / Decimal(whole) + Decimal("0.5")))


def scope_key(school_id: int | None) -> str:
    return "district" if school_id is None else f"school:{school_id}"


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def criteria_of(district) -> dict:
    from .models import ReportCriteria

    criteria = ReportCriteria.objects.filter(district=district).first() or ReportCriteria(district=district)
    return {
        "minimum_hours": _hours(criteria.minimum_hours),
        "all_requirements_met": criteria.all_requirements_met,
        "minimum_grade": None if criteria.minimum_grade is None else _hours(criteria.minimum_grade),
    }


def _counts(rules) -> dict:
    return {
        "teachers": 0, "participants": 0, "hours": Decimal(0),
        "category_teachers": defaultdict(int), "category_hours": defaultdict(Decimal),
        "rules": {rule.id: {"applies": 0, "complete": 0, "on_track": 0, "behind": 0} for rule in rules},
        "not_met": 0, "at_risk": 0, "outstanding": 0,
    }


def _add(total: dict, part: dict) -> None:
    """Add one school's counts into the district's (every teacher is in exactly one school)."""
    for name in ("teachers", "participants", "hours", "not_met", "at_risk", "outstanding"):
        total[name] += part[name]
    for name in ("category_teachers", "category_hours"):
        for key, value in part[name].items():
            total[name][key] += value
    for rule_id, counts in part["rules"].items():
        for status, n in counts.items():
            total["rules"][rule_id][status] += n


def compute(district, year: int, *, today: date | None = None) -> dict:
    """Every figure of the district's report for `year`; see the module docstring for the definitions.

    A fixed number of queries (tests/reports/test_figures.py): the sums are
    the database's (GROUP BY learner, or school, course category and month),
    the teachers are read as plain values, and each teacher is counted into
    their school's figures once; the district's figures are the sum of its
    schools'.
    """
    from django.contrib.auth import get_user_model

    from shixun.courses.models import CourseCategory, CourseCompletion, Enrolment
    from shixun.transcripts.models import Certificate, LedgerEntry

    today = today or timezone.localdate()
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    last_day = date(year, 12, 31)
    as_of = min(today, last_day)

    schools = list(School.objects.filter(district=district).order_by("name", "pk").values("id", "code", "name"))
    scope_ids = [None, *(s["id"] for s in schools)]
    # By the schools' ids (a handful, bound) rather than through the school's district: PostgreSQL then
    # estimates the thousands of teachers the subquery selects and hash-joins the ledger instead of probing
    # it per teacher (3x faster at 20,000 teachers). The same teachers.
    teacher_qs = teachers_of(Q(shixun_profile__school_id__in=[s["id"] for s in schools]))
    chosen = teacher_qs.values("pk")  # a subquery: no id list is bound however many teachers
    # Plain values, not User and Profile objects (two model instances per teacher were a second of a large report).
    teachers = list(teacher_qs.values_list(
        "pk", "shixun_profile__school_id", "shixun_profile__district_id", "shixun_profile__start_date",
        "shixun_profile__full_name", get_user_model().USERNAME_FIELD,
    ))

    # Hours: per teacher (participation, categories, criteria); per school, course category and month.
    hours = hours_by_learner(teacher_qs, start, end)
    by_course_category: dict[str, dict] = {key: defaultdict(Decimal) for key in map(scope_key, scope_ids)}
    by_month: dict[str, list] = {key: [Decimal(0)] * 12 for key in map(scope_key, scope_ids)}
    for school_id, category_id, month, total in (
        LedgerEntry.objects.filter(earned_in(start, end), learner_id__in=chosen)
        .annotate(month=ExtractMonth("earned_on"))
        .values_list(SCHOOL_FIELD, "category_id", "month").annotate(total=Sum("hours")).order_by()
    ):
        for key in (scope_key(None), scope_key(school_id)):
            by_course_category[key][category_id] += total
            by_month[key][month - 1] += total

    categories_of: dict[int, list[int]] = defaultdict(list)
    for user_id, category_id in Profile.categories.through.objects.filter(
        profile__user_id__in=chosen
    ).values_list("profile__user_id", "teachercategory_id"):
        categories_of[user_id].append(category_id)
    teacher_categories = list(TeacherCategory.objects.order_by("sort_order", "name").values_list("id", "name"))
    course_categories = dict(CourseCategory.objects.values_list("id", "name"))

    # Courses: enrolments that ran in the year, completions in it, and which passed.
    completed_before = CourseCompletion.objects.filter(
        user=OuterRef("user"), course=OuterRef("course"), completed_at__lt=_aware(start)
    )
    enrolled = (
        Enrolment.objects.filter(user__in=chosen, enrolled_at__lt=_aware(end))
        .exclude(withdrawn_at__lt=_aware(start))
        .exclude(Exists(completed_before))
        .values_list("user__shixun_profile__school_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    completions = (
        CourseCompletion.objects.filter(user__in=chosen, completed_at__gte=_aware(start), completed_at__lt=_aware(end))
        .values_list("user__shixun_profile__school_id")
        .annotate(
            n=Count("pk"),
            passed=Count("pk", filter=Q(certificate__isnull=False, certificate__revoked_at__isnull=True)),
        )
        .order_by()
    )
    course_counts = {key: {"enrolments": 0, "completions": 0, "passed": 0} for key in map(scope_key, scope_ids)}
    for school_id, n in enrolled:
        for key in (scope_key(None), scope_key(school_id)):
            course_counts[key]["enrolments"] += n
    for school_id, n, passed in completions:
        for key in (scope_key(None), scope_key(school_id)):
            course_counts[key]["completions"] += n
            course_counts[key]["passed"] += passed

    # Requirements: standing on the report date, and each rule's period that ends in the year.
    rules = rules_for_district(district.pk)
    school_year_end = date(year, 8, 31)
    dates = [as_of, last_day] + ([school_year_end] if any(r.period_kind == req.SCHOOL_YEAR for r in rules) else [])
    progress = requirement_progress_of_learners(  # one read of the ledger for every date
        [Learner(pk, district_id, start_date) for pk, _school, district_id, start_date, _name, _login in teachers],
        chosen, dates,
    )
    now, at_year_end = progress[as_of], progress[last_day]
    at_school_year_end = progress.get(school_year_end, {})

    criteria = criteria_of(district)
    minimum_hours = Decimal(str(criteria["minimum_hours"]))
    minimum_grade = None if criteria["minimum_grade"] is None else Decimal(str(criteria["minimum_grade"]))
    grades = {}
    if criteria["minimum_grade"] is not None:
        grades = dict(
            Certificate.objects.filter(
                learner_id__in=chosen, completed_on__gte=start, completed_on__lt=end, revoked_at__isnull=True,
                score__isnull=False,
            ).values_list("learner_id").annotate(avg=Avg("score")).order_by()
        )

    # Progress objects are shared by the teachers who stand the same (transcripts.services computes each
    # distinct standing once), so what is derived from one is derived once too.
    ends_in_year: dict = {}
    rule_rows: dict[int, dict] = {}

    def due_in_year(p) -> bool:
        found = ends_in_year.get(p.period)
        if found is None:
            found = ends_in_year[p.period] = p.period.last_day.year == year
        return found

    def rule_row(p) -> dict:
        row = rule_rows.get(id(p))
        if row is None:
            row = rule_rows[id(p)] = {
                "name": p.rule.name, "earned": _hours(p.earned), "needed": _hours(p.needed),
                "minimum": _hours(p.rule.minimum_hours), "period_end": p.period.last_day.isoformat(),
            }
        return row

    school_figures = {school_id: _counts(rules) for school_id in scope_ids[1:]}
    not_met_rows, at_risk_rows, outstanding_rows = [], [], []
    sort_name: dict[int, str] = {}
    no_progress: list = []
    for pk, school_id, _district_id, _start_date, full_name, login in teachers:
        earned = hours.get(pk, Decimal(0))
        due = [p for p in at_year_end.get(pk, no_progress) if due_in_year(p)] + [
            p for p in at_school_year_end.get(pk, no_progress)
            if p.rule.period_kind == req.SCHOOL_YEAR and due_in_year(p)
        ]
        missed = [p for p in due if p.status != req.COMPLETE]
        standing = now.get(pk, no_progress)
        behind = [p for p in standing if p.status == req.BEHIND]
        grade = grades.get(pk)
        outstanding = (
            earned > 0 and earned >= minimum_hours
            and not (criteria["all_requirements_met"] and (missed or behind))
            and (minimum_grade is None or (grade is not None and grade >= minimum_grade))
        )
        # Ids only: names are looked up when shown (with_people), so an erased person's name is not
        # kept in a cached report. The name orders the lists once, here.
        row = {"id": pk, "school_id": school_id, "hours": _hours(earned)}
        sort_name[pk] = full_name or login
        if missed:
            not_met_rows.append({**row, "rules": [rule_row(p) for p in missed]})
        if behind:
            at_risk_rows.append({**row, "rules": [rule_row(p) for p in behind]})
        if outstanding:
            outstanding_rows.append({**row, "grade": None if grade is None else _hours(grade)})
        fig = school_figures[school_id]
        fig["teachers"] += 1
        fig["participants"] += earned > 0
        fig["hours"] += earned
        for category_id in categories_of.get(pk) or [None]:
            fig["category_teachers"][category_id] += 1
            fig["category_hours"][category_id] += earned
        for p in standing:
            counts = fig["rules"][p.rule.id]
            counts["applies"] += 1
            counts[p.status] += 1
        fig["not_met"] += bool(missed)
        fig["at_risk"] += bool(behind)
        fig["outstanding"] += bool(outstanding)
    figures = {scope_key(school_id): fig for school_id, fig in school_figures.items()}
    figures[scope_key(None)] = _counts(rules)
    for fig in school_figures.values():
        _add(figures[scope_key(None)], fig)

    def finish(key: str) -> dict:
        fig, counts = figures[key], course_counts[key]
        category_rows = [
            {"name": name, "teachers": fig["category_teachers"][cid], "hours": _hours(fig["category_hours"][cid]),
             "average": _hours(fig["category_hours"][cid] / fig["category_teachers"][cid])}
            for cid, name in [*teacher_categories, (None, _("No category"))]
            if fig["category_teachers"].get(cid)
        ]
        course_rows = sorted(
            (
                {"name": course_categories.get(cid) or _("Uncategorised"), "hours": _hours(total)}
                for cid, total in by_course_category[key].items() if total
            ),
            key=lambda row: (-row["hours"], row["name"]),
        )
        return {
            "teachers": fig["teachers"],
            "participants": fig["participants"],
            "participation_percent": percent(fig["participants"], fig["teachers"]),
            "hours": _hours(fig["hours"]),
            "hours_per_teacher": _hours(fig["hours"] / fig["teachers"]) if fig["teachers"] else 0.0,
            "by_teacher_category": category_rows,
            "by_course_category": course_rows,
            "by_month": [_hours(v) for v in by_month[key]],
            **counts,
            "completion_percent": percent(counts["completions"], counts["enrolments"]),
            "pass_percent": percent(counts["passed"], counts["completions"]),
            "rules": [
                {"id": rule.id, "name": rule.name, **fig["rules"][rule.id],
                 "percent": percent(fig["rules"][rule.id]["complete"], fig["rules"][rule.id]["applies"])}
                for rule in rules
            ],
            "not_met": fig["not_met"],
            "at_risk": fig["at_risk"],
            "outstanding": fig["outstanding"],
        }

    by_hours = lambda row: (-row["hours"], sort_name[row["id"]], row["id"])  # noqa: E731
    by_school = lambda row: (row["school_id"], sort_name[row["id"]], row["id"])  # noqa: E731
    lists = {
        "not_met": sorted(not_met_rows, key=by_school),
        "at_risk": sorted(at_risk_rows, key=by_school),
        "outstanding": sorted(outstanding_rows, key=by_hours),
    }
    return {
        "version": VERSION,
        "district": {"id": district.pk, "code": district.code, "name": district.name},
        "year": year,
        "as_of": as_of.isoformat(),
        "final": as_of == last_day,
        "computed_at": timezone.now().isoformat(),
        "schools": schools,
        "rules": [{"id": rule.id, "name": rule.name} for rule in rules],
        "criteria": criteria,
        "scopes": {key: finish(key) for key in map(scope_key, scope_ids)},
        "satisfaction": providers.satisfaction(district, year),
        # The first rows of each list per scope, for the page (the whole lists are stored apart: reports.jobs).
        "previews": _previews(lists, scope_ids),
        "lists": lists,
    }


def _previews(lists: dict, scope_ids: list) -> dict:
    """The first PREVIEW rows of each list for the district and for each school (one pass over each list)."""
    previews = {scope_key(school_id): {} for school_id in scope_ids}
    for name, rows in lists.items():
        mine: dict = defaultdict(list)
        for row in rows:
            if len(mine[row["school_id"]]) < PREVIEW:
                mine[row["school_id"]].append(row)
        for school_id in scope_ids:
            previews[scope_key(school_id)][name] = rows[:PREVIEW] if school_id is None else mine.get(school_id, [])
    return previews


def _mine(rows, school_id):
    return rows if school_id is None else [row for row in rows if row["school_id"] == school_id]


def for_school(data: dict, school_id: int | None, lists: dict | None = None) -> dict:
    """What one scope sees of a computed report: the district's, or one school's figures and lists.

    With `lists` (the whole lists, stored apart from the figures) the lists are
    complete; without, they are the page's previews (the first PREVIEW rows).
    """
    key = scope_key(school_id)
    if key not in data["scopes"]:
        raise KeyError(key)
    source = lists or data.get("lists")
    chosen = (
        {name: _mine(rows, school_id) for name, rows in source.items()} if source is not None
        else data["previews"][key]
    )
    return {
        **{name: value for name, value in data.items() if name not in ("lists", "previews")},
        "school": next((s for s in data["schools"] if s["id"] == school_id), None),
        "figures": data["scopes"][key],
        "school_figures": [
            {**s, **data["scopes"][scope_key(s["id"])]} for s in data["schools"]
        ] if school_id is None else [],
        **chosen,
    }


def with_people(view: dict) -> dict:
    """The view with each listed teacher's current name and staff number (read now, never cached).

    The whole district's profiles are read in one query when the lists are
    long (no id list is bound), only the listed ones for the page's previews.
    """
    from django.contrib.auth import get_user_model

    listed = {row["id"] for name in LISTS for row in view[name]}
    profiles = Profile.objects.all()
    profiles = (
        profiles.filter(user_id__in=listed) if len(listed) <= 500
        else profiles.filter(district_id=view["district"]["id"])
    )
    username = f"user__{get_user_model().USERNAME_FIELD}"
    people = {
        user_id: (full_name or login, staff_number)
        for user_id, full_name, staff_number, login in profiles.values_list(
            "user_id", "full_name", "staff_number", username
        )
    }
    unknown = ("", "")
    return {
        **view,
        **{
            name: [
                {**row, "name": people.get(row["id"], unknown)[0], "staff_number": people.get(row["id"], unknown)[1]}
                for row in view[name]
            ]
            for name in LISTS
        },
    }
