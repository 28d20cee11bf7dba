"""The grading rules, one question type at a time (pure functions, no database)."""

from decimal import Decimal

import pytest

from shixun.assessments.quizzes import grading
from shixun.assessments.quizzes.grading import AttemptSummary, InvalidAnswer

SINGLE = {"kind": "single", "points": 2, "options": [{"id": 1, "text": "A", "correct": False},
                                                    {"id": 2, "text": "B", "correct": True}]}
MULTI = {"kind": "multiple", "points": 3, "scoring": "all_or_nothing", "options": [
    {"id": 1, "text": "A", "correct": True}, {"id": 2, "text": "B", "correct": True},
    {"id": 3, "text": "C", "correct": True}, {"id": 4, "text": "D", "correct": False}]}
PARTIAL = {**MULTI, "scoring": "partial"}
TRUE_FALSE = {"kind": "true_false", "points": 1, "answer": False}
FILL = {"kind": "fill_blank", "points": 1, "accepted": ["C/123", "Excel 表格"]}
SHORT = {"kind": "short_answer", "points": 5, "reference": "…"}


def points(snapshot, response):
    return grading.grade_question(snapshot, response).points


class TestSingleChoice:
    def test_the_correct_option_earns_the_points(self):
        assert points(SINGLE, 2) == Decimal("2")

    def test_a_wrong_option_or_no_answer_earns_nothing(self):
        assert points(SINGLE, 1) == 0
        assert points(SINGLE, None) == 0


class TestMultipleChoice:
    def test_all_or_nothing_needs_exactly_the_correct_set(self):
        assert points(MULTI, [1, 2, 3]) == 3
        assert points(MULTI, [1, 2]) == 0
        assert points(MULTI, [1, 2, 3, 4]) == 0

    @pytest.mark.parametrize(
        "chosen, expected",
        [([1, 2, 3], "3"), ([1, 2], "2"), ([1], "1"), ([1, 2, 3, 4], "2"), ([1, 4], "0"), ([4], "0"),
         ([1, 2, 3, 4][:0], "0")],
    )
    def test_partial_credit_earns_a_share_per_right_option_minus_wrong_ones(self, chosen, expected):
        assert points(PARTIAL, chosen or None) == Decimal(expected)

    def test_partial_shares_are_rounded_to_two_places(self):
        snapshot = {**PARTIAL, "points": 1}
        assert points(snapshot, [1]) == Decimal("0.33")


class TestTrueFalse:
    def test_matching_the_statement_earns_the_point(self):
        assert points(TRUE_FALSE, False) == 1
        assert points(TRUE_FALSE, True) == 0


class TestFillInTheBlank:
    @pytest.mark.parametrize("typed", ["C/123", "c/123", "Ｃ／１２３", "  ｃ／１２３ ", "excel　表格", "EXCEL  表格"])
    def test_case_width_and_spacing_do_not_matter(self, typed):
        assert points(FILL, typed) == 1

    def test_other_text_is_wrong(self):
        assert points(FILL, "C/1234") == 0
        assert points(FILL, "Word") == 0

    def test_normalise_text_folds_full_width_and_case(self):
        assert grading.normalise_text("ＡＢＣ１２３") == "abc123"


class TestShortAnswer:
    def test_an_answer_waits_for_a_trainer(self):
        grade = grading.grade_question(SHORT, "我的理解是……")
        assert grade.pending and grade.needs_manual_grading

    def test_a_blank_answer_earns_nothing_and_needs_no_trainer(self):
        grade = grading.grade_question(SHORT, None)
        assert grade.points == 0 and not grade.needs_manual_grading


class TestCleaningAnswers:
    def test_valid_answers_become_typed_responses(self):
        assert grading.clean_response(SINGLE, ["", "2"]) == 2
        assert grading.clean_response(MULTI, ["3", "1"]) == [1, 3]
        assert grading.clean_response(TRUE_FALSE, ["false"]) is False
        assert grading.clean_response(FILL, ["", " Ｃ／１２３ "]) == "Ｃ／１２３"
        assert grading.clean_response(SINGLE, [""]) is None

    @pytest.mark.parametrize(
        "snapshot, raw",
        [
            (SINGLE, ["99"]),  # unknown option
            (SINGLE, ["abc"]),  # not an id
            (SINGLE, ["1", "2"]),  # two answers to a single choice
            (MULTI, ["1", "1"]),  # the same option twice
            (TRUE_FALSE, ["maybe"]),
            (FILL, ["a", "b"]),
            (FILL, ["x" * 201]),
            (SHORT, ["x" * 5001]),
            (SINGLE, "2"),  # wrong type: not a list
            (SINGLE, [2]),  # wrong type: not strings
            (SINGLE, {"id": 2}),
        ],
    )
    def test_tampered_answers_are_refused(self, snapshot, raw):
        with pytest.raises(InvalidAnswer):
            grading.clean_response(snapshot, raw)

    def test_an_answer_to_a_question_not_in_the_attempt_refuses_the_whole_batch(self):
        with pytest.raises(InvalidAnswer, match="not in this attempt"):
            grading.clean_answers({10: SINGLE}, {"10": ["2"], "11": ["1"]})
        with pytest.raises(InvalidAnswer):
            grading.clean_answers({10: SINGLE}, {"q10": ["2"]})
        with pytest.raises(InvalidAnswer):
            grading.clean_answers({10: SINGLE}, [["2"]])


