"""The transcript shows, beside each module entry's hours, the study time the learner spent on that module."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from shixun.transcripts.models import LedgerEntry
from shixun.transcripts.transcript import build_transcript
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
    rows = {
        title: row
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
        for title in ("第1讲", "第2讲")
        if title in row
    }
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


def pass_policy_course(learner, hours, django_capture_on_commit_callbacks, studied=1):
    """A course under "hours when the course is passed" whose modules `learner` completed: the first
    `studied` by studying their lesson, the others before study time was measured. Nothing is on the ledger."""
    from shixun.courses.models import CreditPolicy
    from shixun.transcripts.models import CourseCreditSettings, GradeComponent

    course, modules = make_course(hours=hours)
    course.credit_policy = CreditPolicy.ON_PASS
    course.save()
    # Graded: completing every module does not pass the course, so its hours stay pending.
    settings = CourseCreditSettings.objects.create(course=course)
    GradeComponent.objects.create(settings=settings, name="集中考核", weight=100)
    enrol(learner, course)
    with django_capture_on_commit_callbacks(execute=True):
        for n, module in enumerate(modules):
            (study_lesson if n < studied else complete)(learner, module)
    assert not LedgerEntry.objects.filter(learner=learner).exists()
    return course, modules


@pytest.mark.parametrize("viewer", ["teacher", "school_admin", "district_admin"])
def test_a_pending_courses_completed_modules_show_their_hours_and_study_time(
    org, client, viewer, django_capture_on_commit_callbacks
):
    """待考核: the hours are not on the ledger yet, but the study they stand for is shown module by module
    (on the page, in the PDF and in the CSV), as beside a posted entry."""
    course, _modules = pass_policy_course(org.teacher, ("1.0", "2.0"), django_capture_on_commit_callbacks)
    client.force_login(getattr(org, viewer))
    base = reverse("transcripts:mine") if viewer == "teacher" else reverse("transcripts:person", args=[org.teacher.pk])

    html = client.get(base).content.decode()
    pending = html[html.index('id="pending"') :]
    assert "第1讲 · 1.0 学时 · 学习时长 1 分钟" in pending, pending
    assert "第2讲 · 2.0 学时 · 学习时长 —" in pending, pending

    body = client.get(base + "csv/").content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    what, minutes, reason = header.index("内容"), header.index("学习时长（分钟）"), header.index("原因")
    pending_rows = [row for row in rows if row[header.index("来源")] == "待考核"]
    assert [(row[what], row[minutes]) for row in pending_rows] == [(course.title, ""), ("第1讲", "1"), ("第2讲", "")]
    assert "1.0 学时" in pending_rows[1][reason] and course.title in pending_rows[1][reason]
    # The course's row carries the pending hours; its modules' rows add nothing to the column's sum.
    assert sum(Decimal(row[-1]) for row in rows if row[-1]) == Decimal("3.0")

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(base + "pdf/").content)).pages)
    assert "· 第1讲" in text and "1 分钟" in text and "· 第2讲" in text


def test_a_pending_courses_module_hours_are_the_pending_hours(org, django_capture_on_commit_callbacks):
    """The modules listed under a pending course are the completions pending_by_course sums: same hours."""
    pass_policy_course(org.teacher, ("1.0", "2.5", "0.5"), django_capture_on_commit_callbacks, studied=2)
    transcript = build_transcript(org.teacher)
    (pending,) = transcript.pending
    modules = transcript.modules_of(pending)
    assert [m.title for m in modules] == ["第1讲", "第2讲", "第3讲"]
    assert sum(m.hours for m in modules) == pending.module_hours == Decimal("4.0")
    assert [m.study_seconds is not None for m in modules] == [True, True, False]


def test_the_pending_modules_cost_one_query_whatever_their_number(org, client, django_capture_on_commit_callbacks):
    url = reverse("transcripts:person", args=[org.teacher.pk])
    client.force_login(org.school_admin)
    client.get(url)
    with CaptureQueriesContext(connection) as nothing_pending:
        client.get(url)
    pass_policy_course(org.teacher, ("1.0",), django_capture_on_commit_callbacks)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    pass_policy_course(org.teacher, ("1.0", "2.0", "3.0"), django_capture_on_commit_callbacks, studied=3)
    with CaptureQueriesContext(connection) as four:
        html = client.get(url).content.decode()
    listed = re.findall(r"<li>(第\d讲 · [^<]*)</li>", html[html.index('id="pending"') :])
    assert len(listed) == 4 and all("学习时长" in line for line in listed), listed
    # One query more than a transcript without 待考核 and without module entries (the study time, read with any
    # entries' in one query; the pending courses and their modules are one read, with or without 待考核),
    # however many modules and courses are pending.
    assert len(one) == len(four) == len(nothing_pending) + 1, [q["sql"][:90] for q in four]
