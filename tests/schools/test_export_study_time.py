"""School exports show, beside each module entry's hours, the teacher's study time on that module (issue #13).

CSV and Excel compute it in the batch's one query (a subquery on StudyTime), so the number of queries does
not grow with the teachers; the PDF zip reuses the transcript renderer with one study-time query per batch.
"""

import csv
import io
import zipfile
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from shixun.courses.models import StudyTime
from shixun.schools import exports
from shixun.transcripts.transcript import build_transcript, transcript_csv
from tests.factories import make_teacher, study_lesson
from tests.transcripts.helpers import complete, enrol, make_course

pytestmark = pytest.mark.django_db

START, END = date(2020, 1, 1), date(2099, 12, 31)


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def studied(teacher, modules, minutes=(24, None)):
    """The teacher completes the modules: the first by studying (its study time then set to `minutes`), the
    second before study time was measured (no study time)."""
    for module, mins in zip(modules, minutes, strict=True):
        if mins is None:
            complete(teacher, module)
        else:
            study_lesson(teacher, module)
            StudyTime.objects.filter(user=teacher, module=module).update(active_ms=mins * 60_000 - 20_000)


@pytest.fixture
def course(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("1.0", "2.0"))
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        studied(org.teacher, modules)
    return course, modules


def run(scope, fmt):
    out = io.BytesIO()
    exports.export(scope, START, END, fmt, out)
    return out.getvalue()


def test_csv_has_study_minutes_beside_hours(org, course):
    rows = list(csv.reader(io.StringIO(run(exports.Scope(org.district, org.school), "csv").decode("utf-8-sig"))))
    hours, study = rows[0].index("学时"), rows[0].index("学习时长（分钟）")
    assert study == hours + 1
    mine = {row[4]: row for row in rows[1:] if row[1] == "T001"}
    title = next(t for t in mine if t.endswith("第1讲"))
    older = next(t for t in mine if t.endswith("第2讲"))
    assert (mine[title][hours], mine[title][study]) == ("1.0", "24")
    assert (mine[older][hours], mine[older][study]) == ("2.0", "")  # completed before study time was measured


def test_xlsx_entries_have_study_minutes_as_numbers(org, course):
    workbook = load_workbook(io.BytesIO(run(exports.Scope(org.district), "xlsx")), read_only=True)
    rows = list(workbook.worksheets[1].iter_rows(values_only=True))
    study = rows[0].index("学习时长（分钟）")
    by_hours = {row[7]: row[study] for row in rows[1:] if row[1] == "T001"}
    assert by_hours == {1: 24, 2: None}


def test_pdf_zip_and_transcript_pdf_and_csv_show_study_time(org, course):
    archive = zipfile.ZipFile(io.BytesIO(run(exports.Scope(org.district, org.school), "pdf-zip")))
    pdf = next(n for n in archive.namelist() if n.startswith("T001-"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(pdf))).pages)
    assert "学习时长" in text and "24 分钟" in text

    rows = list(csv.reader(io.StringIO(transcript_csv(build_transcript(org.teacher)).decode("utf-8-sig"))))
    hours, study = rows[0].index("学时"), rows[0].index("学习时长（分钟）")
    assert sorted((row[hours], row[study]) for row in rows[1:]) == [("1.0", "24"), ("2.0", "")]


def test_export_queries_do_not_grow_with_teachers(org, course, django_capture_on_commit_callbacks):
    """Every teacher studied: the CSV and Excel exports run the same statements for 2 teachers as for 12."""
    scope = exports.Scope(org.district, org.school)

    def count(fmt):
        with CaptureQueriesContext(connection) as queries:
            run(scope, fmt)
        return len(queries)

    before = {fmt: count(fmt) for fmt in ("csv", "xlsx")}
    for n in range(10):
        teacher = make_teacher(org.school, full_name=f"教师{n:02d}")
        _course, modules = make_course(hours=("1.0", "2.0"))
        enrol(teacher, _course)
        with django_capture_on_commit_callbacks(execute=True):
            studied(teacher, modules, minutes=(n + 1, 30))
    rows = list(csv.reader(io.StringIO(run(scope, "csv").decode("utf-8-sig"))))
    assert sum(1 for row in rows[1:] if row[8]) >= 1 + 20  # every studied module has its minutes
    assert {fmt: count(fmt) for fmt in ("csv", "xlsx")} == before