class TestAttemptResult:
    def test_percent_and_pass_mark(self):
        result = grading.attempt_result([(Decimal("3"), Decimal("5")), (Decimal("0"), Decimal("0"))], 60)
        assert (result.score, result.max_points, result.percent, result.passed) == (3, 5, Decimal("60.00"), True)
        assert grading.attempt_result([(Decimal("2.99"), Decimal("5"))], 60).passed is False

    def test_a_pending_question_leaves_the_result_open(self):
        result = grading.attempt_result([(Decimal("3"), Decimal("3")), (None, Decimal("5"))], 60)
        assert result.pending and result.passed is None and result.max_points == 8

    def test_a_pending_question_that_cannot_change_the_outcome_decides_it(self):
        # 3 of 8 graded, 5 waiting: 37.5% now, at most 100%.
        assert grading.attempt_result([(Decimal("3"), Decimal("3")), (None, Decimal("5"))], 30).passed is True
        # 0 of 8 graded, 5 waiting: at most 62.5%.
        failed = grading.attempt_result([(Decimal("0"), Decimal("3")), (None, Decimal("5"))], 70)
        assert (failed.pending, failed.passed, failed.auto_points, failed.pending_points) == (True, False, 0, 5)
        # Rounded as the final percent: 2 of 3 can still reach 66.67, which passes 66.67.
        open_result = grading.attempt_result([(Decimal("1"), Decimal("2")), (None, Decimal("1"))], Decimal("66.67"))
        assert open_result.passed is None

    def test_a_decided_fail_awaiting_a_trainer_lets_the_retake_start(self):
        waiting_fail = AttemptSummary(1, "awaiting_grading", None, False)
        standing = grading.learner_standing([waiting_fail], policy="best", attempts_allowed=2)
        assert (standing.status, standing.attempts_left) == ("in_progress", 1)
        standing = grading.learner_standing([waiting_fail], policy="best", attempts_allowed=1)
        assert standing.status == "failed"
        undecided = AttemptSummary(1, "awaiting_grading", None, None)
        assert grading.learner_standing([undecided], policy="best", attempts_allowed=2).status == "waiting"
        waiting_pass = AttemptSummary(1, "awaiting_grading", None, True)
        assert grading.learner_standing([waiting_pass], policy="last", attempts_allowed=2).status == "done"


def summary(number, percent=None, state="graded"):
    passed = None if percent is None else Decimal(percent) >= 60
    return AttemptSummary(number, state, None if percent is None else Decimal(percent), passed)


class TestStanding:
    def standing(self, attempts, policy="best", allowed=2):
        return grading.learner_standing(attempts, policy=policy, attempts_allowed=allowed)

    def test_nothing_yet_is_not_started(self):
        assert self.standing([]).status == "not_started"

    def test_open_attempt_is_in_progress_and_waiting_attempt_is_waiting(self):
        assert self.standing([summary(1, state="in_progress")]).status == "in_progress"
        assert self.standing([summary(1, state="awaiting_grading")]).status == "waiting"

    def test_a_failed_attempt_with_a_retake_left_is_still_in_progress(self):
        standing = self.standing([summary(1, "40")])
        assert (standing.status, standing.attempts_left) == ("in_progress", 1)

    def test_every_attempt_failed_is_failed(self):
        assert self.standing([summary(1, "40"), summary(2, "50")]).status == "failed"

    def test_a_pass_is_done(self):
        assert self.standing([summary(1, "40"), summary(2, "80")]).status == "done"

    def test_best_or_last_attempt_decides_the_score(self):
        attempts = [summary(1, "90"), summary(2, "70")]
        assert self.standing(attempts, "best", 3).percent == Decimal("90")
        assert self.standing(attempts, "last", 3).percent == Decimal("70")
