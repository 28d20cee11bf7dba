"""Study patterns worth a look (issue #13): a list for trainers (their courses) and the district (its people).

It flags; it never changes credit. The evidence is what the heartbeat's one UPDATE keeps on each StudyTime
row (courses.study: counts and sums, no log of beats) and the quiz attempts' own start and submit times:

- overlap: credited heartbeats for this module while another of the learner's modules was beating in the
  same interval (two lessons "studied" at once);
- devices: many heartbeats under half an interval after the previous one (several pages or devices sending
  for one module at once; the shared clock credits them once, but someone was not reading in all of them);
- rhythm: an uninterrupted run of heartbeats for hours at an almost constant interval (the page's idle prompt
  breaks a reader's runs; a script's run never breaks);
- quiz_fast: a quiz attempt submitted faster than its questions can be read;
- module_fast: a module completed, through any of its activities, sooner after enrolling in the course than a
  share of the study time its hours stand for (courses.study.required_ms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings
from shixun.courses.models import CoursePage, Enrolment, ModuleCompletion, ModulePage, StudyTime
from shixun.courses.study import required_ms

KINDS = {
    "overlap": gettext_lazy("Two modules at once"),
    "devices": gettext_lazy("Several pages or devices at once"),
    "rhythm": gettext_lazy("Machine-regular heartbeats"),
    "quiz_fast": gettext_lazy("Quiz answered too fast"),
    "module_fast": gettext_lazy("Module completed too fast"),
}
MAX_ROWS = 500


@dataclass(frozen=True)
class Flag:
    kind: str
    learner: object
    module: ModulePage
    at: object  # when (the study row's start, the attempt's submission)
    explanation: str
    quiz_id: int | None = None  # a quiz flag's quiz: its results page follows the flag up

    @property
    def label(self):
        return KINDS[self.kind]


def may_review(viewer) -> bool:
    if not viewer.is_authenticated or not viewer.is_active:
        return False
    profile = profile_of(viewer)
    return viewer.is_superuser or profile.is_trainer or (profile.is_district_admin and profile.district_id)


def reviewable_courses(viewer):
    """The courses a reviewer may filter by: a trainer's own courses; every course for the district."""
    courses = CoursePage.objects.order_by("title")
    profile = profile_of(viewer)
    if viewer.is_superuser or profile.is_district_admin:
        return courses
    return courses.filter(trainers=viewer)


def _scope(viewer, learner_field: str, module_field: str) -> Q:
    """Rows the viewer may review: learners of their district (district admin), modules of their courses
    (trainer), everything (superuser). Nothing for anyone else."""
    if viewer.is_superuser:
        return Q()
    profile = profile_of(viewer)
    scope = Q(pk__in=[])
    if profile.is_district_admin and profile.district_id:
        scope |= Q(**{f"{learner_field}__shixun_profile__school__district": profile.district_id}) | Q(
            **{f"{learner_field}__shixun_profile__district": profile.district_id}
        )
    if profile.is_trainer:
        scope |= _modules_of(CoursePage.objects.filter(trainers=viewer), module_field)
    return scope


def _modules_of(courses, module_field: str) -> Q:
    paths = [(c.path, c.depth) for c in courses.only("path", "depth")]
    if not paths:
        return Q(pk__in=[])
    modules = ModulePage.objects.filter(reduce(or_, [Q(path__startswith=p, depth=d + 1) for p, d in paths]))
    return Q(**{f"{module_field}__in": modules.values("pk")})


def _spread_ms(row) -> float:
    n = row.credited_beats
    mean = row.gap_sum_ms / n
    return math.sqrt(max(0.0, row.gap_sq_sum / n - mean * mean))