def test_every_rows_study_minutes_are_its_teachers_on_its_module_in_every_batch(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    """Pinned row by row against the ledger and the study rows: a module entry shows its own teacher's study time
    on that entry's module (not another teacher's, not another module's), rounded to whole minutes; an entry with
    no study row and a non-module entry show none. Teachers share the modules and span several batches (the
    study time is looked up once per batch), and the CSV and the Excel entries sheet agree."""
    from shixun.transcripts.models import LedgerEntry

    monkeypatch.setattr(exports, "BATCH", 2)
    course, modules = make_course(hours=("1.0", "2.0", "3.0"))
    teachers = [org.teacher] + [make_teacher(org.school, full_name=f"教师{n:02d}") for n in range(4)]
    # Rounding edges (ms): 29,999 → 0, 89,999 → 1, 90,000 → 2; each teacher and module a different figure.
    base = [29_999, 89_999, 90_000, 600_000, 3_000_000]
    for n, teacher in enumerate(teachers):
        enrol(teacher, course)
        with django_capture_on_commit_callbacks(execute=True):
            study_lesson(teacher, modules[0])
            study_lesson(teacher, modules[1])
            complete(teacher, modules[2])  # completed without study time being measured: no study row
        for m, module in enumerate(modules[:2]):
            StudyTime.objects.filter(user=teacher, module=module).update(active_ms=base[n] + m * 7 * 60_000)
    name = {t.pk: t.shixun_profile.full_name for t in teachers}
    study = {(s.user_id, s.module_id): s.active_ms for s in StudyTime.objects.all()}
    expected = {}
    for entry in LedgerEntry.objects.filter(learner__in=teachers).select_related("module_completion"):
        module = entry.module_completion.module_id if entry.module_completion_id else None
        ms = study.get((entry.learner_id, module))
        expected[(name[entry.learner_id], entry.title)] = "" if ms is None else str((ms + 30_000) // 60_000)
    assert len(expected) >= 3 * len(teachers)
    assert {v for v in expected.values()} >= {"0", "1", "2", "", "10", "50", "57"}

    rows = list(csv.reader(io.StringIO(run(exports.Scope(org.district, org.school), "csv").decode("utf-8-sig"))))
    study_at = rows[0].index("学习时长（分钟）")
    got = {(row[2], row[4]): row[study_at] for row in rows[1:] if (row[2], row[4]) in expected}
    assert got == expected

    workbook = load_workbook(io.BytesIO(run(exports.Scope(org.district, org.school), "xlsx")), read_only=True)
    sheet = list(workbook.worksheets[1].iter_rows(values_only=True))
    got = {(row[2], row[4]): "" if row[study_at] is None else str(row[study_at])
           for row in sheet[1:] if (row[2], row[4]) in expected}
    assert got == expected


@pytest.mark.parametrize("active_ms", [89_999, 90_000, 149_999, 150_000, 150_500, 209_999, 210_000])
def test_export_and_transcript_show_the_same_minutes(org, active_ms, django_capture_on_commit_callbacks):
    """Half-minute edges: the export rounds milliseconds in SQL, the transcript seconds in Python."""
    course, modules = make_course(hours=("1.0",))
    enrol(org.teacher, course)
    with django_capture_on_commit_callbacks(execute=True):
        study_lesson(org.teacher, modules[0])
    StudyTime.objects.filter(user=org.teacher, module=modules[0]).update(active_ms=active_ms)
    rows = list(csv.reader(io.StringIO(run(exports.Scope(org.district, org.school), "csv").decode("utf-8-sig"))))
    study = rows[0].index("学习时长（分钟）")
    exported = next(row[study] for row in rows[1:] if row[1] == "T001" and row[study])
    mine = list(csv.reader(io.StringIO(transcript_csv(build_transcript(org.teacher)).decode("utf-8-sig"))))
    column = mine[0].index("学习时长（分钟）")
    shown = next(row[column] for row in mine[1:] if row[column])
    assert exported == shown == str((active_ms + 30_000) // 60_000)
