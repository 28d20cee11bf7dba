"""The transcript page's pending hours (待考核) read is compiled once (issue 18): it must answer what the ORM
answers, for each learner their own, and follow a pass at once (nothing of it is kept between requests)."""

from decimal import Decimal

import pytest

from shixun.transcripts.services import _pending_rows, pending_by_course
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
