"""Quizzes: a question bank, quizzes drawn from it, and learners' attempts.

The bank (QuestionCategory, Question with its QuestionOption inline, tags) and
the Quiz settings are edited by trainers in the Wagtail admin. A learner's
Attempt belongs to (learner, quiz, module page): the same quiz placed in two
modules is two separate activities. When an attempt starts, its questions are
drawn and *frozen* into AttemptQuestion rows, each with a snapshot of the
question as it was (text, options in the order shown, correct answers), so a
trainer editing the bank later never changes an attempt in flight or a grade
already given. Grading (grading.py) reads only those snapshots.

State changes go through services.py; nothing else writes attempts.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from .forms import QuestionAdminForm, QuizAdminForm


class QuestionCategory(models.Model):
    """A shelf of the question bank (师德师风, 新课标, 信息技术 …), also used to draw random questions."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    panels = [FieldPanel("name"), FieldPanel("sort_order")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("question category")
        verbose_name_plural = _("question categories")

    def __str__(self) -> str:
        return self.name


class QuestionTag(TaggedItemBase):
    content_object = ParentalKey("Question", on_delete=models.CASCADE, related_name="tagged_items")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True or false")
    FILL_BLANK = "fill_blank", _("Fill in the blank")
    SHORT_ANSWER = "short_answer", _("Short answer (graded by a trainer)")


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class MultipleScoring(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing: full points only for exactly the correct options")
    PARTIAL = "partial", _("Partial credit: each correct option earns a share, each wrong one takes a share away")


class Question(ClusterableModel):
    category = models.ForeignKey(
        QuestionCategory, on_delete=models.PROTECT, related_name="questions", verbose_name=_("category")
    )
    kind = models.CharField(
        _("question type"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    text = models.TextField(_("question"))
    points = models.PositiveSmallIntegerField(
        _("points"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    multiple_scoring = models.CharField(
        _("scoring of multiple choice"), max_length=20, choices=MultipleScoring.choices,
        default=MultipleScoring.ALL_OR_NOTHING,
    )
    true_false_answer = models.BooleanField(
        _("the statement is true"), null=True, blank=True,
        help_text=_("For true-or-false questions: is the statement true?"),
    )
    accepted_answers = models.TextField(
        _("accepted answers"), blank=True,
        help_text=_(
            "For fill-in-the-blank questions: one accepted answer per line. Letter case and full-width "
            "or half-width characters do not matter (Ｃ／１２３ counts as C/123)."
        ),
    )
    reference_answer = models.TextField(
        _("reference answer for graders"), blank=True,
        help_text=_("For short-answer questions: what a good answer contains. Shown to the trainer who grades it."),
    )
    explanation = models.TextField(
        _("explanation"), blank=True,
        help_text=_("Shown to learners after they submit, if the quiz is set to show answers."),
    )
    tags = ClusterTaggableManager(through=QuestionTag, blank=True, verbose_name=_("tags"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    base_form_class = QuestionAdminForm
    panels = [
        FieldRowPanel([FieldPanel("category"), FieldPanel("kind"), FieldPanel("points")]),
        FieldPanel("text"),
        InlinePanel(
            "options", heading=_("Options (single and multiple choice)"), label=_("Option"),
            help_text=_("Tick every correct option. Single choice needs exactly one."),
        ),
        FieldPanel("multiple_scoring"),
        FieldPanel("true_false_answer"),
        FieldPanel("accepted_answers"),
        FieldPanel("reference_answer"),
        FieldPanel("explanation"),
        FieldPanel("tags"),
    ]
    class Meta:
        ordering = ["category__sort_order", "category__name", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= 60 else f"{text[:59]}…"

    def accepted_answer_list(self) -> list[str]:
        return [line.strip() for line in self.accepted_answers.splitlines() if line.strip()]

    def snapshot(self, options=None) -> dict:
        """The question frozen as a plain dict: what grading and the result page read.

        `options` is the options in the order this learner sees them (shuffled
        or not); defaults to the trainer's order.
        """
        options = list(self.options.all()) if options is None else options
        data = {
            "id": self.pk,
            "kind": self.kind,
            "text": self.text,
            "points": self.points,
            "explanation": self.explanation,
        }
        if self.kind in CHOICE_KINDS:
            data["options"] = [{"id": o.pk, "text": o.text, "correct": o.is_correct} for o in options]
            if self.kind == QuestionKind.MULTIPLE:
                data["scoring"] = self.multiple_scoring
        elif self.kind == QuestionKind.TRUE_FALSE:
            data["answer"] = bool(self.true_false_answer)
        elif self.kind == QuestionKind.FILL_BLANK:
            data["accepted"] = self.accepted_answer_list()
        else:
            data["reference"] = self.reference_answer
        return data


class QuestionOption(Orderable):
    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("option text"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    panels = [FieldPanel("text"), FieldPanel("is_correct")]

    class Meta(Orderable.Meta):
        # pk breaks ties: rows made in code may share a sort order (or have none), and PostgreSQL
        # returns equal keys in any order.
        ordering = ["sort_order", "pk"]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self) -> str:
        return self.text


class SelectionMode(models.TextChoices):
    FIXED = "fixed", _("Fixed: the questions listed below, for everyone")
    RANDOM = "random", _("Random: draw questions from the pools below for each attempt")


class GradingPolicy(models.TextChoices):
    BEST = "best", _("Best attempt counts")
    LAST = "last", _("Last attempt counts")


class FeedbackMode(models.TextChoices):
    SCORE_ONLY = "score", _("Score only")
    ANSWERS = "answers", _("Score, correct answers and explanations")


class ReviewAnswers(models.TextChoices):
    IMMEDIATELY = "immediately", _("Right after each attempt")
    AFTER_LAST_OR_PASS = "after_last_or_pass", _("After the last attempt or after passing")
    NEVER = "never", _("Never")


class Quiz(ClusterableModel):
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True, help_text=_("Shown to learners before they start."))
    selection_mode = models.CharField(
        _("questions"), max_length=10, choices=SelectionMode.choices, default=SelectionMode.FIXED
    )
    shuffle_questions = models.BooleanField(_("shuffle the order of questions"), default=False)
    shuffle_options = models.BooleanField(_("shuffle the order of options"), default=True)
    pass_mark_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=60, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(
        _("attempts allowed"), default=2, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("2 means one retake (补考一次)."),
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("time limit (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Leave empty for no time limit. When time is up, the answers saved so far are submitted."),
    )
    grading_policy = models.CharField(
        _("which attempt counts"), max_length=10, choices=GradingPolicy.choices, default=GradingPolicy.BEST
    )
    feedback_mode = models.CharField(
        _("after submitting, learners see"), max_length=10, choices=FeedbackMode.choices,
        default=FeedbackMode.ANSWERS,
    )
    # Correct answers shown before the learner's last try make the retake a copy exercise.
    review_answers = models.CharField(
        _("show correct answers"), max_length=20, choices=ReviewAnswers.choices,
        default=ReviewAnswers.AFTER_LAST_OR_PASS,
        help_text=_("When learners see the correct answers and explanations, if the quiz shows them at all."),
    )

    base_form_class = QuizAdminForm
    panels = [
        FieldPanel("title"),
        FieldPanel("instructions"),
        MultiFieldPanel(
            [
                FieldPanel("selection_mode"),
                InlinePanel("fixed_questions", label=_("Question"), heading=_("Fixed questions")),
                InlinePanel("pools", label=_("Pool"), heading=_("Random pools")),
                FieldPanel("shuffle_questions"),
                FieldPanel("shuffle_options"),
            ],
            heading=_("Questions"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("pass_mark_percent"), FieldPanel("attempts_allowed")]),
                FieldPanel("time_limit_minutes"),
                FieldPanel("grading_policy"),
                FieldPanel("feedback_mode"),
                FieldPanel("review_answers"),
            ],
            heading=_("Rules"),
        ),
    ]
    class Meta:
        ordering = ["title"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return self.title


class QuizQuestion(Orderable):
    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="fixed_questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+", verbose_name=_("question"))

    panels = [FieldPanel("question")]

    class Meta(Orderable.Meta):
        # pk breaks ties: rows made in code may share a sort order (or have none), and PostgreSQL
        # returns equal keys in any order.
        ordering = ["sort_order", "pk"]
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")


class QuestionPool(Orderable):
    """Draw `count` questions at random from a category, a tag, or both."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="pools")
    category = models.ForeignKey(
        QuestionCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("category"),
    )
    tag = models.CharField(_("tag"), max_length=100, blank=True, help_text=_("Only questions with this tag."))
    count = models.PositiveSmallIntegerField(
        _("number of questions"), default=5, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )

    panels = [FieldRowPanel([FieldPanel("category"), FieldPanel("tag"), FieldPanel("count")])]

    class Meta(Orderable.Meta):
        # pk breaks ties: rows made in code may share a sort order (or have none), and PostgreSQL
        # returns equal keys in any order.
        ordering = ["sort_order", "pk"]
        verbose_name = _("question pool")
        verbose_name_plural = _("question pools")

    def clean(self):
        super().clean()
        if self.category_id is None and not self.tag.strip():
            raise ValidationError(_("Choose a category, a tag, or both for each pool."))

    def candidates(self):
        questions = Question.objects.all()
        if self.category_id is not None:
            questions = questions.filter(category_id=self.category_id)
        if self.tag.strip():
            questions = questions.filter(tags__name=self.tag.strip())
        return questions


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_GRADING = "awaiting_grading", _("Waiting for a trainer to grade")
    GRADED = "graded", _("Graded")


class Attempt(models.Model):
    """One try at a quiz by a learner in one module. Numbered 1, 2, … per (learner, quiz, module)."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    module = models.ForeignKey("shixun_courses.ModulePage", on_delete=models.CASCADE, related_name="quiz_attempts")
    number = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=20, choices=AttemptState.choices, default=AttemptState.IN_PROGRESS)
    # The rules as they were when the attempt started: editing the quiz later
    # does not move the goalposts of an attempt already under way.
    pass_mark_percent = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    last_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    graded_at = models.DateTimeField(null=True, blank=True)
    score_points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    max_points = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # Set as soon as it is decided: while answers wait for a trainer, when their points cannot change it.
    passed = models.BooleanField(null=True)
    # While answers wait for a trainer: the points of the answers graded so far
    # (automatically, or by the trainer), and the most the waiting ones can add.
    auto_points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    pending_points = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "quiz", "module", "number"], name="shixun_quiz_attempt_number"),
            # At most one open attempt per learner and activity, also if two
            # requests slip past the lock (a belt to the braces of services.py).
            models.UniqueConstraint(
                fields=["learner", "quiz", "module"], condition=Q(state="in_progress"),
                name="shixun_quiz_one_open_attempt",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="shixun_quiz_attempt_number_positive"),
        ]
        indexes = [
            models.Index(fields=["quiz", "module", "learner"]),
            models.Index(fields=["state", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.quiz} #{self.number}"

    @property
    def activity_key(self) -> str:
        return f"quiz:{self.quiz_id}"

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS

    @property
    def auto_percent(self) -> Decimal | None:
        """The automatically graded part's points as a share of the whole quiz, while a trainer still grades."""
        if self.auto_points is None or not self.max_points:
            return None
        return (self.auto_points * 100 / self.max_points).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class AttemptQuestion(models.Model):
    """A question as frozen into one attempt, with the learner's answer and its grade."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="attempt_items")
    snapshot = models.JSONField()
    points_possible = models.DecimalField(max_digits=6, decimal_places=2)
    response = models.JSONField(null=True, blank=True)
    points_awarded = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    needs_manual_grading = models.BooleanField(default=False)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    grader_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="shixun_quiz_item_position"),
            models.UniqueConstraint(fields=["attempt", "question"], name="shixun_quiz_item_question"),
        ]
        indexes = [models.Index(fields=["needs_manual_grading", "graded_at"])]

    def __str__(self) -> str:
        return f"{self.attempt} · {self.position}"

    @property
    def kind(self) -> str:
        return self.snapshot["kind"]

    @property
    def max_points(self) -> Decimal:
        return self.points_possible

    @property
    def field_name(self) -> str:
        return f"q-{self.pk}"
