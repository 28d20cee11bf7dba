"""A kind declared by an app of its own (this folder) shows up everywhere a kind matters.

The "checklist" kind touches no file outside tests/activity_kind_app (the
test settings install the app): the module editor offers its block,
completion waits for it, the personal data export carries its rows, the
learner sees its own status wording and the security matrix holds its rows.
"""

import html

import pytest

from shixun.courses import enrolment
from shixun.courses.activities import activity_kinds, get_kind, module_places, placed_ids
from shixun.courses.blocks import LESSON_KEY, ModuleBodyBlock
from shixun.courses.models import ActivityStatus, ModuleCompletion, ModulePage
from shixun.courses.progress import Requirement, module_requirements, record_activity_status
from shixun.schools.personal_data import erase_person, export_person
from tests.activity_kind_app.blocks import ChecklistBlock
from tests.activity_kind_app.models import Checklist, Signature
from tests.activity_kind_app.services import sign
from tests.courses.conftest import make_catalogue, make_course, make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def checklist():
    return Checklist.objects.create(title="开学准备清单", items="已阅读教学常规\n已布置教室")


@pytest.fixture
def placed(org, checklist):
    course = make_course(make_catalogue())
    module = make_module(course, body=[
        ("paragraph", "<p>正文</p>"),
        ("checklist", {"checklist": checklist, "required": True}),
    ])
    enrolment.enrol_self(org.teacher, course)
    return module


def test_the_kind_is_registered_after_the_built_in_ones():
    assert [kind.key for kind in activity_kinds()] == [
        "lesson", "video", "quiz", "assignment", "h5p", "evaluation", "attendance", "checklist",
    ]
    assert get_kind("checklist:7").block is ChecklistBlock


def test_the_module_body_has_its_block_after_the_built_in_ones():
    children = ModuleBodyBlock().child_blocks
    assert list(children)[-6:] == ["quiz", "assignment", "h5p", "evaluation", "attendance", "checklist"]
    assert isinstance(children["checklist"], ChecklistBlock)
    assert isinstance(ModulePage._meta.get_field("body").stream_block.child_blocks["checklist"], ChecklistBlock)


def test_the_module_editor_offers_the_block(client, org, placed):
    client.force_login(org.superuser)
    response = client.get(f"/admin/pages/{placed.pk}/edit/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert '"checklist"' in page and "activity_kind_app/checklist" in page  # the block and its chooser


def test_the_placement_api_finds_it_without_a_query(django_assert_num_queries, placed, checklist):
    module = ModulePage.objects.get(pk=placed.pk)
    with django_assert_num_queries(0):
        assert placed_ids(module, "checklist") == [checklist.pk]
        assert module_places(module, "checklist", checklist.pk)
        assert not module_places(module, "checklist", checklist.pk + 1)
        assert placed_ids(module, "quiz") == []


def test_a_required_checklist_holds_completion_until_the_kind_reports_done(org, placed, checklist):
    assert module_requirements(placed) == [Requirement(LESSON_KEY, True), Requirement(checklist.activity_key, True)]
    progress = record_activity_status(org.teacher, placed, LESSON_KEY, ActivityStatus.DONE)
    assert not progress.module_completed
    progress = record_activity_status(org.teacher, placed, checklist.activity_key, ActivityStatus.IN_PROGRESS)
    assert not progress.module_completed
    assert not ModuleCompletion.objects.filter(user=org.teacher, module=placed).exists()

    assert sign(org.teacher, placed, checklist).module_completed
    assert ModuleCompletion.objects.filter(user=org.teacher, module=placed).exists()


def test_the_learner_sees_the_kinds_own_status_wording(client, org, placed, checklist):
    client.force_login(org.teacher)
    page = client.get(placed.url).content.decode()
    assert "Not signed yet" in page and "开学准备清单" in page
    sign(org.teacher, placed, checklist)
    assert "Signed" in client.get(placed.url).content.decode()


def test_its_personal_data_is_exported_and_erased_with_the_person(org, placed, checklist):
    sign(org.teacher, placed, checklist)
    exported = export_person(org.teacher)["data"]["activity_kind_app.Signature"]["user"]
    assert [(row["checklist_id"], row["module_id"]) for row in exported] == [(checklist.pk, placed.pk)]

    erase_person(org.teacher, erased_by=org.district_admin)
    assert not Signature.objects.filter(user=org.teacher).exists()


def test_its_rows_are_in_the_security_matrix():
    from tests.security.matrix import KIND_ROWS, ROWS

    names = {row.name for row in ROWS}
    assert {row.name for row in KIND_ROWS["checklist"]} == {
        "wagtail admin checklist snippets", "wagtail admin checklist chooser"
    } <= names
