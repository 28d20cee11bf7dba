"""The report as PDF (reportlab, the transcripts' embedded CJK font) and Excel, and the appraisal list as CSV and Excel.

Everything is written from the computed figures (reports.figures.for_school),
never from a second computation. Every text cell goes through the one
formula rule (spreadsheets.formulas.neutralise); numbers stay numbers.
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from shixun.spreadsheets.formulas import neutralise
from shixun.spreadsheets.xlsx_stream import Workbook

# The transcripts' PDF helpers: one font rule (embedded Chinese TrueType), one look.
from shixun.transcripts.pdf import _esc, _styles, _table, cjk_font

from .charts import month_label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows of the appraisal list printed in the PDF; the whole list is in the Excel file and the appraisal export.
PDF_LIST_LIMIT = 300


def title(data: dict) -> str:
    scope = data["school"]["name"] if data["school"] else data["district"]["name"]
    return _("%(scope)s: training report %(year)s") % {"scope": scope, "year": data["year"]}


def as_of_text(data: dict) -> str:
    if data["final"]:
        return _("Year %(year)s, figures as of %(date)s") % {"year": data["year"], "date": data["as_of"]}
    return _("Year %(year)s still running: figures as of %(date)s (provisional)") % {
        "year": data["year"], "date": data["as_of"]}


def overview_rows(data: dict) -> list[tuple[str, object]]:
    fig = data["figures"]
    return [
        (_("Teachers"), fig["teachers"]),
        (_("Teachers with hours this year"), fig["participants"]),
        (_("Participation (%)"), fig["participation_percent"]),
        (_("Hours in total"), fig["hours"]),
        (_("Hours per teacher"), fig["hours_per_teacher"]),
        (_("Enrolments in the year"), fig["enrolments"]),
        (_("Courses completed"), fig["completions"]),
        (_("Completion rate (%)"), fig["completion_percent"]),
        (_("Courses passed"), fig["passed"]),
        (_("Pass rate (%)"), fig["pass_percent"]),
        (_("Requirement not met"), fig["not_met"]),
        (_("At risk"), fig["at_risk"]),
        (_("Outstanding learners"), fig["outstanding"]),
    ]


def school_names(data: dict) -> dict[int, str]:
    return {s["id"]: s["name"] for s in data["schools"]}


def rules_text(row: dict) -> str:
    return "；".join(
        _("%(rule)s: %(earned)s of %(minimum)s h") % {"rule": r["name"], "earned": r["earned"], "minimum": r["minimum"]}
        for r in row["rules"]
    )


def satisfaction_rows(data: dict) -> list[list]:
    kinds = {"course": _("Course"), "trainer": _("Trainer")}
    return [[kinds[r["kind"]], r["name"], r["responses"], r["score"]] for r in data["satisfaction"] or []]


# --- PDF ----------------------------------------------------------------------------------------


def _bars(rows, key: str, font: str, width: float) -> Drawing:
    """Horizontal bars of hours for the PDF (the same shape as the page's SVG chart)."""
    row_height, label_width = 14, 70
    drawing = Drawing(width, row_height * len(rows) + 4)
    top = max((row[key] for row in rows), default=0) or 1
    for index, row in enumerate(rows):
        y = drawing.height - (index + 1) * row_height
        drawing.add(String(0, y + 3, str(row["name"])[:12], fontName=font, fontSize=8))
        bar = (width - label_width - 60) * row[key] / top
        drawing.add(Rect(label_width, y + 2, max(bar, 0), 8, fillColor=colors.HexColor("#2f6fb0"), strokeWidth=0))
        drawing.add(String(label_width + max(bar, 0) + 4, y + 3, str(row[key]), fontName=font, fontSize=8))
    return drawing


def render_pdf(data: dict) -> bytes:
    styles, font = _styles(), cjk_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=title(data), author=_("Shixun"),
    )
    width = A4[0] - 32 * mm
    fig = data["figures"]

    def p(text, style="cell"):
        return Paragraph(_esc(text), styles[style])

    def section(heading, header, rows, widths):
        story.append(p(heading, "h2"))
        if rows:
            story.append(_table([header, *rows], widths, font))
        else:
            story.append(p(_("None."), "body"))

    story = [p(title(data), "title"), p(as_of_text(data), "body"), Spacer(1, 4 * mm)]
    section(_("Overview"), [_("Figure"), _("Value")], [[p(k), v] for k, v in overview_rows(data)],
            [width * 0.7, width * 0.3])
    if data["school_figures"]:
        section(
            _("Schools"),
            [_("School"), _("Teachers"), _("Participation (%)"), _("Hours per teacher"), _("Completion rate (%)"),
             _("Requirement not met")],
            [[p(s["name"]), s["teachers"], s["participation_percent"], s["hours_per_teacher"],
              s["completion_percent"], s["not_met"]] for s in data["school_figures"]],
            [width * 0.35] + [width * 0.13] * 5,
        )
    months = [{"name": month_label(i + 1), "hours": h} for i, h in enumerate(fig["by_month"])]
    story.append(p(_("Hours per month"), "h2"))
    story.append(_bars(months, "hours", font, width))
    section(_("Hours per course category"), [_("Course category"), _("Hours")],
            [[p(r["name"]), r["hours"]] for r in fig["by_course_category"]], [width * 0.7, width * 0.3])
    section(
        _("Hours per teacher category"), [_("Teacher category"), _("Teachers"), _("Hours"), _("Hours per teacher")],
        [[p(r["name"]), r["teachers"], r["hours"], r["average"]] for r in fig["by_teacher_category"]],
        [width * 0.4, width * 0.2, width * 0.2, width * 0.2],
    )
    section(
        _("Compliance with each requirement"),
        [_("Requirement"), _("Applies to"), _("Complete"), _("On track"), _("Behind"), _("Complete (%)")],
        [[p(r["name"]), r["applies"], r["complete"], r["on_track"], r["behind"], r["percent"]] for r in fig["rules"]],
        [width * 0.35] + [width * 0.13] * 5,
    )
    story.append(p(_("Learner satisfaction"), "h2"))
    if data["satisfaction"]:
        story.append(_table([[_("Kind"), _("Name"), _("Responses"), _("Average rating")],
                             *[[a, p(b), c, d] for a, b, c, d in satisfaction_rows(data)]],
                            [width * 0.15, width * 0.55, width * 0.15, width * 0.15], font))
    else:
        story.append(p(_("No evaluation data yet."), "body"))
    names = school_names(data)
    section(
        _("Outstanding learners"), [_("School"), _("Staff number"), _("Name"), _("Hours")],
        [[p(names.get(r["school_id"], "")), p(r["staff_number"]), p(r["name"]), r["hours"]]
         for r in data["outstanding"][:PDF_LIST_LIMIT]],
        [width * 0.35, width * 0.2, width * 0.3, width * 0.15],
    )
    section(
        _("Requirement not met (appraisal list)"), [_("School"), _("Staff number"), _("Name"), _("Not met")],
        [[p(names.get(r["school_id"], "")), p(r["staff_number"]), p(r["name"]), p(rules_text(r))]
         for r in data["not_met"][:PDF_LIST_LIMIT]],
        [width * 0.25, width * 0.15, width * 0.2, width * 0.4],
    )
    if len(data["not_met"]) > PDF_LIST_LIMIT:
        story.append(p(_("%(shown)s of %(total)s shown; the Excel file and the appraisal export list all.") % {
            "shown": PDF_LIST_LIMIT, "total": len(data["not_met"])}, "small"))
    story.append(p(_("Computed at %(time)s from the credit ledger.") % {"time": data["computed_at"][:16]}, "small"))
    doc.build(story)
    return buffer.getvalue()


