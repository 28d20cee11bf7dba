"""The H5P demo seed: one activity in a demo module, idempotent."""

import io

import pytest

from shixun.assessments.h5p import demo
from shixun.assessments.h5p.models import H5PActivity, H5PContent, H5PLibrary

pytestmark = pytest.mark.django_db


def test_the_demo_places_one_activity_and_running_it_twice_changes_nothing(h5p_root):
    from shixun.accounts import demo as accounts_demo
    from shixun.courses import demo as courses_demo
    from shixun.courses.models import ModulePage

    out = io.StringIO()
    accounts_demo.seed(out)
    courses_demo.seed(out)
    demo.seed(out)
    demo.seed(out)

    activity = H5PActivity.objects.get()
    assert activity.title == demo.TITLE
    assert H5PContent.objects.count() == 1 and H5PLibrary.objects.count() == 1
    module = ModulePage.objects.get(slug=demo.MODULE_SLUG)
    placed = [child for child in module.body if child.block_type == "h5p"]
    assert len(placed) == 1 and placed[0].value["activity"] == activity
