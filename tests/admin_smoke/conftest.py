"""The security suite's populated site, plus one fresh object of every admin model to open.

Fresh objects because the world's own are in use: Wagtail refuses to delete a module
learners completed or an assignment with hand-ins already on the confirmation page, and
the smoke test wants that page to render.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from tests.security.conftest import _publish, h5p_store, world  # noqa: F401  (fixtures used by the tests)


def _build_objects(w) -> dict[str, object]:
    """One new object per model label, each one the roles may open (the course is the trainer's own)."""
    from wagtail.models import Page, Site

    from shixun.assessments.assignments.models import AnswerMode, Assignment, CompletionRule
    from shixun.assessments.evaluations.models import EvaluationTemplate
    from shixun.assessments.h5p.packages import import_package
    from shixun.courses.models import CataloguePage, CourseCategory, CoursePage, ModulePage
    from shixun.transcripts.models import CourseCreditSettings
    from tests.activity_kind_app.models import Checklist
    from tests.h5p.packages import package
    from tests.quizzes import builders

    site_root = Site.objects.get(is_default_site=True).root_page
    plain = _publish(site_root, Page(title="冒烟测试页面", slug="smoke-page"))
    catalogue = _publish(site_root, CataloguePage(title="冒烟测试课程中心", slug="smoke-catalogue"))
    course = CoursePage(title="冒烟测试课程", slug="smoke-course", summary="冒烟测试")
    course.trainers = [w.trainer]
    course = _publish(w.catalogue, course)
    module = _publish(course, ModulePage(title="冒烟测试一讲", slug="smoke-module", credit_hours=Decimal("1.0"),
                                         body=[("paragraph", "<p>冒烟测试</p>")]))
    category = builders.category("冒烟测试分类")
    question = builders.single("冒烟测试：师德的核心是？", cat=category, tags=["冒烟测试"])
    objects = [
        plain, catalogue, course, module, category, question,
        builders.quiz([question], title="冒烟测试测验"),
        Assignment.objects.create(title="冒烟测试作业", answer_mode=AnswerMode.FILE, allowed_kinds=["pdf"],
                                  max_size_mb=5, completion_rule=CompletionRule.ON_ACCEPT),
        import_package(io.BytesIO(package())).activity,
        CourseCreditSettings.objects.get_or_create(course=course)[0],
        CourseCategory.objects.create(name="冒烟测试主题", slug="smoke-theme"),
        # The test settings install the throw-away activity kind's app: its snippet is opened like ours.
        Checklist.objects.create(title="冒烟测试清单", items="读完规则"),
        EvaluationTemplate.objects.create(district=w.district, title="冒烟测试评价表"),
    ]
    return {obj._meta.label: obj for obj in objects}


@pytest.fixture(scope="module")
def smoke_objects(world, django_db_blocker):  # noqa: F811
    # Inside the world's module-long transaction, so rolled back with it.
    with django_db_blocker.unblock():
        return _build_objects(world)
