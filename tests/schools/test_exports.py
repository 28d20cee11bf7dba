"""Transcript exports: every format read back, formula neutralising, jobs deduplicated, downloads checked."""

import csv
import dataclasses
import io
import zipfile
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from shixun.schools import exports, jobs
from shixun.schools.models import ExportJob
from tests.factories import make_teacher

_refs = count(1)
START, END = date(2026, 1, 1), date(2026, 6, 30)


def credit(teacher, hours, on, title="师德师风专题培训"):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    return post_entry(
        learner=teacher, hours=Decimal(hours), title=title, source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"export-test-{next(_refs)}", earned_on=on,
    ).entry


@pytest.fixture
def credits(org):
    credit(org.teacher, "12", date(2026, 3, 1))
    credit(org.teacher, "6.5", date(2026, 5, 2), title="=HYPERLINK(\"http://evil\",\"点我\")")
    credit(org.teacher, "30", date(2025, 12, 31))  # outside the period
    evil = make_teacher(org.school, full_name="@SUM(A1:A9)", staff_number="-T9")
    credit(org.sibling_teacher, "8", date(2026, 2, 1))
    credit(org.foreign_teacher, "99", date(2026, 2, 1))
    return evil


def run(scope, fmt):
    out = io.BytesIO()
    exports.export(scope, START, END, fmt, out)
    return out.getvalue()


def test_csv_has_a_bom_every_teacher_and_no_formulas(org, credits):
    data = run(exports.Scope(district=org.district, school=org.school), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["School", "Staff number", "Name"]
    body = rows[1:]
    mine = [r for r in body if r[2] == "王秀英"]
    assert sorted(r[7] for r in mine) == ["12.0", "6.5"]  # 2025 excluded
    assert "'=HYPERLINK(\"http://evil\",\"点我\")" in [r[4] for r in mine]
    evil = [r for r in body if r[2].endswith("SUM(A1:A9)")]
    # No entries: a zero row (the last, empty cell is the pending-hours column).
    assert evil == [[org.school.name, "'-T9", "'@SUM(A1:A9)", "", "", "", "", "0", "", "", ""]]
    names = {r[2] for r in body}
    assert org.sibling_teacher.shixun_profile.full_name not in names
    assert org.foreign_teacher.shixun_profile.full_name not in names
    for row in body:
        for cell in row[:7] + row[8:]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_xlsx_has_a_summary_and_entries_sheet(org, credits):
    data = run(exports.Scope(district=org.district), "xlsx")
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    summary, entries = workbook.worksheets
    summary_rows = list(summary.iter_rows(values_only=True))
    by_name = {row[2]: row for row in summary_rows[2:]}
    assert by_name["王秀英"][4] == 18.5 and by_name["王秀英"][5] == 2
    assert by_name[org.sibling_teacher.shixun_profile.full_name][4] == 8  # the whole district
    assert org.foreign_teacher.shixun_profile.full_name not in by_name
    assert "'@SUM(A1:A9)" in by_name
    entry_rows = list(entries.iter_rows(values_only=True))[1:]
    assert sorted(r[7] for r in entry_rows) == [6.5, 8, 12]
    for row in entry_rows + summary_rows:
        for cell in row:
            assert not (isinstance(cell, str) and cell.startswith(("=", "+", "-", "@"))), row


def test_pdf_zip_has_one_readable_transcript_per_teacher(org, credits):
    data = run(exports.Scope(district=org.district, school=org.school), "pdf-zip")
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    teachers = exports.Scope(district=org.district, school=org.school).teachers()
    assert len(names) == teachers.count()
    pdf = next(n for n in names if n.startswith("T001-"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(pdf))).pages)
    assert "王秀英" in text and "18.5" in text
    assert "30.0" not in text  # the 2025 entry is outside the period


def test_the_writer_streams_entries_in_chunks(org, credits, monkeypatch):
    """Many teachers, small chunks: the merge still pairs every entry with its teacher."""
    monkeypatch.setattr(exports, "CHUNK", 2)
    extra = [make_teacher(org.school, full_name=f"教师{n:02d}") for n in range(7)]
    for n, teacher in enumerate(extra):
        credit(teacher, f"{n + 1}", date(2026, 4, 1))
    pairs = list(exports.teachers_with_entries(exports.Scope(district=org.district, school=org.school), START, END))
    for teacher, entries in pairs:
        assert all(entry.learner_id == teacher.pk for entry in entries)
    assert sum(len(e) for _t, e in pairs) == 2 + 7


