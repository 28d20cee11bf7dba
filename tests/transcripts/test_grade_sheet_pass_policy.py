"""The grade sheet of a course whose hours post when it is passed tells the trainer, before saving, what saving does:
a pass posts the learner's pending hours (the ledger's pending computation, the same figure as the transcript's
待考核), a fail posts nothing, a pass changed to a fail reverses what the pass posted."""

import re
from decimal import Decimal

import pytest

from shixun.courses.models import CreditPolicy
from shixun.transcripts import certificates as certs
from shixun.transcripts import grades
from shixun.transcripts.services import pending_by_course, pending_by_learner, pending_hours_by_learner
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol
from tests.transcripts.test_credit_policy import AWARD, COURSE_HOURS, grade, graded_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def g(org, django_capture_on_commit_callbacks):
    g = graded_course(org)
    enrol(org.teacher, g.course)
    enrol(org.sibling_teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        for module in g.modules:
            complete(org.teacher, module)
        complete(org.sibling_teacher, g.modules[0])  # 2.0 h of modules so far, not all done
    g.url = f"/transcript/grades/{g.course.pk}/"
    return g


def learner_line(page: str, learner) -> str:
    """The text of the learner's hours line on the sheet, whitespace collapsed."""
    match = re.search(rf'<p class="pass-hours small" data-learner="{learner.pk}">(.*?)</p>', page, re.S)
    assert match, f"no hours line for learner {learner.pk}"
    return " ".join(match.group(1).split())


def sheet(client, g, language="zh-hans") -> str:
    return client.get(g.url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_before_saving_the_sheet_says_what_a_pass_posts_per_learner_in_chinese(org, g, client):
    client.force_login(org.trainer)
    page = sheet(client, g)
    assert "data-hours-on-pass" in page and "考核通过后" in page
    assert "不合格不记入任何学时" in page and "撤销证书并冲销" in page
    # The figure is the transcript's 待考核 figure: modules 3.5 + award 4 = 7.5.
    (pending,) = pending_by_course(org.teacher)
    assert pending.hours == COURSE_HOURS == Decimal("7.5")
    line = learner_line(page, org.teacher)
    assert "待考核 7.5 学时" in line and "模块 3.5" in line and "另加 4.0" in line
    # Not all modules done: what is pending so far, posted once every module is done and passed.
    sibling = learner_line(page, org.sibling_teacher)
    assert "待考核 6.0 学时" in sibling and "全部模块完成" in sibling


def test_the_sheet_in_english(org, g, client):
    client.force_login(org.trainer)
    page = sheet(client, g, "en")
    assert "What saving does to hours" in page and "A fail posts nothing" in page
    assert "7.5 hours (3.5 of modules + 4.0 extra): a pass posts them" in learner_line(page, org.teacher)


def test_after_a_pass_it_says_what_a_fail_would_reverse_and_after_the_fail_that_nothing_posts_again(org, g, client):
    client.force_login(org.trainer)
    grade(g, org.teacher, org.trainer, school="85", central="75", absent="0")
    assert certs.course_hours(org.teacher.pk, g.course.pk) == COURSE_HOURS
    line = learner_line(sheet(client, g), org.teacher)
    assert "考核通过已记入 7.5 学时" in line and "改为不合格将冲销" in line
    assert "were credited by the pass" in learner_line(sheet(client, g, "en"), org.teacher)

    grade(g, org.teacher, org.trainer, school="10", central="10")
    assert certs.course_hours(org.teacher.pk, g.course.pk) == 0
    assert "证书已撤销" in learner_line(sheet(client, g), org.teacher)


def test_a_fail_posts_nothing_and_the_figure_stays(org, g, client):
    grade(g, org.teacher, org.trainer, school="10", central="10", absent="0")
    assert certs.course_hours(org.teacher.pk, g.course.pk) == 0
    client.force_login(org.trainer)
    assert "待考核 7.5 学时" in learner_line(sheet(client, g), org.teacher)


def test_a_course_with_hours_per_module_shows_no_such_notice(org, client):
    other = graded_course(org, policy=CreditPolicy.PER_MODULE)
    enrol(org.teacher, other.course)
    client.force_login(org.trainer)
    page = client.get(f"/transcript/grades/{other.course.pk}/").content.decode()
    assert "data-hours-on-pass" not in page and "pass-hours" not in page


def test_the_sheet_of_a_pass_policy_course_reads_in_constant_queries(org, g, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert len(grades.build_sheet(g.course).rows) == 2
    for n in range(12):
        learner = make_teacher(org.school, username=f"pp{n}")
        enrol(learner, g.course)
        complete(learner, g.modules[n % 2])
    with django_assert_max_num_queries(10):
        built = grades.build_sheet(g.course)
    assert len(built.rows) == 14
    assert all(row.pending is not None for row in built.rows)


def test_pending_for_many_learners_is_one_query_and_the_one_learner_figure(org, g, django_assert_num_queries):
    with django_assert_num_queries(1):
        many = pending_by_learner([org.teacher, org.sibling_teacher, org.foreign_teacher])
    assert many[org.teacher.pk] == pending_by_course(org.teacher)
    assert many[org.sibling_teacher.pk] == pending_by_course(org.sibling_teacher)
    assert org.foreign_teacher.pk not in many
    assert pending_hours_by_learner(type(org.teacher).objects.all()) == {
        org.teacher.pk: Decimal("3.5") + AWARD, org.sibling_teacher.pk: Decimal("2.0") + AWARD,
    }
