"""The one rule for CSV and spreadsheet cells: a text a spreadsheet would run as a formula gets a leading apostrophe.

Excel, WPS, LibreOffice and Google Sheets may read a cell starting with
= + - @ as a formula (CSV injection, OWASP), and Excel on a Chinese or
Japanese system accepts their full-width forms ＝ ＋ － ＠ as well. A
leading tab or carriage return can hide such a start from the eye and is
stripped by some importers, so it is neutralised too.

Leading whitespace: importers that trim spaces ("Trim spaces" in
LibreOffice, Google Sheets) turn "  =1+2" into "=1+2", so a text whose first
character after LEADING_SPACE is a formula character is neutralised as well.
LEADING_SPACE is an explicit list (not str.isspace) so that the database
version of this rule (schools.exports) can strip exactly the same characters.

Numbers (int, float, Decimal; not bool) are returned as str() unchanged: a
number's text is never a formula, and a negative number (a reversal's hours)
must stay a number. None is the empty cell.

unneutralise() reverses neutralise() for a value read back from a file we
wrote (a staff number in a grade sheet template). It is exact for every text
except one that itself starts with an apostrophe followed by a formula start,
which no key we write looks like.
"""

from __future__ import annotations

from decimal import Decimal

FORMULA_CHARACTERS = "=+-@＝＋－＠"
# Characters that start a formula on their own, before any whitespace is stripped.
CONTROL_PREFIXES = "\t\r"
# Stripped before looking for a formula character: space, tab, line feed, carriage return, no-break space,
# ideographic (full-width) space.
LEADING_SPACE = " \t\n\r\u00a0\u3000"
GUARD = "'"

# Any first character that may need a closer look; every other text is settled by one set lookup.
_SUSPECT_FIRST = frozenset(FORMULA_CHARACTERS + CONTROL_PREFIXES + LEADING_SPACE)
_FORMULA = frozenset(FORMULA_CHARACTERS)


def starts_like_formula(text: str) -> bool:
    if not text or text[0] not in _SUSPECT_FIRST:
        return False
    if text[0] in CONTROL_PREFIXES:
        return True
    return text.lstrip(LEADING_SPACE)[:1] in _FORMULA


def neutralise(value) -> str:
    """The cell's text, with a leading apostrophe if a spreadsheet could read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return GUARD + text if starts_like_formula(text) else text


def unneutralise(text: str) -> str:
    """The value neutralise() was given: a guard apostrophe in front of a formula start is removed."""
    return text[1:] if text.startswith(GUARD) and starts_like_formula(text[1:]) else text
