"""Read side of the ledger: the API other apps use (learner dashboard, school dashboards, exports).

- hours_by_learner(learners, start, end) -> {user id: net hours}: the one
  computation of "hours earned" (the learner dashboard through courses'
  hours provider, the school and district dashboards); hours_earned(user,
  start, end) and hours_earned_in_year(user, year) are its one-learner forms
- earned_in(start, end): the one rule for which entries a period counts,
  also used by the transcript exports
- requirement_progress(user, on_date) -> [requirements.Progress]
- requirement_progress_bulk(users, on_date) -> {user id: [Progress]}, in a
  constant number of queries however many users (measured in the tests);
  `users` a list or a queryset (selected by subquery)
- requirement_progress_on_dates(users, dates) -> {date: {user id: [Progress]}}:
  the same for several dates from one read of the ledger;
  requirement_progress_of_learners the same for learners read as plain
  values (the annual report's 20,000 teachers)
- rules_for_district(district_id)
- pending_by_course(user, course_ids=None) -> [PendingCourse]: hours held
  until a course is passed ("待考核"), shown beside the ledger's figures and
  never added to them; pending_by_learner(learners, course_ids=None) and
  pending_hours_by_learner(learners) are its many-learner forms (one query);
  pending_with_modules(learner_id) gives it with each course's modules (one query)
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from shixun.config.compiled import CompiledValues

from . import requirements as req
from .models import CategoryMinimum, LedgerEntry, RequirementRule


def earned_in(start: date | None = None, end: date | None = None, *, prefix: str = "") -> Q:
    """The ledger entries a period [start, end) counts: by the day earned; open ends are unbounded.

    A reversal is dated like the entry it reverses, so it takes the hours out
    of the same period. `prefix` reaches the entries through a relation
    (e.g. "credit_entries__" from a user).
    """
    period = Q()
    if start is not None:
        period &= Q(**{f"{prefix}earned_on__gte": start})
    if end is not None:
        period &= Q(**{f"{prefix}earned_on__lt": end})
    return period


def year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def hours_by_learner(learners, start: date | None = None, end: date | None = None) -> dict[int, Decimal]:
    """Net hours (reversals subtracted) per learner earned on [start, end): one grouped query.

    Every entry counts whatever its source: module completions, approved
    external training, manual adjustments and reversals. `learners` is a list
    of users or a queryset of users (selected by subquery, so no id list is
    bound however many). A learner with no entry in the period is absent.
    """
    from django.db.models import QuerySet

    chosen = learners.values("pk") if isinstance(learners, QuerySet) else [u.pk for u in learners]
    rows = (
        LedgerEntry.objects.filter(earned_in(start, end), learner_id__in=chosen)
        .values_list("learner_id")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return dict(rows)


def hours_earned(user, start: date | None = None, end: date | None = None) -> Decimal:
    """One learner's net hours on [start, end) (see hours_by_learner)."""
    return hours_by_learner([user], start, end).get(user.pk, Decimal("0"))


# The dashboard's "hours this year": hours_by_learner for one learner and one period, compiled once per
# connection (shixun.config.compiled). Building the grouped query cost more CPU than running it, on every
# dashboard view (issue 18, the mixed browsing's profile). Same filter (earned_in), same sum.
_HOURS_OF_ONE = CompiledValues(
    lambda learner_id, start, end: LedgerEntry.objects.filter(earned_in(start, end), learner_id=learner_id)
    .values("learner_id")
    .annotate(total=Sum("hours"))
    .order_by(),
    learner_id=-2_073_180_403,
    start=date(1901, 1, 2),
    end=date(1901, 1, 3),
)


def hours_earned_in_year(user, year: int) -> Decimal:
    """The hours a learner's dashboard shows for a calendar year (registered as courses' hours provider)."""
    start, end = year_span(year)
    rows = _HOURS_OF_ONE.values(learner_id=user.pk, start=start, end=end)
    return rows[0]["total"] if rows else Decimal("0")


