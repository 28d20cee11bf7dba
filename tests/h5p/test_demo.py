"""The H5P demo seed: real hub content, uploaded and approved as a trainer's would be; idempotent."""

import io

import pytest

from shixun.assessments.h5p import demo
from shixun.assessments.h5p.models import H5PActivity, H5PContent, H5PLibrary, H5PLibraryRequest

pytestmark = pytest.mark.django_db


def test_the_demo_places_real_hub_content_and_running_it_twice_changes_nothing(h5p_root):
    from shixun.accounts import demo as accounts_demo
    from shixun.courses import demo as courses_demo
    from shixun.courses.models import ModulePage

    assert demo.available(), "npm ci installs the devDependency h5p-hub-sample (package.json)"
    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)
    demo.seed(out)
    demo.seed(out)

    activity = H5PActivity.objects.get()
    assert activity.title == demo.TITLE and activity.completion_rule == "passed"
    content = H5PContent.objects.get()
    assert activity.current_content == content and content.main_library.machine_name == "H5P.TrueFalse"
    # The hub's libraries, not Shixun's test library.
    names = set(H5PLibrary.objects.values_list("machine_name", flat=True))
    assert {"H5P.TrueFalse", "H5P.Question", "H5P.JoubelUI", "FontAwesome"} <= names
    assert "H5P.ShixunQuickCheck" not in names
    # Through the normal path: the trainer's upload was held, the administrator approved its libraries.
    request = H5PLibraryRequest.objects.get()
    assert request.status == H5PLibraryRequest.Status.APPROVED
    assert request.requested_by.username == demo.UPLOADER and request.decided_by.username == demo.APPROVER
    assert content.uploaded_by.username == demo.UPLOADER
    assert "H5P.TrueFalse" in {entry["machine_name"] for entry in request.libraries}

    module = ModulePage.objects.get(slug=demo.MODULE_SLUG)
    placed = [child for child in module.body if child.block_type == "h5p"]
    assert len(placed) == 1 and placed[0].value["activity"] == activity
    assert demo.QUESTION in (h5p_root / content.storage_dir / "content" / "content.json").read_text("utf-8")