def test_the_same_request_twice_makes_one_job(org, credits, django_capture_on_commit_callbacks):
    scope = exports.Scope(district=org.district, school=org.school)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first, created = jobs.request_export(org.school_admin, scope, START, END, "csv")
        again, created_again = jobs.request_export(org.school_admin, scope, START, END, "csv")
    assert created and not created_again and first.pk == again.pk
    assert len(callbacks) == 1
    callbacks[0]()  # the queue runs inline in tests
    first.refresh_from_db()
    assert first.status == ExportJob.Status.DONE and first.percent == 100
    # Once done, asking again prepares a fresh file (the data may have changed).
    third, created_third = jobs.request_export(org.school_admin, scope, START, END, "csv")
    assert created_third and third.pk != first.pk
    # Running a delivered task again (at-least-once delivery) changes nothing.
    assert jobs.run_export(first.pk) == "skipped"


def test_a_failing_export_is_marked_failed(org, monkeypatch):
    scope = exports.Scope(district=org.district, school=org.school)
    job, _ = jobs.request_export(org.school_admin, scope, START, END, "csv")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setitem(exports.FORMATS, "csv", dataclasses.replace(exports.FORMATS["csv"], write=boom))
    with pytest.raises(RuntimeError):
        jobs.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "disk full" in job.error