# --- Excel and CSV -------------------------------------------------------------------------------


def _text_row(values) -> list:
    return [v if isinstance(v, int | float) and not isinstance(v, bool) else neutralise(v) for v in values]


def appraisal_header() -> list[str]:
    return [_("School"), _("Staff number"), _("Name"), _("Hours this year"), _("Requirement not met")]


def appraisal_rows(data: dict):
    names = school_names(data)
    for row in data["not_met"]:
        yield _text_row([names.get(row["school_id"], ""), row["staff_number"], row["name"], row["hours"],
                         rules_text(row)])


def render_xlsx(data: dict) -> bytes:
    out = io.BytesIO()
    book = Workbook(out)
    fig = data["figures"]
    sheet = book.add_sheet(_("Overview"))
    sheet.append(_text_row([title(data)]))
    sheet.append(_text_row([as_of_text(data)]))
    sheet.extend(_text_row(row) for row in overview_rows(data))
    if data["school_figures"]:
        sheet = book.add_sheet(_("Schools"))
        sheet.append(_text_row([_("School"), _("Teachers"), _("Teachers with hours this year"),
                                _("Participation (%)"), _("Hours in total"), _("Hours per teacher"),
                                _("Completion rate (%)"), _("Pass rate (%)"), _("Requirement not met"),
                                _("At risk"), _("Outstanding learners")]))
        sheet.extend(_text_row([s["name"], s["teachers"], s["participants"], s["participation_percent"], s["hours"],
                                s["hours_per_teacher"], s["completion_percent"], s["pass_percent"], s["not_met"],
                                s["at_risk"], s["outstanding"]]) for s in data["school_figures"])
    sheet = book.add_sheet(_("Hours per month"))
    sheet.append(_text_row([_("Month"), _("Hours")]))
    sheet.extend(_text_row([month_label(i + 1), h]) for i, h in enumerate(fig["by_month"]))
    sheet = book.add_sheet(_("Course categories"))
    sheet.append(_text_row([_("Course category"), _("Hours")]))
    sheet.extend(_text_row([r["name"], r["hours"]]) for r in fig["by_course_category"])
    sheet = book.add_sheet(_("Teacher categories"))
    sheet.append(_text_row([_("Teacher category"), _("Teachers"), _("Hours"), _("Hours per teacher")]))
    sheet.extend(_text_row([r["name"], r["teachers"], r["hours"], r["average"]]) for r in fig["by_teacher_category"])
    sheet = book.add_sheet(_("Requirements"))
    sheet.append(_text_row([_("Requirement"), _("Applies to"), _("Complete"), _("On track"), _("Behind"),
                            _("Complete (%)")]))
    sheet.extend(_text_row([r["name"], r["applies"], r["complete"], r["on_track"], r["behind"], r["percent"]])
                 for r in fig["rules"])
    sheet = book.add_sheet(_("Satisfaction"))
    sheet.append(_text_row([_("Kind"), _("Name"), _("Responses"), _("Average rating")]))
    rows = satisfaction_rows(data)
    if rows:
        sheet.extend(_text_row(row) for row in rows)
    else:
        sheet.append([_("No evaluation data yet.")])
    names = school_names(data)
    sheet = book.add_sheet(_("Outstanding learners"))
    sheet.append(_text_row([_("School"), _("Staff number"), _("Name"), _("Hours"), _("Average grade")]))
    sheet.extend(_text_row([names.get(r["school_id"], ""), r["staff_number"], r["name"], r["hours"],
                            "" if r["grade"] is None else r["grade"]]) for r in data["outstanding"])
    sheet = book.add_sheet(_("Appraisal list"))
    sheet.append(_text_row(appraisal_header()))
    sheet.extend(appraisal_rows(data))
    sheet = book.add_sheet(_("At risk"))
    sheet.append(_text_row([_("School"), _("Staff number"), _("Name"), _("Hours this year"), _("Behind on")]))
    sheet.extend(_text_row([names.get(r["school_id"], ""), r["staff_number"], r["name"], r["hours"], rules_text(r)])
                 for r in data["at_risk"])
    book.close()
    return out.getvalue()


def render_appraisal_csv(data: dict) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV with a byte-order mark as Chinese text
    writer = csv.writer(out)
    writer.writerow(appraisal_header())
    writer.writerows(appraisal_rows(data))
    return out.getvalue().encode("utf-8")


def render_appraisal_xlsx(data: dict) -> bytes:
    out = io.BytesIO()
    book = Workbook(out)
    sheet = book.add_sheet(_("Appraisal list"))
    sheet.append(_text_row([title(data)]))
    sheet.append(_text_row([as_of_text(data)]))
    sheet.append(_text_row(appraisal_header()))
    sheet.extend(appraisal_rows(data))
    book.close()
    return out.getvalue()


REPORT_FORMATS = {
    "pdf": lambda data: ("application/pdf", render_pdf(data)),
    "xlsx": lambda data: (XLSX, render_xlsx(data)),
}
APPRAISAL_FORMATS = {
    "csv": lambda data: ("text/csv; charset=utf-8", render_appraisal_csv(data)),
    "xlsx": lambda data: (XLSX, render_appraisal_xlsx(data)),
}