def _rules_by_district(district_ids) -> dict[int, list[req.Rule]]:
    district_ids = set(district_ids)
    if len(district_ids) == 1:  # one learner's page (transcript, training file): compiled reads
        (district_id,) = district_ids
        return {district_id: _rules_of_one_district(district_id)}
    rules = (
        RequirementRule.objects.filter(district_id__in=district_ids, active=True)
        .prefetch_related("teacher_categories", "category_minimums__category")
        .order_by("sort_order", "pk")
    )
    by_district: dict[int, list[req.Rule]] = defaultdict(list)
    for rule in rules:
        by_district[rule.district_id].append(to_rule(rule))
    return by_district


def to_rule(rule: RequirementRule) -> req.Rule:
    return req.Rule(
        id=rule.pk,
        name=rule.name,
        period_kind=rule.period_kind,
        minimum_hours=rule.minimum_hours,
        cycle_start_year=rule.cycle_start_year,
        cycle_years=rule.cycle_years,
        teacher_category_ids=frozenset(c.pk for c in rule.teacher_categories.all()),
        counted_category_id=rule.counted_category_id,
        category_minimums=tuple(
            (m.category_id, m.category.name, m.minimum_hours) for m in rule.category_minimums.all()
        ),
    )


# One district's rules, compiled once per connection (shixun.config.compiled): the ORM's three queries (the
# rules and two prefetches) cost more to build than to run, on every transcript page (issue 18). The same
# rows as to_rule reads; a rule's category minimums in the order they were made (the prefetch had no order).
_DISTRICT_STAND_IN = -2_073_180_402
_RULES_OF_ONE = CompiledValues(
    lambda district_id: RequirementRule.objects.filter(district_id=district_id, active=True)
    .order_by("sort_order", "pk")
    .values("pk", "name", "period_kind", "minimum_hours", "cycle_start_year", "cycle_years", "counted_category_id"),
    district_id=_DISTRICT_STAND_IN,
)
_RULE_TEACHER_CATEGORIES_OF_ONE = CompiledValues(
    lambda district_id: RequirementRule.teacher_categories.through.objects.filter(
        requirementrule__district_id=district_id, requirementrule__active=True
    ).values("requirementrule_id", "teachercategory_id"),
    district_id=_DISTRICT_STAND_IN,
)
_RULE_MINIMUMS_OF_ONE = CompiledValues(
    lambda district_id: CategoryMinimum.objects.filter(rule__district_id=district_id, rule__active=True)
    .order_by("pk")
    .values("rule_id", "category_id", "category__name", "minimum_hours"),
    district_id=_DISTRICT_STAND_IN,
)


def _rules_of_one_district(district_id) -> list[req.Rule]:
    rules = _RULES_OF_ONE.values(district_id=district_id)
    if not rules:  # as the prefetches: no rule, no further query
        return []
    teacher_categories: dict[int, set[int]] = defaultdict(set)
    for row in _RULE_TEACHER_CATEGORIES_OF_ONE.values(district_id=district_id):
        teacher_categories[row["requirementrule_id"]].add(row["teachercategory_id"])
    minimums: dict[int, list[tuple]] = defaultdict(list)
    for row in _RULE_MINIMUMS_OF_ONE.values(district_id=district_id):
        minimums[row["rule_id"]].append((row["category_id"], row["category__name"], row["minimum_hours"]))
    return [
        req.Rule(
            id=row["pk"],
            name=row["name"],
            period_kind=row["period_kind"],
            minimum_hours=row["minimum_hours"],
            cycle_start_year=row["cycle_start_year"],
            cycle_years=row["cycle_years"],
            teacher_category_ids=frozenset(teacher_categories[row["pk"]]),
            counted_category_id=row["counted_category_id"],
            category_minimums=tuple(minimums[row["pk"]]),
        )
        for row in rules
    ]


def rules_for_district(district_id) -> list[req.Rule]:
    return _rules_by_district([district_id]).get(district_id, [])


def requirement_progress(user, on_date: date | None = None) -> list[req.Progress]:
    return requirement_progress_bulk([user], on_date)[user.pk]


