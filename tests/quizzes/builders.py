"""Builders for quiz tests: a question bank, a quiz, and a course whose module places it."""

from decimal import Decimal

from wagtail.models import Page, Site

from shixun.assessments.quizzes.models import (
    Question,
    QuestionCategory,
    QuestionOption,
    QuestionPool,
    Quiz,
    QuizQuestion,
)
from shixun.courses.models import CataloguePage, CoursePage, Enrolment, ModulePage


def category(name="师德师风") -> QuestionCategory:
    return QuestionCategory.objects.get_or_create(name=name)[0]


def single(text="教师职业道德的核心是？", *, right="爱岗敬业", wrong=("只教书不育人", "有偿补课"), points=1, cat=None,
           tags=()):
    question = Question(category=cat or category(), kind="single", text=text, points=points)
    question.options = [QuestionOption(text=right, is_correct=True)] + [QuestionOption(text=w) for w in wrong]
    question.save()
    if tags:
        question.tags.add(*tags)
        question.save()
    return question


def multiple(text="下列哪些属于《中小学教师职业道德规范》？", *, right=("爱国守法", "爱岗敬业"), wrong=("有偿家教",),
             scoring="all_or_nothing", points=2, cat=None):
    question = Question(category=cat or category(), kind="multiple", text=text, points=points, multiple_scoring=scoring)
    question.options = [QuestionOption(text=r, is_correct=True) for r in right] + [
        QuestionOption(text=w) for w in wrong
    ]
    question.save()
    return question


def true_false(text="教师可以体罚学生。", *, answer=False, points=1, cat=None):
    return Question.objects.create(category=cat or category(), kind="true_false", text=text, points=points,
                                   true_false_answer=answer)


def fill_blank(text="Office 中常用的电子表格软件是 ____。", *, accepted="Excel\nWPS表格", points=1, cat=None):
    return Question.objects.create(category=cat or category(), kind="fill_blank", text=text, points=points,
                                   accepted_answers=accepted)


def short_answer(text="谈谈你对“立德树人”的理解。", *, points=5, cat=None):
    return Question.objects.create(category=cat or category(), kind="short_answer", text=text, points=points,
                                   reference_answer="育人为本，德育为先。")


def quiz(questions=(), **settings) -> Quiz:
    settings.setdefault("title", "师德测验")
    settings.setdefault("shuffle_options", False)
    q = Quiz(**settings)
    q.fixed_questions = [QuizQuestion(question=question, sort_order=i) for i, question in enumerate(questions)]
    q.save()
    return q


def random_quiz(pools, **settings) -> Quiz:
    settings.setdefault("title", "随机测验")
    q = Quiz(selection_mode="random", **settings)
    q.pools = [QuestionPool(**pool) for pool in pools]
    q.save()
    return q


def site_root() -> Page:
    """The default site's root page; recreated after a transactional test has flushed the tables."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    tree_root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = tree_root.add_child(instance=Page(title="首页", slug="home"))
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


def course_with_module(quizzes, *, trainers=(), title="师德师风专题培训", required=True):
    """A catalogue, a course and one live module whose body places the given quizzes. Returns (course, module)."""
    root = site_root()  # under the site root, so module.url works
    catalogue = CataloguePage.objects.first()
    if catalogue is None:
        catalogue = root.add_child(instance=CataloguePage(title="课程", slug="catalogue-quizzes"))
    n = CoursePage.objects.count() + 1
    course = catalogue.add_child(instance=CoursePage(title=f"{title}{n}", slug=f"quiz-course-{n}", summary="测验课程"))
    if trainers:
        course.trainers.set(trainers)
        course.save()
    module = course.add_child(
        instance=ModulePage(
            title="第一单元", slug="module-1", credit_hours=Decimal("2.0"),
            body=[("quiz", {"quiz": q, "required": required}) for q in quizzes],
        )
    )
    return course, module


def enrol(user, course) -> Enrolment:
    return Enrolment.objects.get_or_create(user=user, course=course)[0]


def answers(attempt, chosen: dict) -> dict:
    """Raw answers keyed by attempt item id from {question: raw values}."""
    by_question = {item.question_id: item.pk for item in attempt.items.all()}
    return {str(by_question[question.pk]): values for question, values in chosen.items()}


def option_id(attempt, question, text) -> str:
    item = attempt.items.get(question=question)
    return str(next(o["id"] for o in item.snapshot["options"] if o["text"] == text))
