"""Figures for the school and district dashboards, aggregated in the database.

The page a school admin opens instead of checking notes and records by hand
at term end: every teacher's hours this year and their standing on each
requirement rule of the district (from transcripts.services, which computes
progress for many teachers in a constant number of queries), plus completion
by course. The number of queries does not depend on the number of teachers
(tests/schools/test_dashboard.py measures it at two sizes).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from shixun.accounts.models import District, School
from shixun.accounts.people import teachers

User = get_user_model()

BEHIND, ON_TRACK, COMPLETE, NO_RULES = "behind", "on_track", "complete", "no_rules"
STATUS_LABELS = {
    COMPLETE: _("Complete"),
    ON_TRACK: _("On track"),
    BEHIND: _("Behind"),
    NO_RULES: _("No requirement"),
}
STATUS_BADGES = {COMPLETE: "ok", ON_TRACK: "ok", BEHIND: "bad", NO_RULES: ""}
# The worst status decides a teacher's overall standing.
STATUS_RANK = {BEHIND: 0, ON_TRACK: 1, COMPLETE: 2, NO_RULES: 3}
SORTS = ("name", "staff_number", "hours", "status")
# Rows of the teacher table per page: 2,000 rendered rows were 400 KB of HTML
# and most of the page's time; the figures above the table still count everyone.
PAGE_SIZE = 50
# Only what the table, the sort and requirement progress read: no model
# instance carries more than it needs for a school of thousands.
PROFILE_FIELDS = ("full_name", "staff_number", "school", "district", "start_date")
ROW_FIELDS = ("pk", "username", *(f"shixun_profile__{name}" for name in PROFILE_FIELDS))


def teachers_of(schools_filter: Q):
    """The teachers (accounts.people.teachers: staff only when they also teach) of the given schools."""
    return (
        teachers().filter(schools_filter)
        .select_related("shixun_profile")
        .order_by("shixun_profile__full_name", "pk")
    )


@dataclass
class TeacherRow:
    teacher: User
    hours_this_year: Decimal
    progress_by_rule: dict  # rule id → transcripts.requirements.Progress
    status: str
    # Hours waiting for a course to be passed (待考核), never in hours_this_year;
    # filled for the shown page only (add_pending_hours).
    pending_hours: Decimal = Decimal("0")

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def status_badge(self):
        return STATUS_BADGES[self.status]


@dataclass
class CourseBar:
    course_id: int
    title: str
    enrolled: int
    completed: int

    @property
    def percent(self) -> int:
        return round(self.completed * 100 / self.enrolled) if self.enrolled else 0


@dataclass
class Filters:
    category: int | None = None
    subject: int | None = None
    status: str | None = None
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_query(cls, params) -> Filters:
        def number(name):
            value = params.get(name, "")
            return int(value) if value.isdigit() else None

        sort = params.get("sort", "name")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        status = params.get("status") or None
        return cls(
            category=number("category"),
            subject=number("subject"),
            status=status if status in STATUS_LABELS else None,
            sort=sort if sort in SORTS else "name",
            descending=descending,
        )


@dataclass
class SchoolDashboard:
    school: School
    on_date: date
    rules: list
    rows: list[TeacherRow]  # every teacher matching the filters, sorted
    all_count: int  # every teacher of the school, whatever the filters
    status_counts: dict[str, int]  # over every teacher of the school
    courses: list[CourseBar] = field(default_factory=list)
    page: object = None  # django.core.paginator.Page of `rows`: the table shows one page

    @property
    def page_rows(self) -> list[TeacherRow]:
        return list(self.page.object_list) if self.page is not None else self.rows


def overall_status(progress_list) -> str:
    if not progress_list:
        return NO_RULES
    return min((p.status for p in progress_list), key=lambda s: STATUS_RANK[s])


def standing(teachers, on_date: date) -> list[TeacherRow]:
    """Hours this year and progress per rule for each teacher: a constant number of queries.

    Both come from transcripts.services, the one source of hours (the
    learner's own dashboard and transcript read the same). `teachers` is best
    an evaluated queryset: transcripts then selects the teachers by a
    subquery instead of binding thousands of ids (psycopg writes them into
    the statement's text: three statements with 2,000 ids each cost ~0.9 s
    of a dashboard request).
    """
    from shixun.transcripts.services import hours_by_learner, requirement_progress_bulk, year_span

    progress = requirement_progress_bulk(teachers, on_date)
    hours = hours_by_learner(teachers, *year_span(on_date.year))
    return [
        TeacherRow(
            teacher=t,
            hours_this_year=hours.get(t.pk, Decimal("0")),
            progress_by_rule={p.rule.id: p for p in progress[t.pk]},
            status=overall_status(progress[t.pk]),
        )
        for t in teachers
    ]


def add_pending_hours(rows: list[TeacherRow]) -> list[TeacherRow]:
    """Set each row's pending hours (transcripts' one computation): one query, for the page the table shows."""
    from shixun.transcripts.services import pending_hours_by_learner

    if rows:
        pending = pending_hours_by_learner([row.teacher for row in rows])
        for row in rows:
            row.pending_hours = pending.get(row.teacher.pk, Decimal("0"))
    return rows


def completion_by_course(people_filter: Q) -> list[CourseBar]:
    """Per course: how many of these teachers are enrolled and how many completed it (two grouped queries)."""
    from shixun.courses.models import CourseCompletion, Enrolment

    enrolled = {
        row["course_id"]: (row["course__title"], row["n"])
        for row in Enrolment.objects.filter(people_filter, status=Enrolment.Status.ACTIVE)
        .values("course_id", "course__title")
        .annotate(n=Count("pk"))
        .order_by()
    }
    completed = {
        row["course_id"]: (row["course__title"], row["n"])
        for row in CourseCompletion.objects.filter(people_filter)
        .values("course_id", "course__title")
        .annotate(n=Count("pk"))
        .order_by()
    }
    bars = []
    for course_id in enrolled.keys() | completed.keys():
        title, n_enrolled = enrolled.get(course_id, (completed.get(course_id, ("", 0))[0], 0))
        n_completed = completed.get(course_id, ("", 0))[1]
        # A completed teacher who later withdrew still counts as having taken part.
        bars.append(CourseBar(course_id, title, max(n_enrolled, n_completed), n_completed))
    return sorted(bars, key=lambda b: (-b.percent, b.title))


def school_dashboard(
    school: School, on_date: date, filters: Filters | None = None, page_number=1, page_size: int = PAGE_SIZE
) -> SchoolDashboard:
    """Standing of every teacher (the counts cover the whole school), the table one page of the filtered rows.

    Status is derived from the district's rules in Python (transcripts'
    requirement logic), so it is computed for every teacher; the sums behind
    it are grouped in the database and no query binds a list of ids.
    """
    from django.core.paginator import Paginator

    from shixun.transcripts.services import rules_for_district

    filters = filters or Filters()
    everyone = teachers_of(Q(shixun_profile__school=school))
    teachers = everyone.only(*ROW_FIELDS)
    list(teachers)  # read once: progress, hours and the table all use this result
    rows = standing(teachers, on_date)
    counts = defaultdict(int)
    for row in rows:
        counts[row.status] += 1
    # Category and subject filters as one query (a join), not a prefetch of everyone's categories.
    wanted = everyone
    if filters.category:
        wanted = wanted.filter(shixun_profile__categories=filters.category)
    if filters.subject:
        wanted = wanted.filter(shixun_profile__subjects=filters.subject)
    matching = set(wanted.values_list("pk", flat=True)) if wanted is not everyone else None
    shown = [row for row in rows if _matches(row, filters, matching)]
    shown.sort(key=_sort_key(filters.sort), reverse=filters.descending)
    return SchoolDashboard(
        school=school,
        on_date=on_date,
        rules=rules_for_district(school.district_id),
        rows=shown,
        all_count=len(rows),
        status_counts=dict(counts),
        courses=completion_by_course(Q(user__shixun_profile__school=school)),
        page=Paginator(shown, page_size).get_page(page_number),
    )


def _matches(row: TeacherRow, filters: Filters, matching: set[int] | None) -> bool:
    if matching is not None and row.teacher.pk not in matching:
        return False
    return not (filters.status and row.status != filters.status)


def _sort_key(sort: str):
    if sort == "staff_number":
        return lambda row: (row.teacher.shixun_profile.staff_number, row.teacher.pk)
    if sort == "hours":
        return lambda row: (row.hours_this_year, row.teacher.pk)
    if sort == "status":
        return lambda row: (STATUS_RANK[row.status], row.teacher.shixun_profile.full_name, row.teacher.pk)
    return lambda row: (row.teacher.shixun_profile.full_name, row.teacher.pk)


# --- District --------------------------------------------------------------------


@dataclass
class SchoolFigures:
    school: School
    teachers: int = 0
    complete: int = 0
    on_track: int = 0
    behind: int = 0

    @property
    def compliance_percent(self) -> int:
        """Teachers not behind (complete or on track), as a share of those with a requirement."""
        counted = self.complete + self.on_track + self.behind
        return round((self.complete + self.on_track) * 100 / counted) if counted else 0

    @property
    def complete_percent(self) -> int:
        counted = self.complete + self.on_track + self.behind
        return round(self.complete * 100 / counted) if counted else 0


@dataclass
class DistrictDashboard:
    district: District
    on_date: date
    schools: list[SchoolFigures]
    most_completed: list[CourseBar]
    fewest_completed: list[CourseBar]

    @property
    def totals(self) -> SchoolFigures:
        total = SchoolFigures(school=None)
        for figures in self.schools:
            total.teachers += figures.teachers
            total.complete += figures.complete
            total.on_track += figures.on_track
            total.behind += figures.behind
        return total


def district_dashboard(district: District, on_date: date, *, top: int = 5) -> DistrictDashboard:
    schools = list(district.schools.order_by("name"))
    figures = {school.pk: SchoolFigures(school=school) for school in schools}
    # Only the fields progress needs: a district has thousands of teachers.
    everyone = teachers_of(Q(shixun_profile__school__district=district))
    teachers = everyone.only(
        "pk", *(f"shixun_profile__{name}" for name in ("school", "district", "start_date", "full_name"))
    )
    list(teachers)  # read once
    for row in standing(teachers, on_date):
        school_figures = figures[row.teacher.shixun_profile.school_id]
        school_figures.teachers += 1
        if row.status == COMPLETE:
            school_figures.complete += 1
        elif row.status == ON_TRACK:
            school_figures.on_track += 1
        elif row.status == BEHIND:
            school_figures.behind += 1
    courses = completion_by_course(Q(user__shixun_profile__school__district=district))
    by_completions = sorted(courses, key=lambda b: (-b.completed, b.title))
    return DistrictDashboard(
        district=district,
        on_date=on_date,
        schools=[figures[s.pk] for s in schools],
        most_completed=by_completions[:top],
        fewest_completed=sorted(courses, key=lambda b: (b.completed, b.title))[:top],
    )
