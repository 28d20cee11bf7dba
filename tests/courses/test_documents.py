"""Lesson documents at /documents/<id>/<name> follow the module's reading rule (courses/documents.py)."""

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from shixun.accounts.models import Role
from shixun.courses.enrolment import enrol_self
from tests.factories import make_teacher, make_user

from .conftest import make_course, make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def handout(catalogue, org):
    document = get_document_model().objects.create(
        title="讲义", file=ContentFile(b"%PDF-1.4 handout", name="handout.pdf")
    )
    trainer = make_user(school=org.school, roles=[Role.TRAINER])
    course = make_course(catalogue, "课程标准解读", trainers=[trainer])
    make_module(course, "第一讲", body=[("document", {"document": document, "description": ""})])
    return document, course


def test_an_enrolled_learner_downloads_the_handout_and_others_do_not(client, handout, org):
    document, course = handout
    learner, stranger = make_teacher(org.school), make_teacher(org.school)
    enrol_self(learner, course)

    client.force_login(learner)
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 handout"

    client.force_login(stranger)
    assert client.get(document.url).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, handout):
    document, _course = handout
    response = client.get(document.url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_document_no_live_module_uses_is_for_editors_only(client, org, catalogue):
    document = get_document_model().objects.create(title="草稿讲义", file=ContentFile(b"draft", name="draft.pdf"))
    learner = make_teacher(org.school)
    course = make_course(catalogue, "无讲义课程")
    make_module(course, "第一讲")
    enrol_self(learner, course)
    client.force_login(learner)
    assert client.get(document.url).status_code == 403

    trainer = make_user(school=org.school, roles=[Role.TRAINER])
    client.force_login(trainer)
    assert client.get(document.url).status_code == 200