def study_flags(viewer, *, kind: str = "", course=None, days: int | None = 90) -> list[Flag]:
    """The flags the viewer may see, newest first; `course` and `days` narrow them (days None: all)."""
    if not may_review(viewer):
        return []
    s = shixun_settings
    since = timezone.now() - timedelta(days=days) if days else None
    flags: list[Flag] = []
    if kind in ("", "overlap", "devices", "rhythm"):
        wanted = [k for k in ("overlap", "devices", "rhythm") if kind in ("", k)]
        conditions = {
            "overlap": Q(overlap_beats__gte=s.SHIXUN_REVIEW_MIN_OVERLAP_BEATS),
            "devices": Q(short_beats__gte=s.SHIXUN_REVIEW_MIN_SHORT_BEATS) & Q(short_beats__gte=F("beats") / 4),
            "rhythm": Q(longest_run_ms__gte=s.SHIXUN_REVIEW_LONG_RUN_MINUTES * 60_000, credited_beats__gte=10),
        }
        signs = reduce(or_, [conditions[k] for k in wanted])
        rows = StudyTime.objects.filter(signs, _scope(viewer, "user", "module"))
        if course is not None:
            rows = rows.filter(_modules_of(CoursePage.objects.filter(pk=course.pk), "module"))
        if since:
            rows = rows.filter(started_at__gte=since)
        rows = rows.select_related("user__shixun_profile__school", "module").order_by("-started_at")[:MAX_ROWS]
        for row in rows:
            flags += _study_row_flags(row, wanted)
    if kind in ("", "quiz_fast"):
        flags += _quiz_flags(viewer, course, since)
    if kind in ("", "module_fast"):
        flags += _module_flags(viewer, course, since)
    flags.sort(key=lambda f: f.at, reverse=True)
    return flags[:MAX_ROWS]


