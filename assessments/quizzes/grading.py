"""Grading rules as pure functions over question snapshots (see Question.snapshot).

No database here: every rule (how each question type is scored, how an
answer from the browser is checked, which attempt counts, what a learner's
quiz status is) takes plain values and returns plain values, so each can be
tested on its own and the services only orchestrate.

A *response* is the typed, validated answer stored with an attempt:
- single: an option id (int)
- multiple: a sorted list of option ids
- true_false: a bool
- fill_blank, short_answer: a str
- None: not answered
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

FILL_BLANK_MAX_LENGTH = 200
SHORT_ANSWER_MAX_LENGTH = 5000
TWO_PLACES = Decimal("0.01")

_WHITESPACE = re.compile(r"\s+")


class InvalidAnswer(ValueError):
    """An answer that cannot have come from the quiz page: rejected whole, nothing saved."""


def normalise_text(value: str) -> str:
    """Fold the differences a learner cannot see or does not mean.

    NFKC turns full-width letters, digits and punctuation (Ｃ／１２３, typed
    with a Chinese input method) into their ordinary forms; casefold ignores
    letter case; runs of whitespace (including the ideographic space) become
    one space.
    """
    folded = unicodedata.normalize("NFKC", value).casefold()
    return _WHITESPACE.sub(" ", folded).strip()


# --- Checking what the browser sent --------------------------------------------------


def clean_response(snapshot: dict, raw) -> object:
    """Turn the raw values posted for one question into a typed response, or raise InvalidAnswer.

    `raw` is a list of strings (a form field's values, or the same shape in
    JSON). An empty list or blank text means "not answered" (None).
    """
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise InvalidAnswer(_("The answer is not in the expected form."))
    values = [v for v in raw if v.strip()]
    if not values:
        return None
    kind = snapshot["kind"]
    if kind in ("single", "multiple"):
        known = {option["id"] for option in snapshot["options"]}
        ids = []
        for value in values:
            try:
                option_id = int(value)
            except ValueError:
                raise InvalidAnswer(_("The answer names an option that does not exist.")) from None
            if option_id not in known:
                raise InvalidAnswer(_("The answer names an option that does not exist."))
            ids.append(option_id)
        if kind == "single":
            if len(ids) != 1:
                raise InvalidAnswer(_("Choose only one option for a single-choice question."))
            return ids[0]
        if len(set(ids)) != len(ids):
            raise InvalidAnswer(_("The same option was sent twice."))
        return sorted(ids)
    if kind == "true_false":
        if len(values) != 1 or values[0] not in ("true", "false"):
            raise InvalidAnswer(_("A true-or-false answer must be true or false."))
        return values[0] == "true"
    if len(values) != 1:
        raise InvalidAnswer(_("Send one text answer per question."))
    limit = FILL_BLANK_MAX_LENGTH if kind == "fill_blank" else SHORT_ANSWER_MAX_LENGTH
    text = values[0].strip()
    if len(text) > limit:
        raise InvalidAnswer(_("The answer is too long (at most %(limit)d characters).") % {"limit": limit})
    return text


def clean_answers(snapshots_by_item: dict[int, dict], raw_answers) -> dict[int, object]:
    """Validate a whole batch of answers: {item id: raw} → {item id: response}.

    All or nothing: one bad answer rejects the batch, so a tampered request
    never leaves half its answers saved.
    """
    if not isinstance(raw_answers, dict):
        raise InvalidAnswer(_("The answers are not in the expected form."))
    cleaned = {}
    for key, raw in raw_answers.items():
        try:
            item_id = int(key)
        except (TypeError, ValueError):
            raise InvalidAnswer(_("An answer was sent for a question that is not in this attempt.")) from None
        if item_id not in snapshots_by_item:
            raise InvalidAnswer(_("An answer was sent for a question that is not in this attempt."))
        cleaned[item_id] = clean_response(snapshots_by_item[item_id], raw)
    return cleaned


# --- Scoring one question ------------------------------------------------------------


@dataclass(frozen=True)
class QuestionGrade:
    points: Decimal | None  # None while a trainer has still to grade it
    needs_manual_grading: bool = False

    @property
    def pending(self) -> bool:
        return self.points is None


def grade_question(snapshot: dict, response) -> QuestionGrade:
    points = Decimal(snapshot["points"])
    kind = snapshot["kind"]
    if kind == "short_answer":
        if response is None:
            # Nothing to read: a blank short answer earns nothing and needs no trainer.
            return QuestionGrade(Decimal("0"))
        return QuestionGrade(None, needs_manual_grading=True)
    if response is None:
        return QuestionGrade(Decimal("0"))
    if kind == "single":
        correct = {o["id"] for o in snapshot["options"] if o["correct"]}
        return QuestionGrade(points if response in correct else Decimal("0"))
    if kind == "multiple":
        return QuestionGrade(_grade_multiple(snapshot, set(response), points))
    if kind == "true_false":
        return QuestionGrade(points if response == snapshot["answer"] else Decimal("0"))
    if kind == "fill_blank":
        accepted = {normalise_text(answer) for answer in snapshot["accepted"]}
        return QuestionGrade(points if normalise_text(response) in accepted else Decimal("0"))
    raise ValueError(f"unknown question kind {kind!r}")


def _grade_multiple(snapshot: dict, chosen: set[int], points: Decimal) -> Decimal:
    correct = {o["id"] for o in snapshot["options"] if o["correct"]}
    if snapshot.get("scoring") != "partial":
        return points if chosen == correct else Decimal("0")
    # Partial credit: each correct option ticked earns 1/k of the points (k =
    # number of correct options) and each wrong one ticked takes 1/k away, so
    # ticking everything earns nothing; never below zero.
    right = len(chosen & correct)
    wrong = len(chosen - correct)
    share = Decimal(max(right - wrong, 0)) / Decimal(len(correct))
    return (points * share).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def correct_answer_display(snapshot: dict) -> str:
    """The correct answer in words, for the result page and the CSV."""
    kind = snapshot["kind"]
    if kind in ("single", "multiple"):
        return "；".join(o["text"] for o in snapshot["options"] if o["correct"])
    if kind == "true_false":
        return _("True") if snapshot["answer"] else _("False")
    if kind == "fill_blank":
        return " / ".join(snapshot["accepted"])
    return snapshot.get("reference", "")


def response_display(snapshot: dict, response) -> str:
    """The learner's answer in words."""
    if response is None:
        return ""
    kind = snapshot["kind"]
    if kind in ("single", "multiple"):
        chosen = {response} if kind == "single" else set(response)
        return "；".join(o["text"] for o in snapshot["options"] if o["id"] in chosen)
    if kind == "true_false":
        return _("True") if response else _("False")
    return str(response)


