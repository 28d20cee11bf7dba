"""Course evaluations: answering once after the rest of the course, anonymity, the threshold, who sees results."""

import csv
import io

import pytest
from django.test import override_settings
from django.utils import translation

from shixun.accounts.models import Role
from shixun.assessments.evaluations import results
from shixun.assessments.evaluations.models import Answered, EvaluationTemplate, Response
from shixun.assessments.evaluations.services import EvaluationRefused, check_answers, submit
from shixun.courses import enrolment
from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityProgress, ActivityStatus, CourseCompletion, ModuleCompletion
from shixun.courses.progress import record_activity_status
from tests.courses.conftest import make_catalogue, make_course, make_module
from tests.factories import make_teacher, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The refusals are matched in English here; the Chinese wording is checked through the page."""
    with translation.override("en"):
        yield

GOOD = {"content": "5", "trainer": "4", "organisation": "3", "usefulness": "4", "comment": "很有收获"}
HOSTILE = '=HYPERLINK("http://evil","点我")<script>alert(1)</script>'


@pytest.fixture
def template(org):
    return EvaluationTemplate.objects.create(district=org.district, title="学员评价表（甘州区）")


@pytest.fixture
def course_setup(org, template):
    course = make_course(make_catalogue(), title="信息技术应用能力提升", trainers=[org.trainer])
    first = make_module(course, title="第一讲", body=[("paragraph", "<p>正文</p>")])
    last = make_module(course, title="课程评价", hours="0.5", body=[
        ("paragraph", "<p>请评价</p>"),
        ("evaluation", {"evaluation_template": template, "required": True}),
    ])
    return course, first, last


def finish_course_work(user, course, first, last):
    enrolment.enrol_self(user, course)
    record_activity_status(user, first, LESSON_KEY, ActivityStatus.DONE)
    record_activity_status(user, last, LESSON_KEY, ActivityStatus.DONE)


def add_learners(org, course, first, last, count, *, school=None, start=0):
    learners = []
    for n in range(start, start + count):
        learner = make_teacher(school or org.school, username=f"learner{n}", staff_number=f"L{n:03d}")
        finish_course_work(learner, course, first, last)
        learners.append(learner)
    return learners


def test_answering_records_an_anonymous_response_and_completes_the_course(org, template, course_setup):
    course, first, last = course_setup
    finish_course_work(org.teacher, course, first, last)
    assert not CourseCompletion.objects.filter(user=org.teacher, course=course).exists()  # the evaluation is required

    response = submit(org.teacher, last, template, check_answers(GOOD))

    assert (response.content, response.trainer, response.organisation, response.usefulness) == (5, 4, 3, 4)
    assert response.district_id == org.district.pk and response.course_id == course.pk
    # Nothing on the response points back at the learner or their school.
    field_names = {f.name for f in Response._meta.get_fields()}
    assert not field_names & {"user", "learner", "school", "created_at", "submitted_at"}
    assert Answered.objects.filter(user=org.teacher, course=course).count() == 1
    assert ModuleCompletion.objects.filter(user=org.teacher, module=last).exists()
    assert CourseCompletion.objects.filter(user=org.teacher, course=course).exists()


def _nothing_written(before):
    assert (Response.objects.count(), Answered.objects.count(), ActivityProgress.objects.filter(
        activity_key__startswith="evaluation:").count()) == before


def _counts():
    return (Response.objects.count(), Answered.objects.count(),
            ActivityProgress.objects.filter(activity_key__startswith="evaluation:").count())


def test_a_second_answer_is_refused_and_writes_nothing(org, template, course_setup):
    course, first, last = course_setup
    finish_course_work(org.teacher, course, first, last)
    submit(org.teacher, last, template, check_answers(GOOD))
    before = _counts()
    with pytest.raises(EvaluationRefused, match="already evaluated"):
        submit(org.teacher, last, template, check_answers(GOOD))
    _nothing_written(before)


def test_a_learner_not_enrolled_is_refused(org, template, course_setup):
    course, first, last = course_setup
    before = _counts()
    with pytest.raises(EvaluationRefused, match="enrolled"):
        submit(org.sibling_teacher, last, template, check_answers(GOOD))
    _nothing_written(before)


def test_the_rest_of_the_course_comes_first(org, template, course_setup):
    course, first, last = course_setup
    enrolment.enrol_self(org.teacher, course)
    record_activity_status(org.teacher, last, LESSON_KEY, ActivityStatus.DONE)
    before = _counts()
    with pytest.raises(EvaluationRefused, match="rest of the course"):
        submit(org.teacher, last, template, check_answers(GOOD))
    _nothing_written(before)


@pytest.mark.parametrize("bad", [
    {"content": "6"}, {"content": "0"}, {"trainer": "-1"}, {"organisation": "3.5"}, {"usefulness": "五"},
    {"usefulness": ""}, {"comment": "字" * 2001},
])
def test_answers_out_of_range_are_refused(bad):
    with pytest.raises(EvaluationRefused) as refusal:
        check_answers(GOOD | bad)
    assert refusal.value.field == next(iter(bad))


def test_the_form_refuses_out_of_range_with_a_message_in_chinese_and_writes_nothing(client, org, template,
                                                                                   course_setup):
    course, first, last = course_setup
    finish_course_work(org.teacher, course, first, last)
    client.force_login(org.teacher)
    before = _counts()
    with translation.override("zh-hans"):
        response = client.post(f"/evaluations/module/{last.pk}/{template.pk}/", GOOD | {"trainer": "9"})
    assert response.status_code == 400
    assert "评分必须是 1 到 5 的整数" in response.content.decode()
    _nothing_written(before)


def test_the_form_records_once_and_says_so_the_second_time(client, org, template, course_setup):
    course, first, last = course_setup
    finish_course_work(org.teacher, course, first, last)
    client.force_login(org.teacher)
    url = f"/evaluations/module/{last.pk}/{template.pk}/"
    assert client.post(url, GOOD).status_code == 302
    again = client.post(url, GOOD)
    assert again.status_code == 400 and Response.objects.count() == 1
    assert "您已评价过本课程" in again.content.decode()


def test_a_learner_not_enrolled_is_sent_to_the_course_page(client, org, template, course_setup):
    course, first, last = course_setup
    client.force_login(org.sibling_teacher)
    response = client.post(f"/evaluations/module/{last.pk}/{template.pk}/", GOOD)
    assert response.status_code == 302 and Response.objects.count() == 0


def test_a_template_not_placed_in_the_module_is_not_found(client, org, template, course_setup):
    course, first, last = course_setup
    finish_course_work(org.teacher, course, first, last)
    client.force_login(org.teacher)
    assert client.get(f"/evaluations/module/{first.pk}/{template.pk}/").status_code == 404


# --- results and the anonymity threshold ------------------------------------------------------------


def test_results_show_averages_only_from_the_threshold(org, template, course_setup):
    course, first, last = course_setup
    learners = add_learners(org, course, first, last, 5)
    for n, learner in enumerate(learners[:4]):
        submit(learner, last, template, check_answers(GOOD | {"content": str(n + 1)}))
    found = results.satisfaction(year=None)
    assert found.course(course.pk).responses == 4 and found.course(course.pk).averages is None
    assert found.trainers == []
    assert results.comments(course.pk) is None

    submit(learners[4], last, template, check_answers(GOOD | {"content": "5"}))
    found = results.satisfaction(courses=[course.pk], district=org.district)
    shown = found.course(course.pk)
    assert shown.responses == 5
    # content: 1+2+3+4+5 = 15 / 5 = 3.00; the others constant; overall (3 + 4 + 3 + 4) / 4 = 3.50
    assert (str(shown.averages.content), str(shown.averages.trainer), str(shown.averages.overall)) == (
        "3.00", "4.00", "3.50")
    trainer = found.trainer(org.trainer.pk)
    assert (trainer.responses, trainer.courses, str(trainer.averages.trainer)) == (5, 1, "4.00")
    assert results.comments(course.pk) == ["很有收获"] * 5


def test_the_threshold_is_a_setting(org, template, course_setup):
    course, first, last = course_setup
    (learner,) = add_learners(org, course, first, last, 1)
    submit(learner, last, template, check_answers(GOOD))
    assert not results.satisfaction().course(course.pk).shown
    with override_settings(SHIXUN_EVALUATION_MIN_RESPONSES=1):
        assert results.satisfaction().course(course.pk).shown


def test_a_trainer_pools_only_courses_above_the_threshold(org, template, course_setup):
    """Otherwise the trainer's total minus the shown course would reveal the hidden course's answers."""
    course, first, last = course_setup
    for learner in add_learners(org, course, first, last, 5):
        submit(learner, last, template, check_answers(GOOD))
    other = make_course(make_catalogue(slug="more", title="更多"), title="班主任工作", trainers=[org.trainer])
    other_last = make_module(other, title="评价", body=[("evaluation", {"evaluation_template": template,
                                                                           "required": True})])
    lone = make_teacher(org.school, username="lone", staff_number="Z1")
    enrolment.enrol_self(lone, other)
    record_activity_status(lone, other_last, LESSON_KEY, ActivityStatus.DONE)
    submit(lone, other_last, template, check_answers(GOOD | {"trainer": "1"}))
    trainer = results.satisfaction().trainer(org.trainer.pk)
    assert (trainer.responses, trainer.courses, str(trainer.averages.trainer)) == (5, 1, "4.00")


def test_a_district_sees_only_its_own_learners_answers(org, template, course_setup):
    course, first, last = course_setup
    for learner in add_learners(org, course, first, last, 5, school=org.foreign_school):
        submit(learner, last, template, check_answers(GOOD))
    assert results.satisfaction(district=org.other_district).course(course.pk).shown
    assert results.satisfaction(district=org.district).course(course.pk) is None


# --- who sees the results page ----------------------------------------------------------------------


@pytest.fixture
def answered_course(org, template, course_setup):
    course, first, last = course_setup
    for n, learner in enumerate(add_learners(org, course, first, last, 5)):
        submit(learner, last, template, check_answers(GOOD | {"comment": HOSTILE if n == 0 else f"意见{n}"}))
    return course


def test_the_district_admin_sees_results_with_comments_as_text(client, org, answered_course):
    client.force_login(org.district_admin)
    page = client.get("/evaluations/results/").content.decode()
    assert answered_course.title in page and "4.00" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "意见1" in page


def test_the_export_neutralises_formulas(client, org, answered_course):
    client.force_login(org.district_admin)
    response = client.get("/evaluations/results/csv/")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    comments = [row[-1] for row in rows if row and row[0] == answered_course.title and not row[1]]
    assert "'" + HOSTILE in comments


def test_the_trainer_sees_their_own_courses_only(client, org, answered_course):
    client.force_login(org.trainer)
    assert answered_course.title in client.get("/evaluations/results/").content.decode()
    other_trainer = make_user(district=org.district, roles=[Role.TRAINER], username="othertrainer")
    client.force_login(other_trainer)
    assert answered_course.title not in client.get("/evaluations/results/").content.decode()


def test_another_district_sees_nothing_of_it(client, org, answered_course):
    client.force_login(org.foreign_district_admin)
    page = client.get("/evaluations/results/").content.decode()
    assert answered_course.title not in page and "意见1" not in page


@pytest.mark.parametrize("role", ["teacher", "school_admin"])
def test_teachers_and_schools_get_no_results(client, org, answered_course, role):
    client.force_login(getattr(org, role))
    assert client.get("/evaluations/results/").status_code == 403
    assert client.get("/evaluations/results/csv/").status_code == 403


def test_a_district_admin_keeps_only_their_own_templates(client, org, template):
    foreign = EvaluationTemplate.objects.create(district=org.other_district, title="临泽县评价表")
    client.force_login(org.district_admin)
    listing = client.get("/admin/snippets/shixun_evaluations/evaluationtemplate/").content.decode()
    assert template.title in listing and foreign.title not in listing
    assert client.get(f"/admin/snippets/shixun_evaluations/evaluationtemplate/edit/{template.pk}/").status_code == 200
    assert client.get(f"/admin/snippets/shixun_evaluations/evaluationtemplate/edit/{foreign.pk}/").status_code == 404
    response = client.post("/admin/snippets/shixun_evaluations/evaluationtemplate/add/", {
        "district": org.other_district.pk, "title": "冒充的评价表",
    })
    assert response.status_code == 200 and not EvaluationTemplate.objects.filter(title="冒充的评价表").exists()
    client.post("/admin/snippets/shixun_evaluations/evaluationtemplate/add/", {
        "district": org.district.pk, "title": "新评价表",
    })
    assert EvaluationTemplate.objects.get(title="新评价表").district == org.district


def test_the_module_page_offers_the_evaluation_then_thanks(client, org, template, course_setup):
    course, first, last = course_setup
    finish_course_work(org.teacher, course, first, last)
    client.force_login(org.teacher)
    with translation.override("zh-hans"):
        page = client.get(last.url).content.decode()
        assert f"/evaluations/module/{last.pk}/{template.pk}/" in page and "尚未评价" in page
        submit(org.teacher, last, template, check_answers(GOOD))
        page = client.get(last.url).content.decode()
    assert "已评价，谢谢" in page and f"/evaluations/module/{last.pk}/{template.pk}/" not in page


def test_the_annual_report_reads_satisfaction_from_the_evaluations(org, template, course_setup):
    """Issue #15: the report's 学员满意度 per course and trainer, only where the threshold is met."""
    from django.utils import timezone

    from shixun.reports.providers import satisfaction as report_satisfaction

    course, first, last = course_setup
    learners = add_learners(org, course, first, last, 5)
    year = timezone.localdate().year
    for learner in learners[:4]:
        submit(learner, last, template, check_answers(GOOD))
    assert report_satisfaction(org.district, year) is None  # 4 answers: below the threshold, nothing shown
    submit(learners[4], last, template, check_answers(GOOD))
    rows = report_satisfaction(org.district, year)
    assert {(row["kind"], row["name"], row["responses"], row["score"]) for row in rows} == {
        ("course", course.title, 5, 4.0), ("trainer", org.trainer.shixun_profile.display_name, 5, 4.0),
    }
    assert report_satisfaction(org.other_district, year) is None
    assert report_satisfaction(org.district, year - 1) is None