def _study_row_flags(row, wanted) -> list[Flag]:
    s = shixun_settings
    found = []
    if "overlap" in wanted and row.overlap_beats >= s.SHIXUN_REVIEW_MIN_OVERLAP_BEATS:
        found.append(Flag("overlap", row.user, row.module, row.started_at, _(
            "%(count)d heartbeats of this module came while another module of the same person was also being "
            "studied (within the same half minute). One person cannot read two lessons at once."
        ) % {"count": row.overlap_beats}))
    if ("devices" in wanted and row.short_beats >= s.SHIXUN_REVIEW_MIN_SHORT_BEATS
            and row.short_beats * 4 >= row.beats):
        found.append(Flag("devices", row.user, row.module, row.started_at, _(
            "%(short)d of %(beats)d heartbeats came less than half an interval after the previous one: the lesson "
            "was open in several pages or on several devices at once. The time was counted once."
        ) % {"short": row.short_beats, "beats": row.beats}))
    long_run = row.longest_run_ms >= s.SHIXUN_REVIEW_LONG_RUN_MINUTES * 60_000
    if "rhythm" in wanted and row.credited_beats >= 10 and long_run:
        spread = _spread_ms(row)
        if spread <= s.SHIXUN_REVIEW_REGULAR_SPREAD_MS:
            found.append(Flag("rhythm", row.user, row.module, row.started_at, _(
                "Heartbeats ran for %(minutes)d minutes without a single pause, with intervals varying by only "
                "%(spread)d ms on average. A person reading is prompted when idle; a program is not."
            ) % {"minutes": row.longest_run_ms // 60_000, "spread": round(spread)}))
    return found


def _quiz_flags(viewer, course, since) -> list[Flag]:
    from shixun.assessments.quizzes.models import Attempt

    per_question = shixun_settings.SHIXUN_REVIEW_QUIZ_SECONDS_PER_QUESTION
    attempts = Attempt.objects.filter(
        _scope(viewer, "learner", "module"), submitted_at__isnull=False, auto_submitted=False,
    )
    if course is not None:
        attempts = attempts.filter(_modules_of(CoursePage.objects.filter(pk=course.pk), "module"))
    if since:
        attempts = attempts.filter(submitted_at__gte=since)
    # At most 100 questions a quiz in practice: the SQL bound keeps the candidates few, Python decides exactly.
    attempts = (
        attempts.filter(submitted_at__lt=F("started_at") + timedelta(seconds=per_question * 100))
        .annotate(questions=Count("items"))
        .select_related("learner__shixun_profile__school", "module")
        .order_by("-submitted_at")[:MAX_ROWS]
    )
    flags = []
    for attempt in attempts:
        seconds = (attempt.submitted_at - attempt.started_at).total_seconds()
        if attempt.questions and seconds < per_question * attempt.questions:
            flags.append(Flag("quiz_fast", attempt.learner, attempt.module, attempt.submitted_at, _(
                "Attempt %(number)d: %(questions)d questions answered and submitted %(seconds)d seconds after "
                "starting, less than %(per)d seconds a question, too fast to read them."
            ) % {"number": attempt.number, "questions": attempt.questions, "seconds": seconds,
                 "per": per_question}, quiz_id=attempt.quiz_id))
    return flags


def _module_flags(viewer, course, since) -> list[Flag]:
    share = shixun_settings.SHIXUN_REVIEW_FAST_MODULE_SHARE
    completions = ModuleCompletion.objects.filter(_scope(viewer, "user", "module"))
    if course is not None:
        completions = completions.filter(course=course)
    if since:
        completions = completions.filter(completed_at__gte=since)
    # SQL keeps the candidates few (completed within the share of the longest minimum of any module), Python
    # decides with each module's own minimum.
    longest = ModulePage.objects.aggregate(hours=Max("credit_hours"), minutes=Max("study_minutes"))
    bound_ms = share * max(
        required_ms(ModulePage(credit_hours=longest["hours"] or 0, study_minutes=None)),
        required_ms(ModulePage(credit_hours=0, study_minutes=longest["minutes"] or 0)),
    )
    enrolled_at = Enrolment.objects.filter(user=OuterRef("user"), course=OuterRef("course")).values("enrolled_at")[:1]
    completions = (
        completions.annotate(enrolled_at=Subquery(enrolled_at))
        .filter(enrolled_at__isnull=False, completed_at__lt=F("enrolled_at") + timedelta(milliseconds=bound_ms))
        .select_related("user__shixun_profile__school", "module")
        .order_by("-completed_at")[:MAX_ROWS]
    )
    flags = []
    for completion in completions:
        took_ms = (completion.completed_at - completion.enrolled_at).total_seconds() * 1000
        needed_ms = required_ms(completion.module)
        if needed_ms and took_ms < share * needed_ms:
            flags.append(Flag("module_fast", completion.user, completion.module, completion.completed_at, _(
                "Completed %(took)s after enrolling in the course, while its hours stand for %(needed)s of study."
            ) % {"took": _duration(took_ms), "needed": _duration(needed_ms)}))
    return flags


def _duration(ms: float) -> str:
    seconds = round(ms / 1000)
    if seconds < 120:
        return _("%(seconds)d seconds") % {"seconds": seconds}
    return _("%(minutes)d minutes") % {"minutes": round(seconds / 60)}


@dataclass(frozen=True)
class FollowUp:
    url: str
    label: str


def follow_ups(viewer, flags: list[Flag]) -> list[FollowUp | None]:
    """Per flag, the page the viewer may open to follow it up, or None.

    The person's transcript when the viewer may open it (the district);
    otherwise, for a trainer, the quiz's results (a quiz flag) or the
    course's grade sheet at the person (it lists every learner, with or
    without grading). Each is the page's own permission rule, so no link
    leads to a refusal. A constant number of queries.
    """
    from django.urls import reverse

    from shixun.assessments.quizzes.permissions import courses_managed_by

    from .permissions import can_view_transcript, courses_graded_by

    links: list[FollowUp | None] = [None] * len(flags)
    rest = []
    for n, flag in enumerate(flags):
        if can_view_transcript(viewer, flag.learner):
            links[n] = FollowUp(reverse("transcripts:person", args=[flag.learner.pk]), _("Open the transcript"))
        else:
            rest.append(n)
    if not rest:
        return links
    # A module is a child of its course: its course's tree path is its own minus one step.
    step = ModulePage.steplen
    parents = {flags[n].module.path[:-step] for n in rest}
    course_of = dict(CoursePage.objects.filter(path__in=parents).values_list("path", "pk"))
    quiz_courses = set(courses_managed_by(viewer).filter(pk__in=course_of.values()).values_list("pk", flat=True))
    graded = set(courses_graded_by(viewer).filter(pk__in=course_of.values()).values_list("pk", flat=True))
    for n in rest:
        flag = flags[n]
        course_id = course_of.get(flag.module.path[:-step])
        if flag.quiz_id and course_id in quiz_courses:
            links[n] = FollowUp(
                reverse("quizzes:results", args=[flag.module.pk, flag.quiz_id]), _("Open the quiz results")
            )
        elif course_id in graded:
            links[n] = FollowUp(
                f"{reverse('transcripts:grades', args=[course_id])}#learner-{flag.learner.pk}",
                _("Open the course's grade sheet"),
            )
    return links
