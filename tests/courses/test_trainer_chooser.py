"""Issue #16: the course's trainer field listed every user, teachers included, by name only."""

import pytest
from django.urls import reverse

from shixun.accounts.models import Role
from shixun.courses.models import CoursePage
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_course_edit_form_offers_trainers_with_school_and_role(org, course, admin_client):
    second_trainer = make_user(school=org.sibling_school, roles=[Role.TRAINER], full_name="李老师")
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[course.pk])).content.decode()
    assert f"李老师 · {org.sibling_school.name} · " in html
    assert f'value="{second_trainer.pk}"' in html and f'value="{org.trainer.pk}"' in html
    assert f'name="trainers" value="{org.teacher.pk}"' not in html  # teachers are not trainers
    assert f'name="trainers" value="{org.school_admin.pk}"' not in html


def test_a_named_trainer_who_lost_the_role_stays_chosen(org, course):
    from shixun.courses.admin_forms import trainer_choices

    page = CoursePage.objects.get(pk=course.pk)
    page.trainers.set([org.teacher])  # named before the field was limited to trainers
    page.save()
    choices = set(trainer_choices(page.trainers.values_list("pk", flat=True)))
    assert org.teacher in choices and org.trainer in choices
    assert org.school_admin not in choices


def test_a_draft_course_opens_for_editing(org, admin_client):
    """A course whose latest revision is a draft: its trainers are an in-memory set (the edit page was a 500)."""
    from tests.courses.conftest import make_catalogue

    course = CoursePage(title="草稿课程", slug="draft-course", summary="简介")
    make_catalogue(slug="drafts").add_child(instance=course)
    course.trainers = [org.trainer]
    course.save_revision()
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[course.pk]))
    assert response.status_code == 200
    assert f'name="trainers" value="{org.trainer.pk}"' in response.content.decode()
