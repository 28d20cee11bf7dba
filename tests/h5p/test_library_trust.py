"""H5P library trust (issue #17): installing or upgrading a library needs install_h5p_library.

The attack: a trainer who trains no course uploads a package carrying a
newer patch of a library another trainer's live activity uses. Before the
fix the shared library was upgraded in place, so the other activity served
the uploader's JavaScript. Now the package is held for approval.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shixun.assessments.h5p import storage
from shixun.assessments.h5p.links import activity_iri, make_token
from shixun.assessments.h5p.models import H5PActivity, H5PLibrary, H5PLibraryRequest, H5PResult, H5PStatement
from shixun.courses.models import ActivityProgress

from . import packages as P
from .conftest import CONTENT_HOST, build_module, import_test_package

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/snippets/shixun_h5p/h5pactivity/add/"
MARKER = "// shixun-test: the uploader's code"


package_with_patch = P.upgraded_package


def upload(client, data: bytes, *, title="恶意升级", activity=None):
    url = ADD_URL if activity is None else f"/admin/snippets/shixun_h5p/h5pactivity/edit/{activity.pk}/"
    fields = {"title": title, "completion_rule": "passed", "pass_mark": "60", "score_may_complete": "on",
              "package": SimpleUploadedFile("quiz.h5p", data, content_type="application/zip")}
    return client.post(url, fields)


def served_js(client, world) -> bytes:
    """quickcheck.js as the content origin serves it to the live activity's learner."""
    token = make_token(user=world.learner, activity=world.activity, module=world.module, content=world.content,
                       site_origin="http://testserver")
    response = client.get(f"/h5p/play/{token}/libraries/H5P.ShixunQuickCheck-1.0/quickcheck.js",
                          HTTP_HOST=CONTENT_HOST)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def attacker(org):
    """A trainer who trains no course (the org's trainer trains none in this world either)."""
    from shixun.accounts.models import Role
    from tests.factories import make_user

    return make_user(district=org.district, roles=[Role.TRAINER], username="uploader")


@pytest.fixture
def held(client, world, attacker):
    client.force_login(attacker)
    response = upload(client, package_with_patch(5, marker=MARKER))
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return H5PLibraryRequest.objects.get()


def test_a_trainer_cannot_replace_the_code_of_another_trainers_live_activity(client, world, attacker):
    before = served_js(client, world)
    client.force_login(attacker)

    response = upload(client, package_with_patch(5, marker=MARKER))

    assert response.status_code == 302
    assert served_js(client, world) == before
    assert MARKER.encode() not in served_js(client, world)
    library = H5PLibrary.objects.get()
    assert library.patch_version == 0
    assert MARKER.encode() not in (storage.absolute(library.storage_dir) / "quickcheck.js").read_bytes()


def test_the_package_is_held_and_its_activity_saved_but_not_playable(client, world, attacker, held):
    activity = H5PActivity.objects.get(title="恶意升级")
    assert activity.current_content is None
    assert held.activity == activity
    assert held.requested_by == attacker
    assert held.status == H5PLibraryRequest.Status.PENDING
    assert held.libraries == [{"machine_name": "H5P.ShixunQuickCheck", "major": 1, "minor": 0, "patch": 5,
                               "title": P.library_json()["title"], "installed_patch": 0}]
    assert storage.absolute(held.package_path).is_file()

    # The trainer sees what it waits for.
    client.force_login(attacker)
    page = client.get(f"/admin/snippets/shixun_h5p/h5pactivity/edit/{activity.pk}/").content.decode()
    assert 'data-library-request="pending"' in page and "H5P.ShixunQuickCheck 1.0.5" in page
    assert "正在等待管理员批准" in page

    # A learner of a module placing it sees that it is not yet available, and no player.
    from shixun.courses.models import Enrolment

    course, module = build_module(activity, slug="held-module")
    Enrolment.objects.create(user=world.learner, course=course)
    client.force_login(world.learner)
    page = client.get(module.url).content.decode()
    assert "data-h5p-not-yet-available" in page and "这个活动暂不可用" in page
    assert "data-h5p-player" not in page