def requirement_progress_bulk(users, on_date: date | None = None) -> dict[int, list[req.Progress]]:
    """Progress on every applicable rule for many users: five queries, whatever their number.

    See requirement_progress_on_dates, of which this is the one-date form.
    """
    on_date = on_date or timezone.localdate()
    return requirement_progress_on_dates(users, [on_date])[on_date]


@dataclass(frozen=True)
class Learner:
    """What requirement progress needs of a learner: the rules come from the district, a first year from the
    start date (requirement_progress_of_learners; read in bulk without building User objects)."""

    pk: int
    district_id: int | None
    start_date: date | None


def requirement_progress_on_dates(users, dates) -> dict[date, dict[int, list[req.Progress]]]:
    """Progress on every applicable rule for many users on each of `dates`: five queries, whatever their number.

    `users` is a list of User instances or a queryset of users (their
    profiles' district_id and start_date are read: select_related("shixun_profile")
    or it costs a query per user; a queryset the caller has already
    evaluated is not read again). With a queryset, the per-user
    reads select the users by a subquery instead of binding every id, so the
    SQL text stays short however many users there are (psycopg writes a
    client-side statement's parameters into its text: thousands of ids cost
    a dashboard ~0.9 s). See requirement_progress_of_learners for how the
    ledger is read.
    """
    from django.db.models import QuerySet

    from shixun.accounts.people import profile_of

    # A queryset already read by the caller is not read again (its cache is used).
    chosen = users.values("pk") if isinstance(users, QuerySet) else None  # a subquery: no id is bound
    users = list(users)
    if chosen is None:
        chosen = [u.pk for u in users]
    learners = []
    for user in users:
        profile = profile_of(user)  # loaded with the users by the callers that list many
        learners.append(Learner(user.pk, profile.district_id, profile.start_date))
    return requirement_progress_of_learners(learners, chosen, dates)


