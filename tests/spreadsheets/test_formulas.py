"""The one formula rule for CSV and spreadsheet cells (spreadsheets.formulas)."""

from datetime import date
from decimal import Decimal

import pytest

from shixun.spreadsheets.formulas import neutralise, starts_like_formula, unneutralise

FORMULA_STARTS = [
    "=1+2", "+1", "-1+2", "@SUM(A1)",  # OWASP's four
    "＝SUM(1)", "＋1", "－1", "＠SUM(A1)",  # their full-width forms (Excel with a CJK input method)
    "\tx", "\rx", "\t", "\r",  # a leading tab or carriage return, even alone
]
# Importers that trim leading whitespace would find the formula underneath.
HIDDEN_BEHIND_SPACE = [" =1+2", "   +1", "\n-1", "\u00a0@SUM(A1)", "\u3000＝SUM(1)", " \t =1"]
PLAIN = ["王秀英", "T0001", "a=b", "1-2", "'=1", "'abc", " 王秀英", "\n", " ", "学时 = 12", "x－1"]


@pytest.mark.parametrize("text", FORMULA_STARTS + HIDDEN_BEHIND_SPACE)
def test_a_text_that_starts_like_a_formula_gets_a_leading_apostrophe(text):
    assert starts_like_formula(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_any_other_text_is_left_as_it_is(text):
    assert not starts_like_formula(text)
    assert neutralise(text) == text


def test_empty_and_none_are_the_empty_cell():
    assert neutralise("") == ""
    assert neutralise(None) == ""


@pytest.mark.parametrize("number", [-3, 0, 12, Decimal("-6.5"), Decimal("12.0"), -1.5])
def test_numbers_stay_numbers_even_negative(number):
    # A reversal's hours are negative and must stay a number in the spreadsheet.
    assert neutralise(number) == str(number)


def test_other_values_are_their_text_under_the_same_rule():
    assert neutralise(date(2026, 3, 1)) == "2026-03-01"
    assert neutralise(True) == "True"

    class Shown:
        def __str__(self):
            return "=cmd"

    assert neutralise(Shown()) == "'=cmd"


@pytest.mark.parametrize("text", FORMULA_STARTS + HIDDEN_BEHIND_SPACE + PLAIN[:4] + ["", "-", "+"])
def test_unneutralise_gives_back_what_neutralise_was_given(text):
    assert unneutralise(neutralise(text)) == text


def test_unneutralise_keeps_an_apostrophe_that_guards_nothing():
    assert unneutralise("'abc") == "'abc"
    assert unneutralise("'") == "'"
    assert unneutralise("'＝1") == "＝1"
    assert unneutralise("T0001") == "T0001"