# --- Whole attempts and the learner's standing -------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    score: Decimal | None  # None while any question awaits a trainer
    max_points: Decimal
    percent: Decimal | None
    passed: bool | None  # also known while questions await a trainer, when their points cannot change it
    auto_points: Decimal = Decimal("0")  # points of the questions already graded
    pending_points: Decimal = Decimal("0")  # the most the questions awaiting a trainer can add

    @property
    def pending(self) -> bool:
        return self.score is None


def _percent(points: Decimal, max_points: Decimal) -> Decimal:
    return (points * 100 / max_points).quantize(TWO_PLACES, rounding=ROUND_HALF_UP) if max_points else Decimal("0")


def attempt_result(grades: Iterable[tuple[Decimal | None, Decimal]], pass_mark_percent: int) -> AttemptResult:
    """Sum (points awarded, max points) pairs into a score, a percentage and pass/fail.

    While some answers await a trainer, pass/fail is already given when no
    grade the trainer can give changes it: the graded part alone reaches the
    pass mark, or even full marks on the rest cannot. Rounding is the same as
    for the final percentage, so the final result always agrees.
    """
    grades = list(grades)
    max_points = sum((maximum for _, maximum in grades), Decimal("0"))
    auto = sum((points for points, _ in grades if points is not None), Decimal("0"))
    pending = sum((maximum for points, maximum in grades if points is None), Decimal("0"))
    if pending or any(points is None for points, _ in grades):
        if _percent(auto, max_points) >= pass_mark_percent:
            passed = True
        elif _percent(auto + pending, max_points) < pass_mark_percent:
            passed = False
        else:
            passed = None
        return AttemptResult(None, max_points, None, passed, auto, pending)
    percent = _percent(auto, max_points)
    return AttemptResult(auto, max_points, percent, percent >= pass_mark_percent, auto, Decimal("0"))


@dataclass(frozen=True)
class AttemptSummary:
    number: int
    state: str  # models.AttemptState values
    percent: Decimal | None
    passed: bool | None


@dataclass(frozen=True)
class Standing:
    status: str  # courses.models.ActivityStatus values
    counting_attempt: int | None  # number of the attempt whose score counts
    percent: Decimal | None
    attempts_used: int
    attempts_left: int


def counting_attempt(attempts: Sequence[AttemptSummary], policy: str) -> AttemptSummary | None:
    """The graded attempt whose score counts: the best, or the last (by number)."""
    graded = [a for a in attempts if a.state == "graded"]
    if not graded:
        return None
    if policy == "last":
        return max(graded, key=lambda a: a.number)
    # Best: highest percentage; on a tie the earlier attempt (it got there first).
    return max(graded, key=lambda a: (a.percent or Decimal("0"), -a.number))


def is_decided(attempt: AttemptSummary) -> bool:
    """Graded, or waiting for a trainer whose grade can no longer change pass or fail."""
    return attempt.state == "graded" or (attempt.state == "awaiting_grading" and attempt.passed is not None)


def learner_standing(attempts: Sequence[AttemptSummary], *, policy: str, attempts_allowed: int) -> Standing:
    """Where a learner stands on a quiz, as an ActivityStatus value.

    - any decided attempt passed: done (a pass is never taken back, also under
      "last attempt counts": courses.progress keeps DONE done);
    - an open attempt: in progress;
    - an attempt waiting for a trainer whose grade decides pass or fail: waiting;
    - nothing yet: not started;
    - every allowed attempt used without a pass: failed;
    - a failed attempt (graded, or already failing whatever the trainer
      gives) with a retake left: in progress.
    """
    used = len(attempts)
    left = max(attempts_allowed - used, 0)
    counting = counting_attempt(attempts, policy)
    percent = counting.percent if counting else None
    number = counting.number if counting else None
    states = {a.state for a in attempts}
    if any(a.passed for a in attempts if is_decided(a)):
        status = "done"
    elif "in_progress" in states:
        status = "in_progress"
    elif any(not is_decided(a) for a in attempts if a.state == "awaiting_grading"):
        status = "waiting"
    elif not attempts:
        status = "not_started"
    elif left == 0:
        status = "failed"
    else:
        status = "in_progress"
    return Standing(status, number, percent, used, left)
