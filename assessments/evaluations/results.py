"""Evaluation results: averages and counts, shown only at SHIXUN_EVALUATION_MIN_RESPONSES responses or more.

`satisfaction` is the public entry point other apps (the district's annual
report) read; the results page and its export use it too, so the threshold
is applied in one place. Below the threshold a group gives its count only:
no average, no comment. A trainer's figures pool only their courses that
pass the threshold themselves, so a hidden course's answers cannot be worked
out by subtracting the shown courses from the trainer's total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q

from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings

from .models import ASPECTS, Response

AVERAGE_PLACES = Decimal("0.01")


def min_responses() -> int:
    return max(1, int(shixun_settings.SHIXUN_EVALUATION_MIN_RESPONSES))


def _avg(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(AVERAGE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Averages:
    content: Decimal
    trainer: Decimal
    organisation: Decimal
    usefulness: Decimal

    @property
    def overall(self) -> Decimal:
        total = self.content + self.trainer + self.organisation + self.usefulness
        return (total / 4).quantize(AVERAGE_PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class CourseSatisfaction:
    course_id: int
    title: str
    responses: int
    averages: Averages | None  # None below the threshold

    @property
    def shown(self) -> bool:
        return self.averages is not None


@dataclass(frozen=True)
class TrainerSatisfaction:
    trainer_id: int
    name: str
    responses: int  # in the trainer's courses that pass the threshold
    courses: int  # how many of those
    averages: Averages | None


@dataclass(frozen=True)
class Satisfaction:
    year: int | None
    threshold: int
    courses: list[CourseSatisfaction] = field(default_factory=list)
    trainers: list[TrainerSatisfaction] = field(default_factory=list)

    def course(self, course_id: int) -> CourseSatisfaction | None:
        return next((c for c in self.courses if c.course_id == course_id), None)

    def trainer(self, trainer_id: int) -> TrainerSatisfaction | None:
        return next((t for t in self.trainers if t.trainer_id == trainer_id), None)


def responses(*, courses=None, year: int | None = None, district=None):
    """The responses in scope: of some courses (ids, pages or a queryset), a year, one district's learners."""
    found = Response.objects.all()
    if courses is not None:
        found = found.filter(course__in=courses)
    if year is not None:
        found = found.filter(year=year)
    if district is not None:
        found = found.filter(district=district)
    return found


def satisfaction(*, courses=None, year: int | None = None, district=None) -> Satisfaction:
    """Per course and per trainer: response counts always, averages only at the threshold or above.

    courses: None for every course; year: None for every year; district: a
    District (its learners' responses) or None for every district. Three queries.
    """
    from shixun.courses.models import CoursePage

    threshold = min_responses()
    rows = (
        responses(courses=courses, year=year, district=district)
        .values("course")
        .annotate(n=Count("pk"), **{aspect: Avg(aspect) for aspect, _w in ASPECTS})
        .order_by("course")
    )
    rows = list(rows)
    titles = dict(CoursePage.objects.filter(pk__in=[row["course"] for row in rows]).values_list("pk", "title"))
    result = Satisfaction(year=year, threshold=threshold)
    shown_rows = {}
    for row in rows:
        shown = row["n"] >= threshold
        averages = Averages(**{aspect: _avg(row[aspect]) for aspect, _w in ASPECTS}) if shown else None
        result.courses.append(CourseSatisfaction(row["course"], titles.get(row["course"], ""), row["n"], averages))
        if shown:
            shown_rows[row["course"]] = row
    result.courses.sort(key=lambda c: (c.title, c.course_id))

    # Trainers: pool the shown courses' sums (count × average), weighting each response equally.
    through = CoursePage.trainers.through
    pooled: dict[int, dict] = defaultdict(lambda: {"n": 0, "courses": 0, **{a: Decimal(0) for a, _w in ASPECTS}})
    for course_id, trainer_id in through.objects.filter(coursepage_id__in=list(shown_rows)).values_list(
        "coursepage_id", "user_id"
    ):
        row = shown_rows[course_id]
        pool = pooled[trainer_id]
        pool["n"] += row["n"]
        pool["courses"] += 1
        for aspect, _w in ASPECTS:
            pool[aspect] += Decimal(str(row[aspect])) * row["n"]
    if pooled:
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.select_related("shixun_profile").in_bulk(list(pooled))
        for trainer_id, pool in pooled.items():
            person = people.get(trainer_id)
            averages = Averages(**{a: _avg(pool[a] / pool["n"]) for a, _w in ASPECTS})
            result.trainers.append(TrainerSatisfaction(
                trainer_id, profile_of(person).display_name if person else "", pool["n"], pool["courses"], averages
            ))
        result.trainers.sort(key=lambda t: (t.name, t.trainer_id))
    return result


def comments(course_id: int, *, year: int | None = None, district=None) -> list[str] | None:
    """The free-text answers of one course, in no particular order; None when the course is below the threshold."""
    found = responses(courses=[course_id], year=year, district=district)
    if found.count() < min_responses():
        return None
    return sorted(c for c in found.exclude(comment="").values_list("comment", flat=True))


def years_with_responses(district=None) -> list[int]:
    found = Response.objects.all() if district is None else Response.objects.filter(Q(district=district))
    return sorted(set(found.values_list("year", flat=True)), reverse=True)