def test_a_package_using_only_installed_libraries_needs_no_approval(client, world, attacker):
    client.force_login(attacker)
    upload(client, P.package(), title="普通上传")

    assert not H5PLibraryRequest.objects.exists()
    assert H5PActivity.objects.get(title="普通上传").current_content is not None


def test_a_new_library_from_a_trainer_is_held_too(client, org, h5p_root, attacker):
    client.force_login(attacker)
    upload(client, P.package(), title="新库")

    assert not H5PLibrary.objects.exists()
    held = H5PLibraryRequest.objects.get()
    assert held.libraries[0]["installed_patch"] is None
    assert not (h5p_root / "libraries").exists() or not any((h5p_root / "libraries").iterdir())


def test_the_admin_lists_the_activities_an_upgrade_affects(client, world, org, held):
    other_version = import_test_package(title="另一个活动").activity
    client.force_login(org.superuser)

    page = client.get(reverse("h5p_libraries:index")).content.decode()

    assert held.activity.title in page
    assert f'data-affected="{world.activity.pk}"' in page
    assert f'data-affected="{other_version.pk}"' in page
    assert f'data-affected="{held.activity.pk}"' not in page  # it has no package yet
    from shixun.assessments.h5p.packages import affected_activities

    found = affected_activities(held.libraries[0])
    assert sorted(activity.pk for activity, _version in found) == sorted([world.activity.pk, other_version.pk])
    assert {version for _activity, version in found} == {"1.0.0"}
    # A newer installed version is not affected by an older request.
    assert affected_activities({**held.libraries[0], "patch": 0}) == []


def test_approval_by_a_permitted_user_installs_the_library(client, world, org, held):
    group = Group.objects.create(name="H5P 库管理")
    group.permissions.add(Permission.objects.get(codename="install_h5p_library"))
    org.reviewer.groups.add(group)
    before = served_js(client, world)
    client.force_login(org.reviewer)

    response = client.post(reverse("h5p_libraries:approve", args=[held.pk]))

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == H5PLibraryRequest.Status.APPROVED
    assert held.decided_by == org.reviewer and held.decided_at is not None
    assert held.package_path == ""
    assert H5PLibrary.objects.get().patch_version == 5
    assert served_js(client, world) != before and MARKER.encode() in served_js(client, world)
    activity = held.activity
    activity.refresh_from_db()
    assert activity.current_content is not None
    assert activity.current_content.uploaded_by == held.requested_by
    from wagtail.models import ModelLogEntry

    assert ModelLogEntry.objects.filter(action="shixun_h5p.library_approved", user=org.reviewer).exists()


def test_the_held_file_is_deleted_once_decided(client, world, org, held, django_capture_on_commit_callbacks):
    path = storage.absolute(held.package_path)
    client.force_login(org.superuser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("h5p_libraries:approve", args=[held.pk]))
    assert not path.exists()


@pytest.mark.parametrize("who", ["trainer", "uploader", "reviewer", "teacher"])
def test_people_without_the_permission_cannot_see_approve_or_refuse(client, world, org, held, attacker, who):
    user = attacker if who == "uploader" else getattr(org, who)
    client.force_login(user)

    assert client.get(reverse("h5p_libraries:index")).status_code in (302, 403)
    for action in ("approve", "refuse"):
        assert client.post(reverse(f"h5p_libraries:{action}", args=[held.pk])).status_code in (302, 403, 404)
    held.refresh_from_db()
    assert held.status == H5PLibraryRequest.Status.PENDING
    assert H5PLibrary.objects.get().patch_version == 0
    if who in ("trainer", "uploader"):  # admin users: the menu does not offer it
        assert reverse("h5p_libraries:index") not in client.get("/admin/").content.decode()


def test_approve_and_refuse_need_post(client, world, org, held):
    client.force_login(org.superuser)
    assert client.get(reverse("h5p_libraries:approve", args=[held.pk])).status_code == 405
    assert client.get(reverse("h5p_libraries:refuse", args=[held.pk])).status_code == 405
    assert reverse("h5p_libraries:index") in client.get("/admin/").content.decode()


