"""The transcript shows, beside each module entry's hours, the study time the learner spent on that module."""

import re

import pytest
from django.urls import reverse

from shixun.transcripts.models import LedgerEntry
from tests.factories import study_lesson
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = pytest.mark.django_db


def test_each_module_entry_shows_its_study_time_beside_the_hours(org, client, django_capture_on_commit_callbacks):
    course, (studied, older) = make_course(hours=("1.0", "2.0"))
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        study_lesson(org.teacher, studied)  # 45 study minutes (45 s here), credited a heartbeat cap at a time
        complete(org.teacher, older)  # done before study time was measured: no study time to show
    assert LedgerEntry.objects.filter(learner=org.teacher).count() == 2

    client.force_login(org.teacher)
    html = client.get(reverse("transcripts:mine")).content.decode()
    assert "学习时长" in html
    rows = {title: row for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
            for title in ("第1讲", "第2讲") if title in row}
    assert re.search(r"1\.0</td>\s*<td class=\"num\">1 分钟</td>", rows["第1讲"]), rows["第1讲"]
    assert re.search(r"2\.0</td>\s*<td class=\"num\">—</td>", rows["第2讲"]), rows["第2讲"]
