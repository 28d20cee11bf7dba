"""Answering a course evaluation: every refusal before any write, then the anonymous response and DONE."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.accounts.people import profile_of
from shixun.courses.models import ActivityProgress, ActivityStatus, Enrolment, ModuleCompletion, ModulePage
from shixun.courses.progress import course_path_of, lock_enrolment, module_requirements, record_activity_status

from .models import ASPECTS, COMMENT_MAX_CHARS, RATING_MAX, RATING_MIN, Answered, EvaluationTemplate, Response


class EvaluationRefused(Exception):
    """Why an answer is not accepted, in words for the learner; nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Answers:
    ratings: dict[str, int]  # aspect → 1..5
    comment: str = ""


def check_answers(raw: dict) -> Answers:
    """Read the four ratings and the comment from raw form values; refuse anything missing or out of range."""
    ratings = {}
    for aspect, _wording in ASPECTS:
        value = str(raw.get(aspect, "")).strip()
        if not value:
            raise EvaluationRefused(_("Please answer every question with a rating from 1 to 5."), aspect)
        try:
            rating = int(value)
        except ValueError:
            rating = None
        if rating is None or not RATING_MIN <= rating <= RATING_MAX:
            raise EvaluationRefused(_("A rating must be a whole number from 1 to 5."), aspect)
        ratings[aspect] = rating
    comment = str(raw.get("comment", "") or "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise EvaluationRefused(
            _("Please keep the comment under %(count)s characters.") % {"count": COMMENT_MAX_CHARS}, "comment"
        )
    return Answers(ratings, comment)


def has_answered(user, course_id: int) -> bool:
    return Answered.objects.filter(user=user, course_id=course_id).exists()


def other_work_done(user, module: ModulePage, template: EvaluationTemplate) -> bool:
    """The learner has completed every other live module of the course and the rest of this module."""
    course_path = course_path_of(module)
    open_modules = (
        ModulePage.objects.live()
        .filter(path__startswith=course_path, depth=module.depth)
        .exclude(pk=module.pk)
        .exclude(Exists(ModuleCompletion.objects.filter(user=user, module=OuterRef("pk"))))
    )
    if open_modules.exists():
        return False
    statuses = dict(ActivityProgress.objects.filter(user=user, module=module).values_list("activity_key", "status"))
    return all(
        statuses.get(requirement.key) == ActivityStatus.DONE
        for requirement in module_requirements(module)
        if requirement.required and requirement.key != template.activity_key
    )


def submit(user, module: ModulePage, template: EvaluationTemplate, answers: Answers) -> Response:
    """Record one anonymous response and mark the evaluation DONE for the learner; refuse, writing nothing, when:
    not enrolled, the rest of the course not finished yet, or already answered (also under two tabs: the
    enrolment lock serialises the learner's requests and Answered is unique)."""
    with transaction.atomic():
        enrolment = lock_enrolment(user, module)
        if enrolment is None or enrolment.status != Enrolment.Status.ACTIVE:
            raise EvaluationRefused(_("Only learners enrolled in this course can evaluate it."))
        if has_answered(user, enrolment.course_id):
            raise EvaluationRefused(_("You have already evaluated this course. Thank you!"))
        if not other_work_done(user, module, template):
            raise EvaluationRefused(_("Please finish the rest of the course first; then evaluate it."))
        Answered.objects.create(user=user, course_id=enrolment.course_id)
        response = Response.objects.create(
            template=template,
            course_id=enrolment.course_id,
            district_id=profile_of(user).district_id,
            year=timezone.localdate().year,
            comment=answers.comment,
            **answers.ratings,
        )
        record_activity_status(user, module, template.activity_key, ActivityStatus.DONE, locked_enrolment=enrolment)
    return response