def test_approve_checks_the_csrf_token(world, org, held):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(org.superuser)
    assert client.post(reverse("h5p_libraries:approve", args=[held.pk])).status_code == 403
    held.refresh_from_db()
    assert held.status == H5PLibraryRequest.Status.PENDING


def test_refusal_deletes_the_file_and_tells_the_trainer(client, world, org, attacker, held,
                                                       django_capture_on_commit_callbacks):
    path = storage.absolute(held.package_path)
    before = served_js(client, world)
    client.force_login(org.superuser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("h5p_libraries:refuse", args=[held.pk]))

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == H5PLibraryRequest.Status.REFUSED and held.decided_by == org.superuser
    assert not path.exists()
    assert served_js(client, world) == before
    assert H5PLibrary.objects.get().patch_version == 0
    assert client.post(reverse("h5p_libraries:approve", args=[held.pk])).status_code == 404  # decided once
    client.force_login(attacker)
    page = client.get(f"/admin/snippets/shixun_h5p/h5pactivity/edit/{held.activity.pk}/").content.decode()
    assert 'data-library-request="refused"' in page and "H5P.ShixunQuickCheck 1.0.5" in page
    assert "管理员拒绝了资源包" in page


def test_a_superuser_installs_an_upgrade_directly(client, world, org):
    client.force_login(org.superuser)
    upload(client, package_with_patch(2, marker=MARKER))

    assert not H5PLibraryRequest.objects.exists()
    assert H5PLibrary.objects.get().patch_version == 2


def test_a_replaced_package_keeps_the_activity_playing_until_approval(client, world, attacker):
    client.force_login(attacker)
    upload(client, package_with_patch(5, marker=MARKER), title=world.activity.title, activity=world.activity)

    world.activity.refresh_from_db()
    assert world.activity.current_content == world.content
    assert H5PLibraryRequest.objects.get().activity == world.activity


# --- statements only for the activity and learner of the signed link ------------------------------------


def _statement(activity_id: int, scaled: float = 1.0) -> dict:
    return {
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": activity_iri(activity_id)},
        "result": {"score": {"scaled": scaled}, "completion": True, "success": True},
    }


def _nothing_recorded():
    assert not H5PStatement.objects.exists()
    assert not H5PResult.objects.exists()
    assert not ActivityProgress.objects.filter(status="done").exists()


def test_a_statement_needs_the_signed_link(client, world):
    client.force_login(world.learner)
    response = client.post(reverse("h5p:xapi"), data=json.dumps({"statement": _statement(world.activity.pk)}),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_json" and response.json()["error"]
    _nothing_recorded()


def test_a_statement_about_another_activity_than_the_links_is_refused(client, world, org):
    other = import_test_package(title="别人的活动").activity
    build_module(other, slug="other-module")
    token = make_token(user=world.learner, activity=world.activity, module=world.module, content=world.content,
                       site_origin="http://testserver")
    client.force_login(world.learner)

    response = client.post(reverse("h5p:xapi"), data=json.dumps({"token": token, "statement": _statement(other.pk)}),
                           content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "other_activity" and response.json()["error"]
    _nothing_recorded()


def test_a_statement_for_another_learner_than_the_links_is_refused(client, world, org):
    from shixun.courses.models import Enrolment

    Enrolment.objects.create(user=org.sibling_teacher, course=world.course)
    token = make_token(user=world.learner, activity=world.activity, module=world.module, content=world.content,
                       site_origin="http://testserver")
    client.force_login(org.sibling_teacher)

    response = client.post(reverse("h5p:xapi"),
                           data=json.dumps({"token": token, "statement": _statement(world.activity.pk)}),
                           content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "other_learner"
    _nothing_recorded()


def test_the_host_page_forwards_the_frames_own_link_with_each_statement():
    host = (P.LIBRARY_DIR.parents[1] / "static" / "h5p" / "host.js").read_text()
    assert "token: frame.dataset.token" in host
