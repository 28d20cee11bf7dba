"""The transcript shows, beside each module entry's hours, the study time the learner spent on that module."""

import csv
import io
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


@pytest.mark.parametrize("viewer", ["school_admin", "district_admin"])
def test_a_school_admin_and_the_district_see_a_teachers_study_time_per_module(
    org, client, viewer, django_capture_on_commit_callbacks
):
    course, (studied, _older) = make_course(hours=("1.0", "2.0"))
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        study_lesson(org.teacher, studied)
    client.force_login(getattr(org, viewer))
    html = client.get(reverse("transcripts:person", args=[org.teacher.pk])).content.decode()
    row = next(row for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S) if "第1讲" in row)
    assert re.search(r"1\.0</td>\s*<td class=\"num\">1 分钟</td>", row), row
    body = client.get(reverse("transcripts:person_csv", args=[org.teacher.pk])).content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert [row[header.index("学习时长（分钟）")] for row in rows] == ["1"]
    # A school admin of another school, and another district's admin, see nothing of it.
    other = org.sibling_school_admin if viewer == "school_admin" else org.foreign_district_admin
    client.force_login(other)
    assert client.get(reverse("transcripts:person", args=[org.teacher.pk])).status_code in (403, 404)
