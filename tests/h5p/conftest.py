"""Shared set-up of the H5P app's tests: storage, the content origin, a module with an H5P activity."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from django.utils import translation

from . import packages as P

CONTENT_MIDDLEWARE = "shixun.assessments.h5p.middleware.ContentOriginMiddleware"
CONTENT_HOST = "h5p.testserver"  # a sub-domain of the test client's site host, "testserver", as in `make demo`


@pytest.fixture(autouse=True)
def no_remembered_links(monkeypatch):
    """Each test starts with no activity link remembered (links.grant_of): the memo is the process's, and a link
    of an earlier test's world (the same ids after its rollback, signed in the same second) is the very same
    string, so a test counting signature checks or expecting a refusal would depend on the tests before it."""
    from shixun.assessments.h5p import links

    monkeypatch.setattr(links, "_grants", {})


@pytest.fixture
def stack():
    """The lean xAPI route's tests: the full stack behind the lean routes, counting the requests it is handed."""
    from tests.courses.test_lean_heartbeat import FullStack

    return FullStack()


@pytest.fixture
def app(stack):
    """The lean routes in front of `stack`, as config.wsgi builds them."""
    from shixun.config.lean_routes import LeanRoutes

    return LeanRoutes(stack)


@pytest.fixture
def learner(world):
    """The world's learner as a browser of the lean routes' tests: their session and CSRF cookie."""
    from tests.courses.test_lean_heartbeat import Learner

    return Learner(world.learner)


@pytest.fixture
def english():
    # Assertions quote English msgids; zh-hans is the default language.
    with translation.override("en"):
        yield


@pytest.fixture
def h5p_root(settings, tmp_path):
    """Each test stores packages in its own folder, and the content origin is in the middleware."""
    root = tmp_path / "h5p-store"
    settings.SHIXUN_H5P_ROOT = str(root)
    settings.SHIXUN_H5P_CONTENT_ORIGIN = f"http://{CONTENT_HOST}"
    if CONTENT_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [CONTENT_MIDDLEWARE, *settings.MIDDLEWARE]
    return root


def stored_files(root) -> list[str]:
    """Every file under the H5P store (the scratch folder of uploads included)."""
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def import_test_package(data: bytes | None = None, **kwargs):
    from shixun.assessments.h5p.packages import import_package

    return import_package(io.BytesIO(data if data is not None else P.package()), **kwargs)


@dataclass
class World:
    activity: object
    content: object
    course: object
    module: object
    learner: object


def build_module(activity, *, required: bool = True, slug: str = "h5p-module"):
    """A catalogue, a course and a module whose body places ``activity``."""
    from wagtail.models import Site

    from shixun.courses.models import CataloguePage, CoursePage, ModulePage

    root = Site.objects.get(is_default_site=True).root_page  # so the pages have URLs
    catalogue = root.add_child(instance=CataloguePage(title="课程中心", slug=f"{slug}-catalogue"))
    course = catalogue.add_child(
        instance=CoursePage(title="信息技术应用能力提升", slug=f"{slug}-course", summary="测试")
    )
    body = json.dumps([{"type": "h5p", "value": {"activity": activity.pk, "required": required}}])
    module = course.add_child(instance=ModulePage(title="课堂提问", slug=slug, body=body, credit_hours="2.0"))
    for page in (catalogue, course, module):
        page.save_revision().publish()
    return course, module


@pytest.fixture
def world(org, h5p_root) -> World:
    from shixun.courses.models import Enrolment

    content = import_test_package()
    activity = content.activity
    course, module = build_module(activity)
    Enrolment.objects.create(user=org.teacher, course=course)
    return World(activity=activity, content=content, course=course, module=module, learner=org.teacher)
