"""A course with a trainer, a module that places an assignment, and an enrolled teacher (from `org`)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.models import Site

from shixun.assessments.assignments.models import AnswerMode, Assignment, CompletionRule, Submission
from shixun.courses.models import CataloguePage, CoursePage, Enrolment, ModulePage


@dataclass
class Course:
    catalogue: CataloguePage
    course: CoursePage
    module: ModulePage
    assignment: Assignment


def make_assignment(**fields) -> Assignment:
    fields.setdefault("title", "教学设计")
    fields.setdefault("answer_mode", AnswerMode.FILE)
    fields.setdefault("allowed_kinds", ["pdf", "word"])
    fields.setdefault("max_size_mb", 5)
    fields.setdefault("completion_rule", CompletionRule.ON_ACCEPT)
    return Assignment.objects.create(**fields)


def add_module(course: CoursePage, slug: str, *assignments: Assignment, required=True) -> ModulePage:
    body = [("assignment", {"assignment": a, "required": required}) for a in assignments]
    return course.add_child(instance=ModulePage(title=f"模块 {slug}", slug=slug, credit_hours=2, body=body))


def make_course(slug: str, *, trainers=(), assignment=None) -> Course:
    # Under the default site's root page, as in a real site, so pages have URLs.
    root = Site.objects.get(is_default_site=True).root_page
    catalogue = CataloguePage.objects.filter(slug="test-catalogue").first() or root.add_child(
        instance=CataloguePage(title="课程中心", slug="test-catalogue")
    )
    course = catalogue.add_child(instance=CoursePage(title=f"课程 {slug}", slug=slug, summary="测试课程"))
    if trainers:
        course.trainers.set(trainers)
        course.save()
    assignment = assignment or make_assignment()
    module = add_module(course, f"{slug}-m1", assignment)
    return Course(catalogue=catalogue, course=course, module=module, assignment=assignment)


def enrol(user, course: CoursePage) -> Enrolment:
    return Enrolment.objects.create(user=user, course=course)


@pytest.fixture(autouse=True)
def _empty_private_storage():
    """Each test starts and ends with an empty private storage, so "nothing stored" can be asserted."""
    root = Path(settings.PRIVATE_MEDIA_ROOT) / "assignments"
    shutil.rmtree(root, ignore_errors=True)
    yield
    shutil.rmtree(root, ignore_errors=True)


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT) / "assignments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def setup(org):
    """`org` plus a course taught by org.trainer, with the three teachers of `org` enrolled."""
    course = make_course("ethics", trainers=[org.trainer])
    for teacher in (org.teacher, org.sibling_teacher, org.foreign_teacher):
        enrol(teacher, course.course)
    return course


def hand_in_url(module, assignment) -> str:
    return reverse("assignments:hand_in", args=[module.pk, assignment.pk])


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_hand_in(client, module, assignment, *, file=None, text=None):
    data = {}
    if file is not None:
        data["file"] = file
    if text is not None:
        data["text"] = text
    return client.post(hand_in_url(module, assignment), data)  # multipart/form-data, as a browser sends it


def submission_of(user, course: Course) -> Submission:
    return Submission.objects.get(learner=user, assignment=course.assignment, module=course.module)
