"""Issue #16: English pages showed Chinese full-width punctuation ("Quiz：", "2 times，0 attempts left")."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation


class Standing:
    attempts_used = 1
    attempts_left = 1


class Quiz:
    attempts_allowed = 2
    time_limit_minutes = None
    pass_mark_percent = 60


@pytest.mark.parametrize(
    ("language", "expected", "unexpected"), [("en", ", 1 attempt left", "，"), ("zh-hans", "，", ", 1")]
)
def test_separators_follow_the_language(language, expected, unexpected):
    with translation.override(language):
        html = render_to_string("quizzes/includes/rules.html", {"quiz": Quiz(), "standing": Standing()})
    assert expected in html and unexpected not in html


def test_no_template_hard_codes_full_width_punctuation_between_translated_parts():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("courses", "assessments", "platform", "themes")
        for path in (root / folder).rglob("*.html")
        if path.name not in ("500.html",)  # the server-error page is deliberately plain Chinese, no i18n
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if ("%}：" in line or "%}，" in line)
    ]
    assert offenders == []
