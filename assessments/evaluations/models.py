"""Course evaluations (学员评价表): district templates, anonymous responses, and who has answered.

Anonymity is structural: a Response has no link to the learner, their school,
the time of day or the order of answering (a random primary key, only the
year). What records the learner is `Answered` (learner, course), which only
refuses a second answer; nothing joins the two.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

RATING_MIN = 1
RATING_MAX = 5
COMMENT_MAX_CHARS = 2000

# The four rated aspects: (field name on Response and the template's wording field, standard wording).
ASPECTS = (
    ("content", _("How useful and up to date was the content?")),
    ("trainer", _("How well did the trainer teach?")),
    ("organisation", _("How well was the training organised?")),
    ("usefulness", _("How much will it help your own teaching?")),
)
ASPECT_LABELS = {
    "content": _("Content"),
    "trainer": _("Trainer"),
    "organisation": _("Organisation"),
    "usefulness": _("Usefulness"),
}


class EvaluationTemplate(models.Model):
    """A district's evaluation form: four ratings of 1-5 and a free-text question; a course's module places one."""

    district = models.ForeignKey(
        "shixun_accounts.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("Shown above the questions."))
    content_question = models.CharField(
        _("question on content"), max_length=200, blank=True, help_text=_("Leave empty for the standard wording.")
    )
    trainer_question = models.CharField(
        _("question on the trainer"), max_length=200, blank=True, help_text=_("Leave empty for the standard wording.")
    )
    organisation_question = models.CharField(
        _("question on organisation"), max_length=200, blank=True,
        help_text=_("Leave empty for the standard wording."),
    )
    usefulness_question = models.CharField(
        _("question on usefulness"), max_length=200, blank=True, help_text=_("Leave empty for the standard wording.")
    )
    comment_question = models.CharField(
        _("free-text question"), max_length=200, blank=True, help_text=_("Leave empty for the standard wording.")
    )

    class Meta:
        verbose_name = _("evaluation template")
        verbose_name_plural = _("evaluation templates")
        ordering = ["district", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_key(self) -> str:
        return f"evaluation:{self.pk}"

    def questions(self) -> list[tuple[str, str]]:
        """(aspect, wording) of the four rating questions, in order."""
        return [(aspect, getattr(self, f"{aspect}_question") or str(standard)) for aspect, standard in ASPECTS]

    @property
    def comment_wording(self) -> str:
        return self.comment_question or str(_("What should be kept or changed? (optional)"))


def _rating_field(verbose_name):
    return models.PositiveSmallIntegerField(verbose_name)


class Response(models.Model):
    """One learner's answers, without the learner: see the module docstring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(EvaluationTemplate, on_delete=models.PROTECT, related_name="responses")
    course = models.ForeignKey("shixun_courses.CoursePage", on_delete=models.PROTECT, related_name="+")
    # The learner's district when answering: whose office sees it. Not the school (anonymity towards schools).
    district = models.ForeignKey(
        "shixun_accounts.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    content = _rating_field(_("content"))
    trainer = _rating_field(_("trainer"))
    organisation = _rating_field(_("organisation"))
    usefulness = _rating_field(_("usefulness"))
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_CHARS)

    class Meta:
        verbose_name = _("evaluation response")
        verbose_name_plural = _("evaluation responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{aspect}__gte": RATING_MIN, f"{aspect}__lte": RATING_MAX}),
                name=f"shixun_evaluation_{aspect}_in_range",
            )
            for aspect, _w in ASPECTS
        ]
        indexes = [models.Index(fields=["course", "year"], name="shixun_eval_course_year")]

    def __str__(self) -> str:
        return f"{self.course_id} {self.year}"


class Answered(models.Model):
    """The learner has answered the course's evaluation: refuses a second answer. Holds none of the answers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey("shixun_courses.CoursePage", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("evaluation answered")
        verbose_name_plural = _("evaluations answered")
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="shixun_evaluation_answered_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ✓ {self.course_id}"
