import pytest

from . import builders


@pytest.fixture
def bank(db):
    """One question of each type (11 points in all)."""

    class Bank:
        pass

    b = Bank()
    b.single = builders.single()
    b.multiple = builders.multiple()
    b.true_false = builders.true_false()
    b.fill = builders.fill_blank()
    b.short = builders.short_answer()
    return b


@pytest.fixture
def auto_quiz(bank):
    """A quiz without short answers: graded at once (5 points: single 1, multiple 2, true/false 1, fill 1)."""
    return builders.quiz([bank.single, bank.multiple, bank.true_false, bank.fill])


@pytest.fixture
def placed(org, auto_quiz):
    """The auto-graded quiz placed in a module of a course the org's teacher is enrolled in and org.trainer trains."""

    class Placed:
        pass

    p = Placed()
    p.quiz = auto_quiz
    p.course, p.module = builders.course_with_module([auto_quiz], trainers=[org.trainer])
    builders.enrol(org.teacher, p.course)
    return p


@pytest.fixture(autouse=True)
def english_messages():
    """Service-level assertions read the English msgids; pages are checked in Chinese where it matters."""
    from django.utils import translation

    with translation.override("en"):
        yield
