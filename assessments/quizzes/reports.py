"""What trainers see: results per quiz and learner, per-question correct rates, the grading queue, CSV.

Each report is a fixed number of queries whatever the number of learners
(tests/quizzes/test_trainer_pages.py measures it at two sizes).
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shixun.courses.activities import placements
from shixun.courses.models import CoursePage, ModulePage
from shixun.spreadsheets.formulas import neutralise

from . import grading
from .models import Attempt, AttemptQuestion, AttemptState, Question, Quiz
from .permissions import courses_managed_by

# --- Which quizzes a trainer looks after ---------------------------------------------------


@dataclass
class QuizPlacement:
    course: CoursePage
    module: ModulePage
    quiz: Quiz
    attempts: int = 0
    learners: int = 0
    to_grade: int = 0


def modules_managed_by(user):
    """Module pages of the courses the user may see results of."""
    course_paths = list(courses_managed_by(user).values_list("path", flat=True))
    if not course_paths:
        return ModulePage.objects.none()
    scope = Q()
    for path in course_paths:
        scope |= Q(path__startswith=path)
    return ModulePage.objects.filter(scope)


def placements_for(user) -> list[QuizPlacement]:
    courses = {c.path: c for c in courses_managed_by(user)}
    if not courses:
        return []
    modules = list(modules_managed_by(user).order_by("path"))
    pairs = placements(modules, "quiz")
    quizzes = Quiz.objects.in_bulk({quiz_id for _, quiz_id in pairs})
    counts = {
        (row["quiz_id"], row["module_id"]): row
        for row in Attempt.objects.filter(module__in=modules)
        .values("quiz_id", "module_id")
        .annotate(
            attempts=Count("pk"),
            learners=Count("learner", distinct=True),
            to_grade=Count("pk", filter=Q(state=AttemptState.AWAITING_GRADING)),
        )
    }
    result = []
    for module, quiz_id in pairs:
        if quiz_id not in quizzes:
            continue
        course = courses.get(module.path[: -ModulePage.steplen])
        row = counts.get((quiz_id, module.pk), {})
        result.append(
            QuizPlacement(
                course=course, module=module, quiz=quizzes[quiz_id],
                attempts=row.get("attempts", 0), learners=row.get("learners", 0), to_grade=row.get("to_grade", 0),
            )
        )
    return result


# --- Results of one quiz in one module ---------------------------------------------------------


@dataclass
class LearnerResult:
    learner: object
    attempts: list = field(default_factory=list)
    standing: grading.Standing | None = None


def learner_results(quiz: Quiz, module: ModulePage) -> list[LearnerResult]:
    """One row per learner who has started the quiz in this module (2 queries)."""
    attempts = (
        Attempt.objects.filter(quiz=quiz, module=module)
        .select_related("learner", "learner__school")
        .order_by("learner__full_name", "learner_id", "number")
    )
    rows: dict[int, LearnerResult] = {}
    for attempt in attempts:
        rows.setdefault(attempt.learner_id, LearnerResult(attempt.learner)).attempts.append(attempt)
    for row in rows.values():
        row.standing = grading.learner_standing(
            [grading.AttemptSummary(a.number, a.state, a.percent, a.passed) for a in row.attempts],
            policy=quiz.grading_policy, attempts_allowed=quiz.attempts_allowed,
        )
    return list(rows.values())


@dataclass
class QuestionRate:
    question: Question | None
    text: str
    answered: int
    full_marks: int
    average_points: Decimal | None

    @property
    def correct_rate(self) -> Decimal | None:
        if not self.answered:
            return None
        return (Decimal(self.full_marks) * 100 / self.answered).quantize(Decimal("0.1"))


def question_rates(quiz: Quiz, module: ModulePage) -> list[QuestionRate]:
    """How often each question was answered fully right, over every graded answer (2 queries)."""
    rows = (
        AttemptQuestion.objects.filter(attempt__quiz=quiz, attempt__module=module, points_awarded__isnull=False)
        .exclude(attempt__state=AttemptState.IN_PROGRESS)
        .values("question_id")
        .annotate(
            answered=Count("pk"),
            full_marks=Count("pk", filter=Q(points_awarded__gte=F("points_possible"))),
            average_points=Avg("points_awarded"),
        )
        .order_by("question_id")
    )
    rows = list(rows)
    questions = Question.objects.in_bulk([row["question_id"] for row in rows])
    rates = [
        QuestionRate(
            question=questions.get(row["question_id"]),
            text=str(questions.get(row["question_id"], "")),
            answered=row["answered"],
            full_marks=row["full_marks"],
            average_points=row["average_points"],
        )
        for row in rows
    ]
    # Hardest first: what a trainer most needs to look at.
    return sorted(rates, key=lambda rate: (rate.correct_rate is None, rate.correct_rate or 0))


def grading_queue(user):
    """Short answers waiting for a trainer, oldest submission first, in the user's courses."""
    return (
        AttemptQuestion.objects.filter(
            needs_manual_grading=True,
            graded_at__isnull=True,
            attempt__state=AttemptState.AWAITING_GRADING,
            attempt__module__in=modules_managed_by(user),
        )
        .select_related("attempt", "attempt__learner", "attempt__learner__school", "attempt__quiz", "attempt__module")
        .order_by("attempt__submitted_at", "attempt_id", "position")
    )


# --- CSV ------------------------------------------------------------------------------------

def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def results_csv(quiz: Quiz, module: ModulePage) -> str:
    """Every attempt of the quiz in this module, one row each, as UTF-8 CSV with a BOM (Excel reads it right)."""
    state_labels = dict(AttemptState.choices)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Name"), _("Username"), _("Staff number"), _("School"), _("Attempt"), _("State"), _("Started"),
            _("Submitted"), _("Submitted automatically"), _("Score"), _("Out of"), _("Percent"), _("Passed"),
        ]
    )
    for row in learner_results(quiz, module):
        learner = row.learner
        for attempt in row.attempts:
            writer.writerow(
                [
                    neutralise(value)
                    for value in (
                        learner.display_name, learner.username, learner.staff_number,
                        learner.school.name if learner.school else "", attempt.number,
                        state_labels.get(attempt.state, attempt.state), _local(attempt.started_at),
                        _local(attempt.submitted_at), _("Yes") if attempt.auto_submitted else "",
                        attempt.score_points if attempt.score_points is not None else "", attempt.max_points,
                        attempt.percent if attempt.percent is not None else "",
                        "" if attempt.passed is None else (_("Yes") if attempt.passed else _("No")),
                    )
                ]
            )
    return buffer.getvalue()
