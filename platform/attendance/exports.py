"""The printable sign-in sheet (签到表) of a session, and a course's attendance as CSV and Excel."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shixun.accounts.people import profile_of
from shixun.config.pdf_fonts import cjk_font
from shixun.spreadsheets.formulas import neutralise
from shixun.spreadsheets.xlsx_stream import Workbook

from . import rules
from .models import Attendance, AttendanceStatus, LeaveRequest, LeaveStatus, Session
from .services import _standing, enrolled_learners


def _esc(text) -> str:
    return str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sign_in_sheet_pdf(session: Session, learners) -> bytes:
    """One A4 table: number, name, staff number, school, and empty signature (and sign-out) columns."""
    font = cjk_font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    place = session.venue or session.meeting_link or ""
    story = [
        Paragraph(_esc(_("Sign-in sheet")) + " · " + _esc(session.course.title), title),
        Paragraph(_esc(f"{session.title} · {session.date:%Y-%m-%d} {session.starts_at:%H:%M}–{session.ends_at:%H:%M}"
                       + (f" · {place}" if place else "")), body),
        Paragraph(_esc(_("Entries from this sheet are recorded as paper attendance.")), body),
        Spacer(1, 4 * mm),
    ]
    header = ["#", _("Name"), _("Staff number"), _("School"), _("Signature")]
    if session.takes_sign_out:
        header.append(_("Sign-out signature"))
    data = [header]
    for n, learner in enumerate(learners, 1):
        profile = profile_of(learner)
        row = [str(n), profile.display_name, profile.staff_number or "", profile.school.name if profile.school else "",
               ""]
        if session.takes_sign_out:
            row.append("")
        data.append(row)
    widths = [10 * mm, 35 * mm, 28 * mm, 50 * mm, 45 * mm] if not session.takes_sign_out else \
        [10 * mm, 30 * mm, 25 * mm, 40 * mm, 35 * mm, 35 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white]),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 9),
        ("TOPPADDING", (0, 1), (-1, -1), 9),
    ]))
    story.append(table)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=_("Sign-in sheet")).build(story)
    return out.getvalue()


def course_rows(course):
    """Header, then one row per enrolled teacher and session (every cell neutralised for spreadsheets)."""
    now = timezone.now()
    sessions = list(Session.objects.filter(course=course))
    learners = list(enrolled_learners(course.pk))
    marks = {(a.session_id, a.learner_id): a for a in Attendance.objects.filter(session__in=sessions)}
    leaves = {(lr.session_id, lr.learner_id): lr for lr in
              LeaveRequest.objects.filter(session__in=sessions, status=LeaveStatus.APPROVED)}
    labels = dict(AttendanceStatus.choices)
    yield [_("Name"), _("Staff number"), _("School"), _("Session"), _("Date"), _("Attendance"), _("Source"),
           _("Signed in at"), _("Signed out at"), _("Unexcused absence")]
    for session in sessions:
        ended = rules.has_ended(session, now)
        for learner in learners:
            profile = profile_of(learner)
            attendance = marks.get((session.pk, learner.pk))
            standing = _standing(session, attendance, leaves.get((session.pk, learner.pk)), ended)
            yield [neutralise(v) for v in (
                profile.display_name, profile.staff_number, profile.school.name if profile.school else "",
                session.title, f"{session.date:%Y-%m-%d}",
                labels.get(standing.status, "") if standing.status else "",
                attendance.get_source_display() if attendance else "",
                _clock(attendance.signed_in_at if attendance else None),
                _clock(attendance.signed_out_at if attendance else None),
                _("yes") if standing.unexcused else "",
            )]


def _clock(moment) -> str:
    return f"{timezone.localtime(moment):%H:%M}" if moment else ""


def course_csv(course) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV as Chinese only with the byte-order mark
    writer = csv.writer(out)
    for row in course_rows(course):
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def course_xlsx(course) -> bytes:
    out = io.BytesIO()
    book = Workbook(out)
    sheet = book.add_sheet(_("Attendance"))
    sheet.extend(course_rows(course))
    book.close()
    return out.getvalue()