def requirement_progress_of_learners(
    learners: list[Learner], chosen, dates
) -> dict[date, dict[int, list[req.Progress]]]:
    """requirement_progress_on_dates for learners given as plain values; `chosen` selects the same users in SQL
    (a subquery of their ids, or a list of ids). Four queries.

    The database sums the hours: a calendar, school-year or cycle period is
    the same for everyone on a date, so one grouped query returns each
    learner's net hours per course category in each such period (a filtered
    sum per period), and in the same query the hours of each teacher's own
    first year (from the start date). Progress is then requirements.progress_in_period of
    those sums, computed once per distinct input: the figures are exactly
    requirements.progress over the learner's entries.
    """
    from shixun.accounts.models import Profile

    dates = list(dict.fromkeys(dates))
    result: dict[date, dict[int, list[req.Progress]]] = {day: {p.pk: [] for p in learners} for day in dates}
    if not learners:
        return result
    rules_by_district = _rules_by_district({p.district_id for p in learners if p.district_id})  # 3 queries
    categories_by_user: dict[int, set[int]] = defaultdict(set)
    through = Profile.categories.through
    for user_id, category_id in through.objects.filter(profile__user_id__in=chosen).values_list(
        "profile__user_id", "teachercategory_id"
    ):
        categories_by_user[user_id].add(category_id)

    # Which period each applicable rule gives each user on each date, in the order the lists keep (rules, dates).
    shared: dict[tuple[int, date], req.Period] = {}  # (rule id, date) -> the period everyone has then
    wanted: list[tuple[int, req.Rule, date, req.Period]] = []
    first_year_users: set[int] = set()
    for learner in learners:
        for rule in rules_by_district.get(learner.district_id, []):
            if not rule.applies_to(categories_by_user[learner.pk]):
                continue
            if rule.period_kind == req.FIRST_YEAR:
                period = req.period_for(rule, dates[0], start_date=learner.start_date)
                if period is None:
                    continue
                first_year_users.add(learner.pk)
                wanted.extend((learner.pk, rule, on_date, period) for on_date in dates)
                continue
            for on_date in dates:
                period = shared.get((rule.id, on_date))
                if period is None:
                    period = shared[rule.id, on_date] = req.period_for(rule, on_date)
                wanted.append((learner.pk, rule, on_date, period))
    if not wanted:
        return result

    # Net hours per (user id, period): {course category id: hours}; a category without entries is absent.
    # One grouped query: a filtered sum per shared period, and for first years (each teacher's own, from the
    # start date) the entries of the first 365 days after the start date and those of day 365, which the
    # period holds when it has 366 days (a year over 29 February: requirements.add_years).
    sums: dict[tuple[int, req.Period], dict[int | None, Decimal]] = defaultdict(dict)
    # Kept apart: a first year starting on 1 January is the calendar year's period, not its sum.
    first_year_sums: dict[int, dict[int | None, Decimal]] = defaultdict(dict)
    periods = list(dict.fromkeys(shared.values()))
    entries = LedgerEntry.objects.filter(learner_id__in=chosen)
    read = Q()
    totals = {f"period{i}": Sum("hours", filter=earned_in(p.start, p.end)) for i, p in enumerate(periods)}
    if periods:
        read |= earned_in(min(p.start for p in periods), max(p.end for p in periods))
    if first_year_users:
        entries = entries.alias(
            days_in=ExpressionWrapper(F("earned_on") - F("learner__shixun_profile__start_date"), DurationField())
        )
        read |= Q(days_in__gte=timedelta(0), days_in__lte=timedelta(days=365))
        totals["first_year"] = Sum("hours", filter=Q(days_in__gte=timedelta(0), days_in__lt=timedelta(days=365)))
        totals["day_365"] = Sum("hours", filter=Q(days_in=timedelta(days=365)))
    first_year_of = {user_id: period for user_id, rule, _on, period in wanted if rule.period_kind == req.FIRST_YEAR}
    rows = entries.filter(read).values_list("learner_id", "category_id").annotate(**totals).order_by()
    for learner_id, category_id, *found in rows:
        for period, total in zip(periods, found, strict=False):
            if total is not None:
                sums[learner_id, period][category_id] = total
        if first_year_users and learner_id in first_year_of:
            first_year, day_365 = found[-2:]
            if day_365 is not None and first_year_of[learner_id].days == 366:
                first_year = day_365 if first_year is None else first_year + day_365
            if first_year is not None:
                first_year_sums[learner_id][category_id] = first_year

    no_hours: dict[int | None, Decimal] = {}
    memo: dict[tuple, req.Progress] = {}
    for user_id, rule, on_date, period in wanted:
        if rule.period_kind == req.FIRST_YEAR:
            inputs = req.counted(rule, first_year_sums.get(user_id, no_hours))
        else:
            inputs = req.counted(rule, sums.get((user_id, period), no_hours))
        # The category hours are kept unrounded in the result: their written form is part of the key.
        key = (rule.id, period, on_date, inputs[0], tuple(map(str, inputs[1])))
        progress = memo.get(key)
        if progress is None:
            progress = memo[key] = req.progress_in_period(rule, period, inputs, on_date)
        result[on_date][user_id].append(progress)
    return result


@dataclass(frozen=True)
class PendingCourse:
    """Hours that post when the course is passed (待考核): not on the ledger, so never earned yet."""

    course_id: int
    title: str
    module_hours: Decimal  # the completed modules' hours held for the pass
    award_hours: Decimal  # the course's extra hours on passing

    @property
    def hours(self) -> Decimal:
        return self.module_hours + self.award_hours


def pending_by_course(user, course_ids=None) -> list[PendingCourse]:
    """The learner's courses under "hours when the course is passed" with completed modules not yet credited.

    One query (pending_by_learner for one learner). A course whose
    certificate was revoked is left out: its hours never post (revocation is
    final). The award is counted only while not yet posted.
    """
    return pending_by_learner([user], course_ids).get(user.pk, [])