def test_download_through_the_pages(client, org, credits, django_capture_on_commit_callbacks):
    client.force_login(org.school_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("schools:school_exports", args=[org.school.code]),
            {"start": "2026-01-01", "end": "2026-06-30", "format": "xlsx"},
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("schools:export_job", args=[job.pk])
    assert reverse("schools:export_download", args=[job.pk]) in client.get(response.url).content.decode()
    download = client.get(reverse("schools:export_download", args=[job.pk]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert len(workbook.worksheets) == 2
    # Nobody else gets the file: not the sibling school's admin, not even the district admin who did not ask.
    for other in (org.sibling_school_admin, org.district_admin, org.teacher, org.foreign_district_admin):
        client.force_login(other)
        assert client.get(reverse("schools:export_download", args=[job.pk])).status_code == 404
        assert client.get(reverse("schools:export_job", args=[job.pk])).status_code == 404


def test_district_admin_can_export_one_school_but_not_a_foreign_one(client, org, django_capture_on_commit_callbacks):
    client.force_login(org.district_admin)
    url = reverse("schools:district_exports", args=[org.district.code])
    form = {"start": "2026-01-01", "end": "2026-06-30", "format": "csv", "school": org.sibling_school.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, form).status_code == 302
    assert ExportJob.objects.get().school == org.sibling_school
    form["school"] = org.foreign_school.pk  # not offered: the form refuses it
    response = client.post(url, form)
    assert response.status_code == 200 and response.context["form"].errors["school"]
    assert client.get(reverse("schools:district_exports", args=[org.other_district.code])).status_code == 403


def test_bad_periods_are_refused(client, org):
    client.force_login(org.school_admin)
    response = client.post(
        reverse("schools:school_exports", args=[org.school.code]),
        {"start": "2026-06-30", "end": "2026-01-01", "format": "csv"},
    )
    assert response.context["form"].errors["end"] and not ExportJob.objects.exists()


def test_command_writes_each_format(org, credits, tmp_path):
    district_teachers = exports.Scope(district=org.district).teachers().count()
    # Two teachers at the first school (one formula-named), one at the second; the admins do not teach.
    assert district_teachers == 3
    for fmt, check in [
        ("csv", lambda p: p.read_bytes().startswith(b"\xef\xbb\xbf")),
        ("xlsx", lambda p: len(load_workbook(p, read_only=True).worksheets) == 2),
        ("pdf-zip", lambda p: len(zipfile.ZipFile(p).namelist()) == district_teachers),
    ]:
        path = tmp_path / f"out.{fmt}"
        call_command(
            "export_transcripts", "--district", org.district.code, "--from", "2026-01-01", "--to", "2026-06-30",
            "--format", fmt, "--output", str(path), stdout=io.StringIO(),
        )
        assert check(path), fmt
    with pytest.raises(Exception, match="no school"):
        call_command(
            "export_transcripts", "--school", "nope", "--from", "2026-01-01", "--to", "2026-06-30",
            "--format", "csv", "--output", str(tmp_path / "x.csv"),
        )
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.partial").exists()


def test_the_databases_cells_follow_the_one_formula_rule(org):
    """Teacher cells are neutralised in SQL, entry texts once per text in Python: both exactly as
    spreadsheets.formulas says, in CSV and Excel."""
    from shixun.spreadsheets.formulas import neutralise
    from tests.spreadsheets.test_formulas import FORMULA_STARTS, HIDDEN_BEHIND_SPACE, PLAIN

    texts = FORMULA_STARTS + HIDDEN_BEHIND_SPACE + PLAIN
    for n, text in enumerate(texts):
        teacher = make_teacher(org.school, full_name=text, staff_number=f"N{n:03d}")
        credit(teacher, "1", date(2026, 3, 1), title=text)
    scope = exports.Scope(district=org.district, school=org.school)

    rows = list(csv.reader(io.StringIO(run(scope, "csv").decode("utf-8-sig"))))
    csv_by_staff = {row[1]: row for row in rows[1:]}
    workbook = load_workbook(io.BytesIO(run(scope, "xlsx")), read_only=True)
    summary, entries = ([row for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets)
    summary_by_staff = {row[1]: row for row in summary[2:]}
    entries_by_staff = {row[1]: row for row in entries[1:]}
    for n, text in enumerate(texts):
        expected = neutralise(text)
        row = csv_by_staff[f"N{n:03d}"]
        assert (row[2], row[4]) == (expected, expected), text
        # XML reads a carriage return back as a line feed; an empty string is an empty cell.
        in_xlsx = expected.replace("\r", "\n") or None
        assert summary_by_staff[f"N{n:03d}"][2] == in_xlsx, text
        assert entries_by_staff[f"N{n:03d}"][2] == entries_by_staff[f"N{n:03d}"][4] == in_xlsx, text


def test_a_full_width_formula_is_neutralised_in_csv_and_excel(org):
    make_teacher(org.school, full_name="＝SUM(1)", staff_number="＋T1")
    credit(org.teacher, "2", date(2026, 3, 1), title="＠SUM(A1)")
    scope = exports.Scope(district=org.district, school=org.school)
    csv_cells = {cell for row in csv.reader(io.StringIO(run(scope, "csv").decode("utf-8-sig"))) for cell in row}
    workbook = load_workbook(io.BytesIO(run(scope, "xlsx")), read_only=True)
    xlsx_cells = {cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row}
    for cells in (csv_cells, xlsx_cells):
        assert {"'＝SUM(1)", "'＋T1", "'＠SUM(A1)"} <= cells
        assert not {"＝SUM(1)", "＋T1", "＠SUM(A1)"} & cells


def test_excel_sheets_have_widths_a_frozen_header_and_a_labelled_count(org, credits):
    """Issue #16: no widths (dates as ####), no frozen header, a count headed 学时明细."""
    from django.utils import translation

    with translation.override("zh-hans"):
        data = run(exports.Scope(district=org.district), "xlsx")
    summary, entries = load_workbook(io.BytesIO(data)).worksheets
    assert summary.freeze_panes == "A3" and entries.freeze_panes == "A2"
    assert summary.column_dimensions["A"].width >= 20
    assert entries.column_dimensions["D"].width >= 10  # the date column shows yyyy-mm-dd, not ####
    assert [c.value for c in next(summary.iter_rows(min_row=2, max_row=2))][5] == "明细条数"
    assert entries.title == "学时明细"


def test_pdf_zip_entries_are_dated_now_not_1980(org, credits):
    from django.utils import timezone

    data = run(exports.Scope(district=org.district, school=org.school), "pdf-zip")
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        assert info.date_time[:3] == timezone.localtime().timetuple()[:3]
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_csv_dates_and_hours_are_the_ledgers_text_a_reversal_negative(org):
    """Every entry row's date and hours are exactly str() of the ledger's date and Decimal (PostgreSQL writes
    their text itself), a reversal's hours negative, a teacher with no entry 0; Excel keeps real numbers."""
    from shixun.transcripts.ledger import reverse_entry
    from shixun.transcripts.models import LedgerEntry

    hours = ["0.5", "1", "2.0", "10", "12.5", "100.0", "999.9"]
    for n, figure in enumerate(hours):
        credit(org.teacher, figure, date(2026, 1 + n % 6, 1 + 4 * n), title=f"培训{n}")
    reversed_entry = reverse_entry(
        LedgerEntry.objects.get(title="培训4"), reason="重复登记", actor=org.district_admin
    )
    idle = make_teacher(org.school, full_name="未参训", staff_number="Z1")
    rows = list(csv.reader(io.StringIO(run(exports.Scope(org.district, org.school), "csv").decode("utf-8-sig"))))
    got = sorted((row[3], row[7]) for row in rows[1:] if row[2] == "王秀英")
    expected = sorted(
        (str(e.earned_on), str(e.hours)) for e in LedgerEntry.objects.filter(learner=org.teacher)
        if START <= e.earned_on <= END
    )
    assert got == expected and len(got) == len(hours) + 1
    assert (str(reversed_entry.earned_on), "-12.5") in got
    assert [row[7] for row in rows[1:] if row[1] == "Z1"] == ["0"] and idle.pk

    workbook = load_workbook(io.BytesIO(run(exports.Scope(org.district, org.school), "xlsx")), read_only=True)
    entries = [row for row in workbook.worksheets[1].iter_rows(values_only=True)][1:]
    assert sorted(row[7] for row in entries if row[2] == "王秀英") == sorted(
        [float(h) for h in hours] + [-12.5]
    )
