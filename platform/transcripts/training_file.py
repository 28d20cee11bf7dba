"""The teacher's training file (教师培训档案): one PDF dossier for licence re-registration, from the ledger.

Identity and school history (accounts.SchoolHistory), every requirement period with
its totals, every ledger entry with its source (a reversal shows as one),
certificates with their verification codes, appraisals other apps provide,
and signature and stamp areas for the school and the district. Each file
produced gets a TrainingFile row: its verification code (printed with a QR
code, like certificates) vouches for when it was produced, the totals it
stated and the PDF's SHA-256.

Other apps add sections (the shadowing programme's appraisals, …) without
transcripts importing them: a Wagtail hook returns a provider

    @hooks.register(TRAINING_FILE_SECTION_HOOK)
    def shadowing_sections():
        return lambda learner: [Section(title=…, headers=[…], rows=[[…], …])]

called with the learner; it returns the sections it has for them (or none).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shixun.accounts.models import SchoolHistory
from shixun.accounts.people import profile_of

from . import requirements as req
from .models import Certificate, LedgerEntry, TrainingFile
from .pdf import _esc, _styles, _table, cjk_font, hours_text, qr_png
from .services import rules_for_district

TRAINING_FILE_SECTION_HOOK = "register_shixun_training_file_section"
MAX_PERIODS_PER_RULE = 20  # a rule's periods listed, most recent last (a career fits; a typo in a year does not loop)


@dataclass(frozen=True)
class Section:
    """A block of the file given by another app: a title, a table, an optional note. Text only (escaped)."""

    title: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


def section_providers() -> list[Callable[[object], Iterable[Section]]]:
    from wagtail import hooks

    return [declare() for declare in hooks.get_hooks(TRAINING_FILE_SECTION_HOOK)]


@dataclass
class SchoolSpan:
    """A stay at a school as the school history records it; no `first` when it began before the record."""

    name: str
    first: date | None
    last: date | None
    current: bool = False


@dataclass
class TrainingFileData:
    learner: object
    produced_at: datetime
    entries: list
    certificates: list
    periods: list  # (rule name, [req.Progress …])
    schools: list[SchoolSpan]
    sections: list[Section]

    @property
    def total(self) -> Decimal:
        return sum((e.hours for e in self.entries), Decimal("0"))


def _periods(rule: req.Rule, credits: list[req.Credit], start: date, today: date, start_date) -> list[req.Progress]:
    found = []
    day = start
    while day <= today and len(found) < MAX_PERIODS_PER_RULE:
        period = req.period_for(rule, day, start_date=start_date)
        if period is None:
            break
        on_date = min(period.last_day, today)
        progress = req.progress(rule, credits, on_date, start_date=start_date)
        if progress is not None and progress.period not in [p.period for p in found]:
            found.append(progress)
        if rule.period_kind == req.FIRST_YEAR:
            break
        day = period.end
    return found


def gather(learner, *, now: datetime | None = None) -> TrainingFileData:
    """Everything the file states, read from the ledger, the profile and its school history. Six queries plus the
    providers'."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    profile = profile_of(learner)
    entries = list(
        LedgerEntry.objects.filter(learner_id=learner.pk)
        .select_related("category", "school", "reverses", "posted_by__shixun_profile")
        .order_by("earned_on", "pk")
    )
    certificates = list(Certificate.objects.filter(learner_id=learner.pk).order_by("issued_on", "pk"))
    credits = [req.Credit(e.earned_on, e.hours, e.category_id) for e in entries]
    category_ids = set(profile.categories.values_list("pk", flat=True)) if profile.pk else set()
    first_day = min([e.earned_on for e in entries] + ([profile.start_date] if profile.start_date else []) + [today])
    periods = []
    if profile.district_id:
        for rule in rules_for_district(profile.district_id):
            if rule.applies_to(category_ids):
                periods.append((rule.name, _periods(rule, credits, first_day, today, profile.start_date)))
    # The schools from the record kept when a teacher's school changes (not from the entries' schools: an
    # entry's school says where the hours were posted, not when the teacher moved).
    schools = [
        SchoolSpan(stay.school.name, stay.since, stay.until, current=stay.until is None)
        for stay in SchoolHistory.objects.filter(profile__user_id=learner.pk).select_related("school")
    ]
    if not schools and profile.school_id:  # a profile written in bulk, never saved through Profile.save
        schools = [SchoolSpan(profile.school.name, None, None, current=True)]
    sections = []
    for provider in section_providers():
        sections.extend(provider(learner) or [])
    return TrainingFileData(learner, now, entries, certificates, periods, schools, sections)


