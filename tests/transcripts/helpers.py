"""Course pages and completions for the ledger tests, built through the courses app's own services."""

import itertools
from decimal import Decimal

from wagtail.models import Page

from shixun.courses.blocks import LESSON_KEY
from shixun.courses.models import ActivityStatus, CataloguePage, CourseCategory, CoursePage, Enrolment, ModulePage
from shixun.courses.progress import record_activity_status

_seq = itertools.count(1)


def make_category(name=None) -> CourseCategory:
    n = next(_seq)
    return CourseCategory.objects.create(name=name or f"类别{n}", slug=f"cat-{n}")


def make_course(hours=("2.0", "1.5"), *, category=None, certificate_kind="credit_hours", title=None):
    n = next(_seq)
    # A transactional test's flush removes the root page the migrations made.
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    catalogue = CataloguePage.objects.first()
    if catalogue is None:
        catalogue = root.add_child(instance=CataloguePage(title="课程", slug=f"catalogue-{n}"))
    course = catalogue.add_child(
        instance=CoursePage(
            title=title or f"师德师风专题{n}",
            slug=f"course-{n}",
            summary="概要",
            category=category,
            certificate_kind=certificate_kind,
        )
    )
    modules = [
        course.add_child(instance=ModulePage(title=f"第{i + 1}讲", slug=f"m{n}-{i}", credit_hours=Decimal(h)))
        for i, h in enumerate(hours)
    ]
    return course, modules


def enrol(user, course):
    return Enrolment.objects.get_or_create(user=user, course=course)[0]


def complete(user, module):
    """Complete a module: its lesson (the only required activity here) reported done through progress.

    Returns the lesson's ActivityProgress row (what progress returns), not the completion: see `completed`."""
    return record_activity_status(user, module, LESSON_KEY, ActivityStatus.DONE)


def completed(user, module):
    """Complete a module as `complete` does, and return its ModuleCompletion row."""
    from shixun.courses.models import ModuleCompletion

    complete(user, module)
    return ModuleCompletion.objects.get(user=user, module=module)


class tasks_lost:
    """Within this block completions are recorded but their tasks never run (a crash, a full queue).

    Both the module posting tasks and the course-completion task are lost: the
    latter also posts a course's pending module entries before certifying.
    """

    def __enter__(self):
        from shixun.courses.signals import course_completed, module_completed

        module_completed.disconnect(dispatch_uid="transcripts.module_completed")
        course_completed.disconnect(dispatch_uid="transcripts.course_completed")
        return self

    def __exit__(self, *exc):
        from shixun.courses.signals import course_completed, module_completed
        from shixun.transcripts.receivers import enqueue_course_completion, enqueue_module_completion

        module_completed.connect(enqueue_module_completion, dispatch_uid="transcripts.module_completed")
        course_completed.connect(enqueue_course_completion, dispatch_uid="transcripts.course_completed")
        return False
