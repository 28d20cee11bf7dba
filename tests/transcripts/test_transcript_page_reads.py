"""The transcript page's pending hours (待考核) read is compiled once (issue 18): it must answer what the ORM
answers, for each learner their own, and follow a pass at once (nothing of it is kept between requests)."""

from decimal import Decimal

import pytest

from shixun.transcripts.services import _held_completions, _pending_rows, pending_by_course, pending_with_modules
from tests.transcripts.test_credit_policy import AWARD, grade
from tests.transcripts.test_grade_sheet_pass_policy import g  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _orm(learner):
    return [(r["course_id"], r["hours"], r["award"]) for r in _pending_rows([learner.pk])]


def test_the_compiled_pending_read_answers_what_the_orm_answers_for_each_learner(org, g):  # noqa: F811
    mine, theirs = pending_by_course(org.teacher), pending_by_course(org.sibling_teacher)
    assert [(p.course_id, p.module_hours, p.award_hours) for p in mine] == _orm(org.teacher)
    assert [(p.course_id, p.module_hours, p.award_hours) for p in theirs] == _orm(org.sibling_teacher)
    assert mine[0].module_hours != theirs[0].module_hours and mine[0].award_hours == AWARD
    assert pending_by_course(org.foreign_teacher) == []


def _listed_one_by_one(learner):
    """The held completions as the transcript listed them before (their own query, in each course's order)."""
    rows = (
        _held_completions([learner.pk])
        .order_by("course_id", "module__path")
        .values_list("course_id", "module_id", "module__title", "credit_hours")
    )
    listed = {}
    for course_id, module_id, title, hours in rows:
        listed.setdefault(course_id, []).append((module_id, title, str(hours)))
    return listed


def test_the_courses_and_their_modules_in_one_read_are_what_the_two_reads_gave(
    org,
    g,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    """The transcript's one read of the pending courses and their modules gives what its two reads gave: the same
    courses in the same order, the same Decimal figures to the digit (compared as text), the same modules in each
    course's order, for each learner."""
    from tests.transcripts.test_study_time_column import pass_policy_course

    pass_policy_course(org.teacher, ("1.0", "2.5", "0.5", "0.1", "0.2"), django_capture_on_commit_callbacks)
    for learner in (org.teacher, org.sibling_teacher, org.foreign_teacher):
        pending, modules = pending_with_modules(learner.pk)
        expected = pending_by_course(learner)
        assert [(p.course_id, p.title, str(p.module_hours), str(p.award_hours)) for p in pending] == [
            (p.course_id, p.title, str(p.module_hours), str(p.award_hours)) for p in expected
        ]
        listed = {c: [(m.module_id, m.title, str(m.hours)) for m in ms] for c, ms in modules.items()}
        assert listed == _listed_one_by_one(learner)
        assert all(m.learner_id == learner.pk and m.course_id == c for c, ms in modules.items() for m in ms)
    teacher_pending, _ = pending_with_modules(org.teacher.pk)
    assert len(teacher_pending) == 2 and {p.module_hours for p in teacher_pending} == {Decimal("3.5"), Decimal("4.3")}
    # As the transcript, its CSV and PDF print them: SQLite's floating-point sum of 4.3 h read 4.30000000000000.
    assert sorted(str(p.module_hours) for p in teacher_pending) == ["3.5", "4.3"]
    assert sorted(str(p.module_hours) for p in pending_by_course(org.teacher)) == ["3.5", "4.3"]
    # An award read through its subquery reads 4.0 as PostgreSQL does (SQLite read 4), and no award 0.0.
    assert {str(p.award_hours) for p in teacher_pending} == {f"{AWARD:.1f}", "0.0"}
    assert pending_with_modules(org.foreign_teacher.pk) == ([], {})


def test_a_pass_shows_on_the_transcript_at_once(org, g, client, django_capture_on_commit_callbacks):  # noqa: F811
    client.force_login(org.teacher)
    assert "待考核" in client.get("/transcript/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert pending_by_course(org.teacher) == [] and _orm(org.teacher) == []
    assert "待考核" not in client.get("/transcript/").content.decode()
    assert pending_by_course(org.sibling_teacher)[0].module_hours == Decimal("2.0")


def test_the_compiled_certificates_read_answers_what_the_orm_answers(org):
    """The transcript's certificates (newest first, ties by the newest row), compiled once: every field of every
    row as the ORM makes it, each learner only their own, a new one at once."""
    from datetime import date, timedelta

    from shixun.transcripts.models import Certificate
    from shixun.transcripts.transcript import _certificates, certificates_of

    def issue(learner, on, **extra):  # certificates of another source (no course completion to build)
        return Certificate.objects.create(
            learner=learner, kind="completion", course_title="课程", learner_name="王", hours=Decimal("3.5"),
            completed_on=on, issued_on=on, issuer="进修学校", source_kind="shadowing",
            source_ref=f"teacher:{Certificate.objects.count() + 1}", **extra,
        )

    day = date(2026, 3, 1)
    issue(org.teacher, day)
    issue(org.teacher, day, score=Decimal("88.5"))
    issue(org.teacher, day - timedelta(days=40), revoked_reason="作弊")
    issue(org.sibling_teacher, day + timedelta(days=1))

    def fields(certificates):
        return [{k: v for k, v in c.__dict__.items() if not k.startswith("_")} for c in certificates]

    for learner in (org.teacher, org.sibling_teacher, org.foreign_teacher):
        assert fields(certificates_of(learner.pk)) == fields(_certificates(learner.pk))
    assert len(certificates_of(org.teacher.pk)) == 3 and certificates_of(org.foreign_teacher.pk) == []
    newest = issue(org.teacher, day + timedelta(days=2))
    assert certificates_of(org.teacher.pk)[0].pk == newest.pk
