"""PDF rendering of transcripts and certificates, with an embedded Chinese font (shixun.config.pdf_fonts)."""

import io
import logging
from decimal import Decimal

import segno
from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shixun.accounts.people import profile_of

# The CJK font helper lives in config (attendance's sign-in sheet uses it too); re-exported here.
from shixun.config.pdf_fonts import FALLBACK_CID_FONT, FONT_CANDIDATES, FONT_NAME, cjk_font  # noqa: F401

logger = logging.getLogger(__name__)


def _styles():
    font = cjk_font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=14),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=11, textColor=colors.grey),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9, leading=12),
        "centre_title": ParagraphStyle(
            "centre_title", fontName=font, fontSize=30, leading=40, alignment=TA_CENTER, spaceAfter=12
        ),
        "centre": ParagraphStyle("centre", fontName=font, fontSize=14, leading=24, alignment=TA_CENTER),
    }


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def hours_text(hours: Decimal) -> str:
    return _("%(hours)s h") % {"hours": formats.number_format(hours, 1)}


def _table(rows, widths, font):
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d1dc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (-1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def render_transcript(transcript) -> bytes:
    """The learner's transcript (a transcripts.views.Transcript) as PDF bytes."""
    styles = _styles()
    font = cjk_font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("Credit-hour transcript"),
        author=_("Shixun"),
    )
    learner = transcript.learner
    story = [
        Paragraph(_esc(_("Credit-hour transcript")), styles["title"]),
        Paragraph(
            _esc(
                _("%(name)s · %(school)s · as of %(date)s")
                % {
                    "name": profile_of(learner).display_name,
                    "school": profile_of(learner).school or profile_of(learner).district or "",
                    "date": formats.date_format(transcript.on_date, "Y-m-d"),
                }
            ),
            styles["body"],
        ),
        Spacer(1, 4 * mm),
    ]
    if transcript.progress:
        story.append(Paragraph(_esc(_("Requirements")), styles["h2"]))
        rows = [[_("Requirement"), _("Period"), _("Earned"), _("Required"), _("Status")]]
        for p in transcript.progress:
            rows.append(
                [
                    Paragraph(_esc(p.rule.name), styles["cell"]),
                    f"{p.period.start:%Y-%m-%d} – {p.period.last_day:%Y-%m-%d}",
                    hours_text(p.earned),
                    hours_text(p.rule.minimum_hours),
                    str(transcript.status_label(p.status)),
                ]
            )
        story.append(_table(rows, [55 * mm, 45 * mm, 24 * mm, 24 * mm, 30 * mm], font))
    for year in transcript.years:
        story.append(
            Paragraph(
                _esc(_("%(year)s: %(hours)s") % {"year": year.year, "hours": hours_text(year.total)}), styles["h2"]
            )
        )
        rows = [[_("Date"), _("What"), _("Category"), _("Source"), _("Hours"), _("Study time")]]
        for entry in year.entries:
            what = entry.title
            if entry.is_reversal:
                what = _("Reversal of: %(title)s (%(reason)s)") % {"title": entry.title, "reason": entry.reason}
            rows.append(
                [
                    f"{entry.earned_on:%Y-%m-%d}",
                    Paragraph(_esc(what), styles["cell"]),
                    Paragraph(_esc(entry.category.name if entry.category else "—"), styles["cell"]),
                    Paragraph(_esc(entry.get_source_kind_display()), styles["cell"]),
                    formats.number_format(entry.hours, 1),
                    # Beside the hours, the study they stand for (attach_study_time; "—" where none was measured).
                    getattr(entry, "study_time", "") or "—",
                ]
            )
        story.append(_table(rows, [22 * mm, 64 * mm, 28 * mm, 28 * mm, 18 * mm, 18 * mm], font))
    if not transcript.years:
        story.append(Paragraph(_esc(_("No credit hours recorded yet.")), styles["body"]))
    story += [
        Spacer(1, 6 * mm),
        Paragraph(_esc(_("Total: %(hours)s") % {"hours": hours_text(transcript.total)}), styles["h2"]),
    ]
    if transcript.pending:
        from .transcript import pending_explanation

        # After the total and apart from it: pending hours are not on the ledger yet.
        story.append(Paragraph(_esc(_("Pending assessment (待考核): not included in the total")), styles["h2"]))
        rows = [[_("Course"), _("Pending hours"), _("Study time"), _("When they are credited")]]
        for pending in transcript.pending:
            rows.append(
                [
                    Paragraph(_esc(pending.title), styles["cell"]),
                    formats.number_format(pending.hours, 1),
                    "",
                    Paragraph(_esc(pending_explanation(pending)), styles["cell"]),
                ]
            )
            # Under the course, its completed modules: the hours each adds to the course's, and the study
            # they stand for ("—" where none was measured), as the year tables show beside posted entries.
            for module in transcript.modules_of(pending):
                rows.append(
                    [
                        Paragraph(_esc(f"· {module.title}"), styles["cell"]),
                        formats.number_format(module.hours, 1),
                        module.study_time or "—",
                        "",
                    ]
                )
        story.append(_table(rows, [56 * mm, 22 * mm, 18 * mm, 82 * mm], font))
    story += [
        Paragraph(_esc(_("Generated by Shixun from the credit ledger.")), styles["small"]),
    ]
    doc.build(story)
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def certificate_title(kind: str) -> str:
    return _("Certificate of completion") if kind == "completion" else _("Certificate of credit hours")


def render_certificate(certificate, verify_url: str) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=20 * mm,
        bottomMargin=15 * mm,
        title=certificate_title(certificate.kind),
        author=certificate.issuer,
    )
    if certificate.course_id is None and certificate.source_kind:
        # Not a course (a shadowing programme): the title names the training.
        template = _("%(name)s completed “%(course)s” on %(date)s and earned %(hours)s of continuing education.")
    else:
        template = _(
            "%(name)s completed the course “%(course)s” on %(date)s and earned %(hours)s of continuing education."
        )
    statement = template % {
        "name": certificate.learner_name,
        "course": certificate.course_title,
        "date": f"{certificate.completed_on:%Y-%m-%d}",
        "hours": hours_text(certificate.hours),
    }
    story = [
        Spacer(1, 8 * mm),
        Paragraph(_esc(certificate_title(certificate.kind)), styles["centre_title"]),
        Paragraph(_esc(statement), styles["centre"]),
    ]
    if certificate.score is not None:
        story.append(Paragraph(_esc(_("Grade: %(score)s") % {"score": certificate.score}), styles["centre"]))
    if not certificate.is_valid:
        story.append(Paragraph(_esc(_("REVOKED")), styles["centre_title"]))
    story += [
        Spacer(1, 10 * mm),
        Paragraph(
            _esc(
                _("%(issuer)s · issued %(date)s")
                % {"issuer": certificate.issuer, "date": f"{certificate.issued_on:%Y-%m-%d}"}
            ),
            styles["centre"],
        ),
        Spacer(1, 6 * mm),
        Image(io.BytesIO(qr_png(verify_url)), width=32 * mm, height=32 * mm),
        Paragraph(_esc(_("Verification code: %(code)s") % {"code": certificate.code}), styles["centre"]),
        Paragraph(_esc(verify_url), styles["small"]),
    ]
    doc.build(story)
    return buffer.getvalue()
