"""The streaming .xlsx writer: read back with openpyxl, cell by cell."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shixun.spreadsheets import xlsx_stream


def build(*sheets):
    out = io.BytesIO()
    workbook = xlsx_stream.Workbook(out)
    for name, rows in sheets:
        workbook.add_sheet(name).extend(rows)
    workbook.close()
    return out.getvalue()


def test_values_come_back_as_their_types():
    data = build(
        ("汇总", [["学校", "工号", "学时"], ["第一小学", "T001", Decimal("12.5")], ["第一小学", None, -2]]),
        ("明细", [[date(2026, 3, 1), "=HYPERLINK(\"http://evil\")", 3.0, True, "", "a & b <c>"]]),
    )
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["汇总", "明细"]
    first, second = workbook.worksheets
    assert [[c.value for c in row] for row in first.iter_rows()] == [
        ["学校", "工号", "学时"], ["第一小学", "T001", 12.5], ["第一小学", None, -2],
    ]
    row = [c for c in next(second.iter_rows())]
    assert row[0].value.date() == date(2026, 3, 1) and row[0].number_format == "yyyy-mm-dd"
    # A string that looks like a formula stays text: it is not evaluated or stored as a formula.
    assert row[1].value == "=HYPERLINK(\"http://evil\")" and row[1].data_type == "s"
    assert [c.value for c in row[2:]] == [3, True, None, "a & b <c>"]


def test_characters_xml_cannot_hold_are_dropped_and_names_are_made_legal():
    data = build(("a/b:c*d?[e]f-long-name-over-thirty-one-characters", [["ok\x00\x0bbell\x07", "tab\tnewline\n"]]))
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["a b c d  e f-long-name-over-thi"]  # 31 characters, none of []:*?/\\
    assert [c.value for c in next(workbook.active.iter_rows())] == ["okbell", "tab\tnewline\n"]


def test_a_sheet_refuses_rows_past_excels_limit(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 3)
    workbook = xlsx_stream.Workbook(io.BytesIO())
    sheet = workbook.add_sheet("s")
    sheet.extend([[1], [2], [3]])
    with pytest.raises(xlsx_stream.SheetFull):
        sheet.append([4])


def test_rows_are_written_as_they_come(monkeypatch):
    """Rows reach the zip member every FLUSH_ROWS rows, not at the end."""
    monkeypatch.setattr(xlsx_stream, "FLUSH_ROWS", 10)
    out = io.BytesIO()
    workbook = xlsx_stream.Workbook(out)
    sheet = workbook.add_sheet("s")
    writes = []
    real_write = sheet._member.write
    monkeypatch.setattr(sheet._member, "write", lambda data: writes.append(len(data)) or real_write(data))
    sheet.extend([[n, f"第{n}行"]] for n in range(35))
    assert len(writes) == 4  # 10 + 10 + 10 + 5 rows
    workbook.close()
    assert zipfile.ZipFile(out).testzip() is None
    assert load_workbook(io.BytesIO(out.getvalue())).active.max_row == 35


def test_column_widths_and_frozen_header_rows():
    out = io.BytesIO()
    workbook = xlsx_stream.Workbook(out)
    summary = workbook.add_sheet("汇总", widths=(28, 10), freeze_rows=2)
    summary.extend([["标题"], ["学校", "日期"], ["一小", date(2026, 3, 1)]])
    workbook.add_sheet("明细").append(["x"])
    workbook.close()
    first, second = load_workbook(io.BytesIO(out.getvalue())).worksheets
    assert first.column_dimensions["A"].width == 28 and first.column_dimensions["B"].width == 10
    assert first.freeze_panes == "A3"
    assert second.freeze_panes is None  # nothing asked, nothing written
    assert [c.value for c in next(first.iter_rows(min_row=3))][0] == "一小"
