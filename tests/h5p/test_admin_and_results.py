"""The Wagtail admin upload form, and the trainers' results pages."""

from __future__ import annotations

import html
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from shixun.assessments.h5p.models import H5PActivity, H5PContent, H5PLibrary, H5PResult, H5PStatement
from shixun.assessments.h5p.permissions import activities_visible_to
from shixun.assessments.h5p.validation import PackageRefused, inspect_package

from . import packages as P
from .conftest import build_module, stored_files

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/shixun_h5p/h5pactivity/add/"


def form_data(package: bytes | None, **fields):
    data = {"title": "", "completion_rule": "passed", "pass_mark": "60", "score_may_complete": "on", **fields}
    if package is not None:
        data["package"] = SimpleUploadedFile("quiz.h5p", package, content_type="application/zip")
    return data


def test_uploading_a_package_in_the_admin_creates_the_activity(client, org, h5p_root):
    client.force_login(org.superuser)

    response = client.post(ADD_URL, form_data(P.package(), pass_mark="80"))

    assert response.status_code == 302, response.content.decode()[:2000]
    activity = H5PActivity.objects.get()
    assert activity.title == "等待时间小测"  # taken from the package when left empty
    assert activity.pass_mark == 80
    assert activity.current_content.file_name == "quiz.h5p"
    assert activity.current_content.uploaded_by == org.superuser
    assert H5PLibrary.objects.count() == 1


@pytest.mark.parametrize(
    "package",
    [
        b"PK\x03\x04 truncated",
        P.package(replace={"h5p.json": b"{"}),
        P.package(replace={"content/images/x.svg": P.HOSTILE_MARKUP["script element"]}),
        P.package(replace={"content/run.exe": b"MZ"}),
        P.overlapping_package(),
    ],
    ids=["not a zip", "bad h5p.json", "svg with script", "forbidden extension", "overlapping entries"],
)
def test_the_admin_refuses_a_bad_package_with_its_message_and_stores_nothing(client, org, h5p_root, package):
    with translation.override("zh-hans"), pytest.raises(PackageRefused) as refused:
        inspect_package(io.BytesIO(package))
    client.force_login(org.superuser)

    response = client.post(ADD_URL, form_data(package, title="坏包"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["package"]
    # The validator's own message, in the trainer's language (zh-hans by default), on the file field.
    assert errors["package"] == [refused.value.message]
    assert html.escape(refused.value.message) in response.content.decode()
    assert H5PActivity.objects.count() == H5PContent.objects.count() == H5PLibrary.objects.count() == 0
    assert stored_files(h5p_root) == []


def test_the_admin_requires_a_package_for_a_new_activity(client, org, h5p_root):
    client.force_login(org.superuser)
    response = client.post(ADD_URL, form_data(None, title="无文件"))
    assert response.status_code == 200
    assert "package" in response.context["form"].errors
    assert H5PActivity.objects.count() == 0


def test_an_invalid_rule_discards_the_extracted_upload(client, org, h5p_root):
    client.force_login(org.superuser)
    response = client.post(ADD_URL, form_data(P.package(), pass_mark="150"))
    assert response.status_code == 200
    assert "pass_mark" in response.context["form"].errors
    assert stored_files(h5p_root) == []


def test_replacing_the_package_in_the_admin_keeps_the_results(client, world, org):
    H5PResult.objects.create(user=world.learner, activity=world.activity, attempts=1, passed=True, completed=True)
    client.force_login(org.superuser)
    edit_url = f"/admin/snippets/shixun_h5p/h5pactivity/edit/{world.activity.pk}/"

    response = client.post(edit_url, form_data(P.package(), title="新版本"))

    assert response.status_code == 302
    world.activity.refresh_from_db()
    assert world.activity.title == "新版本"
    assert world.activity.current_content != world.content
    assert world.activity.versions.count() == 2
    assert H5PResult.objects.get(activity=world.activity).passed


def test_editing_the_rules_without_a_new_file_keeps_the_package(client, world, org):
    client.force_login(org.superuser)
    edit_url = f"/admin/snippets/shixun_h5p/h5pactivity/edit/{world.activity.pk}/"
    response = client.post(edit_url, form_data(None, title=world.activity.title, completion_rule="completed"))
    assert response.status_code == 302
    world.activity.refresh_from_db()
    assert world.activity.completion_rule == "completed"
    assert world.activity.current_content == world.content


# --- results pages -----------------------------------------------------------------


def give_result(world, user, module=None):
    H5PStatement.objects.create(
        user=user, activity=world.activity, module=module or world.module, dedupe_key=f"k{user.pk}",
        verb="http://adlnet.gov/expapi/verbs/completed", statement=json.loads("{}"),
    )
    return H5PResult.objects.create(user=user, activity=world.activity, attempts=3, best_scaled_score="0.75",
                                    completed=True)


def test_a_trainer_of_the_course_sees_attempts_and_scores(client, world, org):
    world.course.trainers.add(org.trainer)
    world.course.save()  # a ParentalManyToManyField is written when the page is saved
    give_result(world, world.learner)
    client.force_login(org.trainer)

    index = client.get(reverse("h5p:results"))
    assert index.status_code == 200 and world.activity.title in index.content.decode()
    detail = client.get(reverse("h5p:results_detail", args=[world.activity.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200
    assert world.learner.full_name in html and "75.0%" in html


def test_a_trainer_sees_only_learners_of_courses_they_train(client, world, org):
    other_course, other_module = build_module(world.activity, slug="other")
    other_course.trainers.add(org.trainer)
    other_course.save()
    give_result(world, org.sibling_teacher, module=other_module)
    give_result(world, world.learner)  # in world.course, which org.trainer does not train
    client.force_login(org.trainer)

    html = client.get(reverse("h5p:results_detail", args=[world.activity.pk])).content.decode()

    assert org.sibling_teacher.full_name in html
    assert world.learner.full_name not in html


def test_a_trainer_of_no_course_with_results_sees_no_activity(client, world, org):
    give_result(world, world.learner)
    client.force_login(org.trainer)
    assert list(activities_visible_to(org.trainer)) == []
    assert client.get(reverse("h5p:results_detail", args=[world.activity.pk])).status_code == 404


@pytest.mark.parametrize("who", ["teacher", "school_admin", "district_admin", "reviewer"])
def test_people_who_are_not_trainers_cannot_open_results(client, world, org, who):
    give_result(world, world.learner)
    client.force_login(getattr(org, who))
    assert client.get(reverse("h5p:results")).status_code == 403
    assert client.get(reverse("h5p:results_detail", args=[world.activity.pk])).status_code == 403


def test_the_results_page_is_linked_from_the_admin_menu_for_trainers(client, world, org):
    client.force_login(org.superuser)
    assert reverse("h5p:results") in client.get("/admin/").content.decode()


def test_the_results_page_uses_a_constant_number_of_queries(client, world, org, django_assert_max_num_queries):
    from tests.factories import make_teacher

    client.force_login(org.superuser)
    url = reverse("h5p:results_detail", args=[world.activity.pk])
    give_result(world, world.learner)
    client.get(url)  # warm caches (site, branding settings)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for index in range(15):
        give_result(world, make_teacher(org.school, username=f"many{index}"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("<tr>") == 17
