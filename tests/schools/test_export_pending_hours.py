"""School and district exports and the school dashboard show hours waiting for a course to be passed (待考核) beside
the earned hours, never in them (issue #20): the CSV a last "pending hours" column with a row per pending course (as a
teacher's own transcript CSV), the Excel summary a pending-hours column; one query per batch, not per teacher."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from shixun.schools import exports
from shixun.transcripts.services import pending_by_course
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol
from tests.transcripts.test_credit_policy import grade, graded_course

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)


@pytest.fixture
def g(org, django_capture_on_commit_callbacks):
    """org.teacher completed a course whose 3.5 h + 4 award hours post when it is passed: 7.5 h pending."""
    g = graded_course(org)
    enrol(org.teacher, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        for module in g.modules:
            complete(org.teacher, module)
    return g


def run(scope, fmt, language="zh-hans"):
    out = io.BytesIO()
    with translation.override(language):
        exports.export(scope, START, timezone.localdate(), fmt, out)
    return out.getvalue()


def csv_rows(scope, language="zh-hans"):
    return list(csv.reader(io.StringIO(run(scope, "csv", language).decode("utf-8-sig"))))


def summary(scope, language="zh-hans"):
    sheet = load_workbook(io.BytesIO(run(scope, "xlsx", language)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return rows[1], {row[2]: row for row in rows[2:]}


def test_the_school_csv_has_a_pending_column_and_a_row_per_pending_course(org, g):
    make_teacher(org.school, full_name="李老师")  # nothing pending
    (pending,) = pending_by_course(org.teacher)
    rows = csv_rows(exports.Scope(org.district, org.school))
    header, body = rows[0], rows[1:]
    assert header[-1] == "待考核学时" and header[7] == "学时"
    mine = [row for row in body if row[2] == org.teacher.shixun_profile.full_name]
    (zero,) = [row for row in mine if row[6] != "待考核"]
    assert zero[7] == "0" and zero[-1] == ""  # nothing earned; the entry rows leave the pending column empty
    (held,) = [row for row in mine if row[6] == "待考核"]
    assert held[4] == g.course.title and held[7] == "" and Decimal(held[-1]) == pending.hours == Decimal("7.5")
    assert "考核" in held[9]  # the transcript's explanation
    assert sum(Decimal(row[7]) for row in body if row[7]) == 0  # summing 学时 never counts pending hours
    others = [row for row in body if row[2] != org.teacher.shixun_profile.full_name]
    assert others and all(row[-1] == "" for row in others)
    english = csv_rows(exports.Scope(org.district, org.school), "en")
    assert english[0][-1] == "Pending hours"
    assert any(row[6] == "Pending assessment (待考核)" for row in english[1:])


def test_the_district_excel_summary_has_pending_hours_beside_hours(org, g):
    header, by_name = summary(exports.Scope(org.district))
    assert header[4] == "学时" and header[-1] == "待考核学时"
    mine = by_name[org.teacher.shixun_profile.full_name]
    assert mine[4] == 0 and mine[-1] == 7.5
    assert by_name[org.sibling_teacher.shixun_profile.full_name][-1] == 0  # another school of the district
    english_header, _rows = summary(exports.Scope(org.district), "en")
    assert english_header[-1] == "Pending hours"


def test_once_passed_the_hours_move_from_pending_to_earned(org, g):
    grade(g, org.teacher, org.trainer, school="90", central="90", absent="0")
    _header, by_name = summary(exports.Scope(org.district, org.school))
    mine = by_name[org.teacher.shixun_profile.full_name]
    assert mine[4] == 7.5 and mine[-1] == 0
    rows = csv_rows(exports.Scope(org.district, org.school))
    assert not [row for row in rows[1:] if row[6] == "待考核"]


def test_the_pending_column_adds_no_query_per_teacher(org, g, django_capture_on_commit_callbacks):
    scope = exports.Scope(org.district, org.school)

    def count(fmt):
        with CaptureQueriesContext(connection) as queries:
            run(scope, fmt)
        return len(queries)

    before = {fmt: count(fmt) for fmt in ("csv", "xlsx")}
    for n in range(10):
        teacher = make_teacher(org.school, full_name=f"待考核教师{n:02d}")
        enrol(teacher, g.course)
        with django_capture_on_commit_callbacks(execute=True):
            complete(teacher, g.modules[n % 2])
    rows = csv_rows(scope)
    assert sum(1 for row in rows[1:] if row[6] == "待考核") == 11
    assert {fmt: count(fmt) for fmt in ("csv", "xlsx")} == before


def test_the_school_dashboard_notes_pending_hours_where_there_are_some(org, g, client):
    client.force_login(org.school_admin)
    url = reverse("schools:school_dashboard", args=[org.school.code])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert page.count("pending-note") == 1 and "待考核 7.5 学时" in page
    assert "课程考核通过后才计入" in page
    assert "Pending assessment (待考核): 7.5 hours" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_school_dashboard_note_is_one_query_for_the_page(org, g, client, django_capture_on_commit_callbacks):
    client.force_login(org.school_admin)
    url = reverse("schools:school_dashboard", args=[org.school.code])

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    before = count()
    for n in range(6):
        teacher = make_teacher(org.school, full_name=f"待考核教师{n:02d}")
        enrol(teacher, g.course)
        with django_capture_on_commit_callbacks(execute=True):
            complete(teacher, g.modules[0])
    assert count() == before
    assert client.get(url).content.decode().count("pending-note") == 7


def test_the_exports_pending_read_is_the_one_computation_for_any_batch(org, g, django_capture_on_commit_callbacks):
    """pending_by_learner_ids (SQL compiled once, ids padded to a batch) answers as pending_by_learner does:
    for a short batch, a full one, and more ids than a batch (two runs of the same SQL)."""
    from django.contrib.auth import get_user_model

    from shixun.transcripts.services import PENDING_BATCH, pending_by_learner, pending_by_learner_ids

    other = make_teacher(org.school, full_name="第二位")
    enrol(other, g.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete(other, g.modules[0])
    users = [org.teacher, other, org.sibling_teacher]
    expected = pending_by_learner(users)
    assert set(expected) == {org.teacher.pk, other.pk} and expected[org.teacher.pk][0].hours == Decimal("7.5")
    assert pending_by_learner_ids([u.pk for u in users]) == expected
    no_one = max(get_user_model().objects.values_list("pk", flat=True)) + 1  # ids no user has, as filler
    filler = list(range(no_one, no_one + PENDING_BATCH))
    assert pending_by_learner_ids([org.teacher.pk, *filler[:-1], other.pk]) == expected  # a full batch
    assert pending_by_learner_ids([*filler, org.teacher.pk, other.pk]) == expected  # the last two in a second run
    with CaptureQueriesContext(connection) as queries:
        pending_by_learner_ids([*filler, org.teacher.pk])
    assert len(queries) == 2