def verify_url(record: TrainingFile) -> str:
    base = getattr(django_settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + reverse("transcripts:verify_file", args=[record.code])


def produce(learner, *, produced_by=None) -> tuple[bytes, TrainingFile]:
    """Render the learner's file and record it (code, totals, checksum). Returns (PDF bytes, record)."""
    data = gather(learner)
    with transaction.atomic():
        record = TrainingFile.objects.create(
            learner=learner, produced_at=data.produced_at, produced_by=produced_by,
            total_hours=data.total, entry_count=len(data.entries),
        )
        body = render(data, record)
        record.sha256 = hashlib.sha256(body).hexdigest()
        TrainingFile.objects.filter(pk=record.pk).update(sha256=record.sha256)
    return body, record


def _source_text(entry) -> str:
    source = entry.get_source_kind_display()
    if entry.reverses_id:
        return _("%(source)s of entry no. %(number)s") % {"source": source, "number": entry.reverses_id}
    return f"{source} · {entry.source_ref}" if entry.source_ref else source


def _what_text(entry) -> str:
    if entry.reverses_id:
        return _("Reversal of: %(title)s (%(reason)s)") % {"title": entry.title, "reason": entry.reason}
    if entry.reason:
        return f"{entry.title} ({entry.reason})"
    return entry.title


def _cell(text: str, style, width: float):
    """A table cell: plain text when it fits the column on one line (a Paragraph per cell was most of a long
    file's time), else a wrapping Paragraph. Both show the text as it is; only a Paragraph needs escaping."""
    if "\n" not in text and stringWidth(text, style.fontName, style.fontSize) <= width - 6 * mm:
        return text
    return Paragraph(_esc(text), style)


def _signature_block(styles, font):
    rows = [
        [_("School (stamp)"), _("District training office (stamp)")],
        [Paragraph(_esc(_("Checked by (signature):")), styles["cell"]),
         Paragraph(_esc(_("Checked by (signature):")), styles["cell"])],
        [Paragraph(_esc(_("Date:")), styles["cell"]), Paragraph(_esc(_("Date:")), styles["cell"])],
    ]
    table = Table(rows, colWidths=[89 * mm, 89 * mm], rowHeights=[8 * mm, 30 * mm, 10 * mm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, "#555555"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def render(data: TrainingFileData, record: TrainingFile) -> bytes:
    styles = _styles()
    font = cjk_font()
    learner = data.learner
    profile = profile_of(learner)
    buffer = io.BytesIO()
    title = _("Teacher training file")
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=title, author=str(profile.district or _("Shixun")),
    )
    produced = timezone.localtime(data.produced_at)
    story = [
        Paragraph(_esc(title), styles["title"]),
        Paragraph(_esc(_("Produced %(when)s from the credit ledger · verification code %(code)s") % {
            "when": f"{produced:%Y-%m-%d %H:%M}", "code": record.code}), styles["body"]),
        Spacer(1, 3 * mm),
        Paragraph(_esc(_("Identity")), styles["h2"]),
    ]
    categories = ", ".join(profile.categories.values_list("name", flat=True)) if profile.pk else ""
    subjects = ", ".join(profile.subjects.values_list("name", flat=True)) if profile.pk else ""
    identity = [
        [_("Name"), Paragraph(_esc(profile.display_name), styles["cell"])],
        [_("Staff number"), Paragraph(_esc(profile.staff_number or "—"), styles["cell"])],
        [_("District"), Paragraph(_esc(profile.district.name if profile.district_id else "—"), styles["cell"])],
        [_("School"), Paragraph(_esc(profile.school.name if profile.school_id else "—"), styles["cell"])],
        [_("Teacher categories"), Paragraph(_esc(categories or "—"), styles["cell"])],
        [_("Subjects"), Paragraph(_esc(subjects or "—"), styles["cell"])],
        [_("Start date"), f"{profile.start_date:%Y-%m-%d}" if profile.start_date else "—"],
    ]
    story.append(_table(identity, [40 * mm, 138 * mm], font))

    story.append(Paragraph(_esc(_("Schools")), styles["h2"]))
    if data.schools:
        rows = [[_("School"), _("From"), _("Until"), ""]]
        for span in data.schools:
            rows.append([
                Paragraph(_esc(span.name), styles["cell"]),
                f"{span.first:%Y-%m-%d}" if span.first else "—",
                f"{span.last:%Y-%m-%d}" if span.last else "—",
                _("current") if span.current else "",
            ])
        story.append(_table(rows, [90 * mm, 30 * mm, 30 * mm, 28 * mm], font))
    else:
        story.append(Paragraph(_esc(_("No school recorded.")), styles["body"]))

    story.append(Paragraph(_esc(_("Requirement periods")), styles["h2"]))
    period_rows = [[_("Requirement"), _("Period"), _("Earned"), _("Required"), _("Status")]]
    for rule_name, progresses in data.periods:
        for p in progresses:
            period_rows.append([
                Paragraph(_esc(rule_name), styles["cell"]),
                f"{p.period.start:%Y-%m-%d} – {p.period.last_day:%Y-%m-%d}",
                hours_text(p.earned),
                hours_text(p.rule.minimum_hours),
                str(_("Met") if p.status == req.COMPLETE else (
                    _("Not met") if p.period.end <= timezone.localdate(data.produced_at) else _("In progress"))),
            ])
    if len(period_rows) > 1:
        story.append(_table(period_rows, [55 * mm, 45 * mm, 24 * mm, 24 * mm, 30 * mm], font))
    else:
        story.append(Paragraph(_esc(_("No requirement applies.")), styles["body"]))

    story.append(Paragraph(_esc(_("Credit entries")), styles["h2"]))
    if data.entries:
        rows = [[_("No."), _("Date"), _("What"), _("Source"), _("Hours")]]
        for entry in data.entries:
            rows.append([
                str(entry.pk),
                f"{entry.earned_on:%Y-%m-%d}",
                _cell(_what_text(entry), styles["cell"], 80 * mm),
                _cell(_source_text(entry), styles["cell"], 42 * mm),
                formats.number_format(entry.hours, 1),
            ])
        story.append(_table(rows, [14 * mm, 22 * mm, 80 * mm, 42 * mm, 20 * mm], font))
    else:
        story.append(Paragraph(_esc(_("No credit hours recorded yet.")), styles["body"]))
    story.append(Paragraph(_esc(_("Total: %(hours)s") % {"hours": hours_text(data.total)}), styles["h2"]))

    story.append(Paragraph(_esc(_("Certificates")), styles["h2"]))
    if data.certificates:
        rows = [[_("Course"), _("Issued"), _("Hours"), _("Verification code")]]
        for certificate in data.certificates:
            state = "" if certificate.is_valid else f" ({_('REVOKED')})"
            rows.append([
                Paragraph(_esc(certificate.course_title + state), styles["cell"]),
                f"{certificate.issued_on:%Y-%m-%d}",
                formats.number_format(certificate.hours, 1),
                certificate.code,
            ])
        story.append(_table(rows, [90 * mm, 26 * mm, 20 * mm, 42 * mm], font))
    else:
        story.append(Paragraph(_esc(_("No certificates yet.")), styles["body"]))

    story.append(Paragraph(_esc(_("Appraisals (shadowing training and others)")), styles["h2"]))
    if data.sections:
        for section in data.sections:
            story.append(Paragraph(_esc(section.title), styles["body"]))
            if section.rows:
                width = 178 * mm / max(1, len(section.headers or section.rows[0]))
                rows = ([list(section.headers)] if section.headers else []) + [
                    [Paragraph(_esc(cell), styles["cell"]) for cell in row] for row in section.rows
                ]
                story.append(_table(rows, [width] * len(rows[0]), font))
            if section.note:
                story.append(Paragraph(_esc(section.note), styles["small"]))
    else:
        story.append(Paragraph(_esc(_("None recorded.")), styles["body"]))

    url = verify_url(record)
    story += [
        Spacer(1, 6 * mm),
        KeepTogether([
            _signature_block(styles, font),
            Spacer(1, 4 * mm),
            Image(io.BytesIO(qr_png(url)), width=26 * mm, height=26 * mm),
            Paragraph(_esc(_("Verification code: %(code)s") % {"code": record.code}), styles["body"]),
            Paragraph(_esc(url), styles["small"]),
        ]),
    ]
    doc.build(story)
    return buffer.getvalue()