def pending_by_learner(learners, course_ids=None) -> dict[int, list[PendingCourse]]:
    """{user id: [PendingCourse] by course title} for many learners in one query, whatever their number.

    The one computation of pending hours (待考核): the transcript, the course
    page, the learner dashboard, the grade sheet, the school dashboard and
    the exports all read it. `learners` is a list of users or a queryset of
    users (selected by subquery, so no id list is bound however many). A
    learner with nothing pending is absent.
    """
    from django.db.models import QuerySet

    if isinstance(learners, QuerySet):
        rows = _pending_rows(learners.values("pk"), course_ids)
    else:
        ids = [u.pk for u in learners]
        if len(ids) == 1 and course_ids is None:
            rows = _PENDING_OF_ONE.values(user_id=ids[0])  # one learner's transcript: every page view
        else:
            rows = _pending_rows(ids, course_ids)
    return _pending_courses(rows)


def pending_by_learner_ids(ids: list[int]) -> dict[int, list[PendingCourse]]:
    """pending_by_learner() of the users with these ids, by SQL compiled once per connection for any batch.

    For the exports, a batch of PENDING_BATCH teachers at a time: the ORM took
    ~5 ms to build this query's nested subqueries for each batch, 40 times in
    a district's export (bench/ANALYSIS.md, 2026-12-06 07:45-08:45). A
    shorter list is padded with an id no user has.
    """
    rows = []
    for at in range(0, len(ids), PENDING_BATCH):
        chunk = ids[at : at + PENDING_BATCH]
        padded = chunk + [_NO_USER] * (PENDING_BATCH - len(chunk))
        rows += _PENDING_OF_BATCH.values(**dict(zip(_PENDING_BATCH_NAMES, padded, strict=True)))
    return _pending_courses(rows)


# Hours have one decimal (HOURS_FIELD; a module's credit_hours alike), and so has any sum of them.
_ONE_DECIMAL = Decimal("0.1")


def _hours_read(value) -> Decimal:
    """Hours read through an expression (a SUM, a subquery), as the exact one-decimal figure they are, on every
    backend. SQLite adds a decimal column as floating point, and Django reads an expression's decimal back without
    the column's places: 1.1 + 3.2 h came back as 4.30000000000000 and an award of 4.0 h as 4, where PostgreSQL
    reads 4.3 and 4.0; the transcript, its CSV and PDF print them in a sentence. The float's error is ~1e-15, far
    below the decimal, so this rounding only drops the noise."""
    return (value or Decimal("0")).quantize(_ONE_DECIMAL)


def _pending_courses(rows) -> dict[int, list[PendingCourse]]:
    result: dict[int, list[PendingCourse]] = defaultdict(list)
    for row in rows:
        result[row["user_id"]].append(
            PendingCourse(
                row["course_id"], row["course__title"], _hours_read(row["hours"]), _hours_read(row["award"])
            )
        )
    return dict(result)


def _award_not_posted():
    """The held completion's course award while it is not posted yet for its learner (NULL otherwise)."""
    from django.db.models import Exists, OuterRef, Subquery

    from .models import CourseCreditSettings, SourceKind

    awarded = LedgerEntry.objects.filter(
        learner_id=OuterRef(OuterRef("user_id")),
        course_id=OuterRef(OuterRef("course_id")),
        source_kind=SourceKind.COURSE_AWARD,
    )
    return Subquery(
        CourseCreditSettings.objects.filter(course_id=OuterRef("course_id"), award_hours__gt=0)
        .filter(~Exists(awarded))
        .values("award_hours")[:1]
    )


def _pending_rows(chosen, course_ids=None):
    """The pending rows of the learners `chosen` (ids, or a query of them): see pending_by_learner."""
    held = _held_completions(chosen)
    if course_ids is not None:
        held = held.filter(course_id__in=list(course_ids))
    return (
        held.annotate(award=_award_not_posted())
        .values("user_id", "course_id", "course__title", "award")
        .annotate(hours=Sum("credit_hours"))
        .order_by("user_id", "course__title", "course_id")
    )


