"""The demo (`manage.py seed_demo`): seeded once for this module, each test reading or changing it in a
savepoint that is rolled back after it, so every test starts from the freshly seeded demo.

A full seed costs seconds of CPU in each pass; these tests were in the apps' own files and seeded it
eleven times per pass. Seeding twice changes nothing (test_seeding_again_changes_nothing) for every
app's part of the demo at once.
"""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from shixun.accounts.models import District, School, TeacherCategory, User
from shixun.assessments.evaluations.demo import TEMPLATE_TITLE
from shixun.assessments.evaluations.models import EvaluationTemplate, Response
from shixun.courses.models import (
    CataloguePage,
    CourseCategory,
    CourseCompletion,
    CoursePage,
    CreditPolicy,
    Enrolment,
    EnrolmentApplication,
    ModuleCompletion,
    ModulePage,
)
from shixun.transcripts import grades
from shixun.transcripts.demo import GRADED_COURSE_SLUG
from shixun.transcripts.models import Certificate, ComponentScore, CourseCreditSettings, LedgerEntry
from shixun.transcripts.services import pending_by_course

# One worker seeds the demo once for all of them (`--dist loadgroup`), instead of each worker once.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo"), pytest.mark.xdist_group("demo-world")]


def seed():
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded in a transaction that stays open for the module's tests and is rolled back after them.

    Each test's own transaction (pytest-django's, as for any test) is then a savepoint inside it. The cache is
    emptied after the seed and after each test: a test starts with the database as seeded and nothing cached,
    as the site starts after `make demo`'s seed_demo (another process), and no test reads what an earlier
    one cached about rows its savepoint took back.
    """
    from django.core.cache import cache
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        cache.clear()
        yield
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def empty_cache_after_each_test():
    yield
    from django.core.cache import cache

    cache.clear()


COUNTED = (
    District,
    School,
    User,
    CoursePage,
    ModulePage,
    Enrolment,
    EnrolmentApplication,
    ModuleCompletion,
    ComponentScore,
    LedgerEntry,
    Certificate,
    EvaluationTemplate,
    Response,
)


def counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seeding_again_changes_nothing():
    seeded = counts()
    seed()
    assert counts() == seeded
    assert (seeded["District"], seeded["School"]) == (1, 3) and seeded["User"] >= 30
    assert seeded["Enrolment"] > 12 and seeded["ModuleCompletion"] >= 7
    assert (seeded["EvaluationTemplate"], seeded["Response"]) == (1, 10)


# --- accounts: every role's login -----------------------------------------------------------------------------


def test_demo_logins_work_for_every_role(client):
    from shixun.accounts.demo import DEMO_PASSWORD

    expectations = {
        "t0001": "/",  # learner home, wherever courses puts it
        "gz-shiyan.admin": reverse("schools:school_dashboard", args=["gz-shiyan"]),
        "district.admin": reverse("schools:district_dashboard", args=["ganzhou"]),
        "trainer1": reverse("wagtailadmin_home"),
        "reviewer": reverse("wagtailadmin_home"),
    }
    for username, landing in expectations.items():
        client.logout()
        response = client.post(reverse("accounts:login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert response["Location"].startswith(landing), (username, response["Location"])
        assert client.get(response["Location"]).status_code == 200, username


# --- courses --------------------------------------------------------------------------------------------------


def test_demo_has_courses_enrolments_and_progress():
    assert set(CoursePage.objects.live().values_list("title", flat=True)) >= {
        "师德师风建设",
        "义务教育课程标准（2022年版）解读",
        "信息技术应用能力提升",
    }
    ethics = CoursePage.objects.get(slug="shide-shifeng")
    assert ethics.live_modules().count() == 4 and ethics.trainers.filter(username="trainer1").exists()
    assert "依法执教" in ethics.search_text  # module titles are searchable
    # Study time: every demo completion stands for its lesson's minimum study time, measured as heartbeats.
    from shixun.courses.models import StudyTime
    from shixun.courses.study import required_minutes, required_ms

    assert ModulePage.objects.get(slug="shide-kaimo").study_minutes == 90  # a trainer's minimum
    assert required_minutes(ModulePage.objects.get(slug="shide-guifan")) == 135  # 3 hours × 45 minutes
    for completion in ModuleCompletion.objects.select_related("module"):
        study = StudyTime.objects.get(user=completion.user_id, module=completion.module_id)
        assert study.lesson_reported and study.active_ms >= required_ms(completion.module)
    # The demo's teachers studied one lesson after another (the review list once flagged every teacher who had
    # finished two lessons), except the one pattern the transcripts demo seeds on purpose.
    from shixun.transcripts.demo import TWO_AT_ONCE_TEACHER

    overlapping = StudyTime.objects.filter(overlap_beats__gt=0)
    assert set(overlapping.values_list("user__username", flat=True)) == {TWO_AT_ONCE_TEACHER}


# --- transcripts: the study review list -----------------------------------------------------------------------


def test_the_study_review_list_shows_one_teacher_studying_two_modules_at_once(client):
    """A district reviewer and the course's trainer see t0010's two lessons beating at once; the other demo
    teachers stay clean, and no hour came of it (short of each lesson's minimum, no completion)."""
    from shixun.courses.models import StudyTime
    from shixun.courses.study import required_ms
    from shixun.transcripts.demo import TWO_AT_ONCE_MODULES, TWO_AT_ONCE_TEACHER
    from shixun.transcripts.study_review import study_flags

    for reviewer in ("district.admin", "trainer1"):
        flags = study_flags(User.objects.get(username=reviewer), kind="overlap")
        assert {(f.learner.username, f.module.slug) for f in flags} == {
            (TWO_AT_ONCE_TEACHER, slug) for slug in TWO_AT_ONCE_MODULES
        }, reviewer
    # No other teacher's study time shows a pattern. (t0001's first module of the assigned course shows as
    # "completed too fast": the demo replays its lesson a week ago, before the assignment enrolled them.)
    district = User.objects.get(username="district.admin")
    for kind in ("devices", "rhythm"):
        assert study_flags(district, kind=kind) == [], kind
    for row in StudyTime.objects.filter(user__username=TWO_AT_ONCE_TEACHER).select_related("module"):
        assert not row.lesson_reported and 0 < row.active_ms < required_ms(row.module)
    assert not ModuleCompletion.objects.filter(user__username=TWO_AT_ONCE_TEACHER).exists()
    assert not LedgerEntry.objects.filter(learner__username=TWO_AT_ONCE_TEACHER, course__slug="shide-shifeng").exists()

    client.force_login(User.objects.get(username="district.admin"))
    with translation.override("zh-hans"):
        page = client.get(reverse("transcripts:study_review")).content.decode()
    learner = User.objects.get(username=TWO_AT_ONCE_TEACHER)
    assert learner.shixun_profile.full_name in page
    assert "新时代中小学教师职业行为十项准则" in page


# --- assignments: a typed answer a trainer must accept --------------------------------------------------------


def test_a_trainer_finds_a_typed_reflection_to_review_and_one_returned_for_revision(client):
    from shixun.assessments.assignments.models import CompletionRule, Submission

    submissions = Submission.objects.filter(assignment__title="师德反思：依法执教与关爱学生")
    assignment = submissions.first().assignment
    assert assignment.completion_rule == CompletionRule.ON_ACCEPT and assignment.accepts_text
    waiting = submissions.get(learner__username="t0004")
    returned = submissions.get(learner__username="t0005")
    assert waiting.status == Submission.Status.SUBMITTED
    assert returned.status == Submission.Status.RETURNED and returned.current_version.feedback

    client.force_login(User.objects.get(username="trainer1"))
    with translation.override("zh-hans"):
        queue = client.get(reverse("assignments:review_queue")).content.decode()
        assert assignment.title in queue and waiting.learner.shixun_profile.full_name in queue
        review = client.get(reverse("assignments:review", args=[waiting.pk]))
        assert review.status_code == 200
        assert "罚站" in review.content.decode()  # the typed answer itself, on the review page
    # The teacher whose work came back reads the trainer's comment where they hand in again.
    client.force_login(returned.learner)
    with translation.override("zh-hans"):
        page = client.get(reverse("assignments:hand_in", args=[returned.module_id, assignment.pk])).content.decode()
    assert returned.current_version.feedback in page


def test_add_activity_block_appends_once_and_publishes():
    from shixun.assessments.quizzes.models import Quiz
    from shixun.courses.demo import add_activity_block

    quiz = Quiz.objects.create(title="师德规范小测验")
    assert add_activity_block("shide-guifan", "quiz", {"quiz": quiz, "required": True}) is True
    assert add_activity_block("shide-guifan", "quiz", {"quiz": quiz, "required": True}) is False
    module = ModulePage.objects.get(slug="shide-guifan")
    keys = [b.block.activity_key(b.value) for b in module.body if b.block_type == "quiz"]
    assert keys.count(f"quiz:{quiz.pk}") == 1 and not module.has_unpublished_changes
    with pytest.raises(LookupError):
        add_activity_block("no-such-module", "quiz", {"quiz": quiz})
    with pytest.raises(ValueError):
        add_activity_block("shide-guifan", "paragraph", {})


def test_demo_data_fills_the_english_twins(client):
    from shixun.courses.demo import CATALOGUE_SLUG

    assert not CourseCategory.objects.filter(name_en="").exists()
    assert not TeacherCategory.objects.filter(name_en="").exists()
    catalogue = CataloguePage.objects.get(slug=CATALOGUE_SLUG)
    assert catalogue.title_en and catalogue.intro_en
    client.force_login(User.objects.get(username="t0001"))
    client.cookies.load({"django_language": "en"})
    response = client.get(catalogue.url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Course catalogue</h1>" in html and "Shixun · Teacher Continuing Education" in html
    assert "Professional ethics" in html


# --- transcripts: the graded course ---------------------------------------------------------------------------


def test_demo_has_a_graded_course_ready_for_the_trainer(client):
    """trainer1 enters the missing score on the grade sheet and t0003 gets the certificate."""
    course = CoursePage.objects.get(slug=GRADED_COURSE_SLUG)
    settings = CourseCreditSettings.objects.get(course=course)
    assert [(c.name, c.weight) for c in settings.components.all()] == [("校本研修", 30), ("集中考核", 70)]
    assert settings.void_at_absent_days == 2
    learner = User.objects.get(username="t0003")
    assert CourseCompletion.objects.filter(user=learner, course=course).exists()
    assert not Certificate.objects.filter(learner=learner, course=course).exists()
    # Hours when the course is passed: the four modules' 12 hours and the 4 award hours wait (待考核).
    assert course.credit_policy == CreditPolicy.ON_PASS
    assert not LedgerEntry.objects.filter(learner=learner, course=course).exists()
    assert [(p.module_hours, p.award_hours) for p in pending_by_course(learner)] == [(12, 4)]
    client.force_login(learner)
    assert "待考核" in client.get("/transcript/").content.decode()

    client.force_login(User.objects.get(username="trainer1"))
    assert course.title in client.get("/transcript/grades/").content.decode()
    central = settings.components.get(name="集中考核")
    response = client.post(
        f"/transcript/grades/{course.pk}/", {grades.score_field(learner.pk, central.pk): "75"}, follow=True
    )
    assert "新颁发证书 1 份" in response.content.decode()
    certificate = Certificate.objects.get(learner=learner, course=course)
    assert certificate.is_valid and certificate.score == 78  # 85 × 30 % + 75 × 70 % = 78.0
    # The pass posted the course's hours once, with the certificate.
    assert certificate.hours == 16
    assert sum(LedgerEntry.objects.filter(learner=learner, course=course).values_list("hours", flat=True)) == 16
    assert pending_by_course(learner) == []


# --- evaluations ----------------------------------------------------------------------------------------------


def test_demo_evaluations_show_only_above_the_threshold(client):
    """One course's evaluation results above the threshold, another's below; the teacher's training file."""
    ethics = CoursePage.objects.get(slug="shide-shifeng")
    it_course = CoursePage.objects.get(slug="xinxi-jishu")
    with translation.override("zh-hans"):
        client.force_login(User.objects.get(username="district.admin"))
        page = client.get("/evaluations/results/").content.decode()
    assert ethics.title in page and it_course.title in page
    assert "楷模事迹很感人" in page  # a comment of the course above the threshold
    assert "课件制作部分很有帮助" not in page  # the course below it shows its count only
    assert "答卷太少，暂不显示" in page

    teacher = User.objects.get(username="t0001")
    client.force_login(teacher)
    module = ethics.get_children().live().last().specific
    placed = [child.value for child in module.body if child.block_type == "evaluation"]
    assert [(value["evaluation_template"].title, value["required"]) for value in placed] == [(TEMPLATE_TITLE, False)]
    response = client.get("/transcript/file/")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert teacher.shixun_profile.full_name in text