def _held_completions(chosen):
    """The module completions of the learners `chosen` whose hours wait for their course to be passed (待考核).

    Not on the ledger yet, and not of a course whose certificate was revoked (those hours never post).
    """
    from django.db.models import Exists, OuterRef

    from shixun.courses.models import ModuleCompletion

    from .models import Certificate

    revoked = Certificate.objects.filter(
        learner_id=OuterRef("user_id"), course_id=OuterRef("course_id"), revoked_at__isnull=False
    )
    return ModuleCompletion.objects.filter(user_id__in=chosen, hours_on_pass=True, ledger_entry__isnull=True).filter(
        ~Exists(revoked)
    )


@dataclass
class PendingModule:
    """A completed module whose hours wait for its course to be passed: what the ledger will post for it."""

    course_id: int
    module_id: int
    title: str
    hours: Decimal  # the completion's credit_hours: the figure pending_by_course sums and the ledger posts
    learner_id: int


def pending_with_modules(learner_id: int) -> tuple[list[PendingCourse], dict[int, list[PendingModule]]]:
    """`pending_by_course` of the learner, and {course id: [PendingModule] in the course's order}: the
    completions whose hours make each pending course's `module_hours`. One query, whatever the number of
    modules and courses (the transcript's page, PDF and CSV).

    The held completions are read one by one, each with its course's award and its course's sum of their
    hours: the database's SUM, as pending_by_course's, read through the same `_hours_read`.
    """
    pending: list[PendingCourse] = []
    modules: dict[int, list[PendingModule]] = {}
    for row in _PENDING_MODULES_OF_ONE.values(user_id=learner_id):
        course_id = row["course_id"]
        if course_id not in modules:
            modules[course_id] = []
            hours, award = _hours_read(row["hours"]), _hours_read(row["award"])
            pending.append(PendingCourse(course_id, row["course__title"], hours, award))
        modules[course_id].append(
            PendingModule(course_id, row["module_id"], row["module__title"], row["credit_hours"], learner_id)
        )
    return pending, modules


def _pending_modules_rows(user_id):
    """The held completions of one learner, in pending_by_course's order of courses and each course's order,
    each with its course's sum of their hours."""
    from django.db.models import Window

    return (
        _held_completions([user_id])
        .annotate(award=_award_not_posted(), hours=Window(Sum("credit_hours"), partition_by=F("course_id")))
        .order_by("course__title", "course_id", "module__path")
        .values("course_id", "course__title", "award", "hours", "module_id", "module__title", "credit_hours")
    )


# One learner's pending hours, compiled once per connection (shixun.config.compiled): the ORM took longer to
# build this query's nested subqueries than PostgreSQL took to answer it, on every transcript page (issue 18).
_PENDING_OF_ONE = CompiledValues(lambda user_id: _pending_rows([user_id]), user_id=-2_073_180_401)
_PENDING_MODULES_OF_ONE = CompiledValues(_pending_modules_rows, user_id=-2_073_180_410)
# Up to PENDING_BATCH learners' pending hours (pending_by_learner_ids), each id its own stand-in.
PENDING_BATCH = 500
_NO_USER = -1
_PENDING_BATCH_NAMES = tuple(f"user_{n}" for n in range(PENDING_BATCH))
_PENDING_OF_BATCH = CompiledValues(
    lambda **ids: _pending_rows(list(ids.values())),
    **{name: -2_073_181_000 - n for n, name in enumerate(_PENDING_BATCH_NAMES)},
)


def pending_hours_by_learner(learners) -> dict[int, Decimal]:
    """{user id: total pending hours (待考核)} for many learners in one query; absent when none."""
    return {
        user_id: sum((p.hours for p in courses), Decimal("0"))
        for user_id, courses in pending_by_learner(learners).items()
    }


def pending_hours_by_course(user, course_ids) -> dict[int, Decimal]:
    """{course id: pending hours} for the course pages (registered as courses' pending-hours provider)."""
    return {p.course_id: p.hours for p in pending_by_course(user, course_ids)}
