"""All the transcripts of a school or a district for a period: CSV, Excel, or a zip of PDFs.

The writers stream: teachers and ledger entries are read with iterator() in
chunks and merged in one pass (both ordered the same way), rows go straight
to the output file, so memory stays flat however many teachers there are.

Every text cell that a spreadsheet would read as a formula (=, +, -, @, tab,
carriage return at the start) is neutralised with transcripts' rule; hours
are written as numbers (a reversal's negative hours must stay a number).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import District, School

from .dashboard import teachers_of

CHUNK = 500
FORMATS = ("csv", "xlsx", "pdf-zip")
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "pdf-zip": "zip"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf-zip": "application/zip",
}

Progress = Callable[[int, int], None]


def neutralise(value) -> str:
    """transcripts' rule (one rule for every export), looked up once rather than imported per cell."""
    global _neutralise
    if _neutralise is None:
        from transcripts.transcript import neutralise as transcripts_neutralise

        _neutralise = transcripts_neutralise
    return _neutralise(value)


_neutralise = None


@dataclass(frozen=True)
class Scope:
    """A school, or a whole district (school is None)."""

    district: District
    school: School | None = None

    @property
    def code(self) -> str:
        return self.school.code if self.school else self.district.code

    @property
    def name(self) -> str:
        return self.school.name if self.school else self.district.name

    def people_filter(self, prefix: str = "") -> Q:
        if self.school is not None:
            return Q(**{f"{prefix}school": self.school})
        return Q(**{f"{prefix}school__district": self.district})

    def teachers(self):
        return (
            teachers_of(self.people_filter())
            .select_related("school")
            .order_by("school__name", "school_id", "full_name", "pk")
        )


def _entries(scope: Scope, start: date, end: date):
    """Ledger entries of the scope's teachers on [start, end], in the teachers' order."""
    from transcripts.models import LedgerEntry

    return (
        LedgerEntry.objects.filter(
            learner__in=scope.teachers().values("pk"), earned_on__gte=start, earned_on__lte=end
        )
        .select_related("category")
        .order_by("learner__school__name", "learner__school_id", "learner__full_name", "learner_id", "earned_on", "pk")
    )


def teachers_with_entries(scope: Scope, start: date, end: date) -> Iterator[tuple[object, list]]:
    """(teacher, their entries in the period), every teacher, including those with none: one pass, two cursors."""
    entries = _entries(scope, start, end).iterator(chunk_size=CHUNK)
    pending = next(entries, None)
    for teacher in scope.teachers().iterator(chunk_size=CHUNK):
        mine = []
        while pending is not None and pending.learner_id == teacher.pk:
            mine.append(pending)
            pending = next(entries, None)
        yield teacher, mine


def count_teachers(scope: Scope) -> int:
    return scope.teachers().count()


def _entry_headers():
    return [
        _("School"), _("Staff number"), _("Name"), _("Date"), _("What"), _("Category"), _("Source"), _("Hours"),
        _("Reason"),
    ]


def _source_labels() -> dict[str, str]:
    # get_source_kind_display() hashes lazy labels on every call: a third of
    # the export's time. Translate each label once per file instead.
    from transcripts.models import SourceKind

    return {value: cell(str(label)) for value, label in SourceKind.choices}


# Read as plain tuples: building model instances was 40% of a large export.
TEACHER_COLUMNS = ("pk", "school_id", "school__name", "staff_number", "full_name", "username")
ENTRY_COLUMNS = ("learner_id", "earned_on", "title", "category__name", "source_kind", "hours", "reason")
FORMULA_STARTS = None


def cell(value) -> str:
    """neutralise() for a text cell, checking only the first character (the common case touches nothing)."""
    global FORMULA_STARTS
    if FORMULA_STARTS is None:
        from transcripts.transcript import FORMULA_PREFIXES

        FORMULA_STARTS = frozenset(FORMULA_PREFIXES)
    if not value:
        return ""
    return "'" + value if value[0] in FORMULA_STARTS else value


def _teacher_batches(scope: Scope, size: int = CHUNK) -> Iterator[tuple]:
    """The scope's teachers in export order, `size` at a time, by keyset (no cursor, no id list).

    Each batch is read by a short query that starts after the last teacher of
    the previous one, so the first row is out at once on every database and
    nothing holds a cursor or a transaction open for the whole export.
    """
    teachers = scope.teachers()
    after = Q()
    while True:
        batch = teachers.filter(after)[:size]
        rows = list(batch.values_list(*TEACHER_COLUMNS))
        if not rows:
            return
        yield batch, rows
        if len(rows) < size:
            return
        pk, school_id, school, _staff, name, _username = rows[-1]
        after = _after(school, school_id, name, pk)


def _after(school_name, school_id, full_name, pk) -> Q:
    """Teachers after this one in (school name, school, name, pk) order."""
    return (
        Q(school__name__gt=school_name)
        | Q(school__name=school_name, school_id__gt=school_id)
        | Q(school__name=school_name, school_id=school_id, full_name__gt=full_name)
        | Q(school__name=school_name, school_id=school_id, full_name=full_name, pk__gt=pk)
    )


def entry_rows(scope: Scope, start: date, end: date) -> Iterator[tuple[tuple, list[tuple]]]:
    """(teacher tuple, its entry tuples in the period): every teacher, including those with none."""
    from transcripts.models import LedgerEntry

    for batch, teachers in _teacher_batches(scope):
        mine: dict[int, list[tuple]] = {}
        entries = (
            LedgerEntry.objects.filter(learner__in=batch.values("pk"), earned_on__gte=start, earned_on__lte=end)
            .order_by("learner_id", "earned_on", "pk")
            .values_list(*ENTRY_COLUMNS)
        )
        for entry in entries:
            mine.setdefault(entry[0], []).append(entry)
        for teacher in teachers:
            yield teacher, mine.get(teacher[0], [])


def _entry_cells(teacher, entry, labels) -> list:
    _pk, _school_id, school, staff_number, full_name, username = teacher
    person = [cell(school), cell(staff_number), cell(full_name or username)]
    if entry is None:
        return [*person, "", "", "", "", Decimal("0"), ""]
    _learner, earned_on, title, category, source_kind, hours, reason = entry
    return [*person, earned_on.isoformat(), cell(title), cell(category), labels.get(source_kind, cell(source_kind)),
            hours, cell(reason)]


def write_csv(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """UTF-8 with BOM (so Excel shows the Chinese); one row per entry, a zero row for a teacher with none."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(_entry_headers())
    total = count_teachers(scope) if progress else 0
    done = 0
    labels = _source_labels()
    for teacher, entries in entry_rows(scope, start, end):
        writer.writerows(_entry_cells(teacher, entry, labels) for entry in entries or [None])
        done += 1
        if progress and done % 50 == 0:
            progress(done, total)
    text.flush()
    text.detach()
    if progress:
        progress(done, total)
    return done


def write_xlsx(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """A summary sheet (one row per teacher) and an entries sheet, with openpyxl's write-only mode."""
    from openpyxl import Workbook

    from transcripts.models import LedgerEntry

    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(_("Summary"))
    summary.append([neutralise(_("%(name)s: credit hours %(start)s – %(end)s") % {
        "name": scope.name, "start": start.isoformat(), "end": end.isoformat()})])
    summary.append([_("School"), _("Staff number"), _("Name"), _("Teacher categories"), _("Hours"), _("Entries")])
    # One grouped query for the totals (a few numbers per teacher), then the
    # teachers streamed in order.
    totals = {
        learner_id: (hours, n)
        for learner_id, hours, n in LedgerEntry.objects.filter(
            learner__in=scope.teachers().values("pk"), earned_on__gte=start, earned_on__lte=end
        )
        .values_list("learner_id")
        .annotate(hours=Sum("hours"), n=Count("pk"))
        .order_by()
    }
    total = count_teachers(scope) if progress else 0
    through = scope.teachers().model.categories.through
    categories: dict[int, list[str]] = {}
    for user_id, name in through.objects.filter(user__in=scope.teachers().values("pk")).values_list(
        "user_id", "teachercategory__name"
    ):
        categories.setdefault(user_id, []).append(name)
    for _batch, teachers in _teacher_batches(scope):
        for pk, _school_id, school, staff_number, full_name, username in teachers:
            hours, count = totals.get(pk, (Decimal("0"), 0))
            summary.append(
                [
                    cell(school), cell(staff_number), cell(full_name or username),
                    cell("、".join(categories.get(pk, []))), float(hours), count,
                ]
            )
    sheet = workbook.create_sheet(_("Entries"))
    sheet.append(_entry_headers())
    done = 0
    labels = _source_labels()
    for teacher, entries in entry_rows(scope, start, end):
        for entry in entries:
            cells = _entry_cells(teacher, entry, labels)
            cells[7] = float(cells[7])
            sheet.append(cells)
        done += 1
        if progress and done % 50 == 0:
            progress(done, total)
    workbook.save(out)
    if progress:
        progress(done, total)
    return done


def write_pdf_zip(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """One transcript PDF per teacher (transcripts' renderer), limited to the period's entries."""
    from transcripts.pdf import render_transcript
    from transcripts.services import requirement_progress_bulk
    from transcripts.transcript import Transcript

    total = count_teachers(scope) if progress else 0
    done = 0
    on_date = min(end, timezone.localdate())
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        batch: list = []

        def flush():
            nonlocal done
            standing = requirement_progress_bulk([t for t, _e in batch], on_date)
            for teacher, entries in batch:
                transcript = Transcript(teacher, on_date, entries, standing[teacher.pk], [])
                folder = f"{teacher.school.code}/" if scope.school is None and teacher.school_id else ""
                archive.writestr(f"{folder}{pdf_name(teacher)}", render_transcript(transcript))
                done += 1
            batch.clear()
            if progress:
                progress(done, total)

        for teacher, entries in teachers_with_entries(scope, start, end):
            batch.append((teacher, entries))
            if len(batch) >= 50:
                flush()
        flush()
    return done


def pdf_name(teacher) -> str:
    label = teacher.staff_number or f"id{teacher.pk}"
    safe_name = "".join(ch for ch in teacher.display_name if ch.isalnum())[:20]
    return f"{label}-{safe_name}.pdf"


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "pdf-zip": write_pdf_zip}


def export(scope: Scope, start: date, end: date, fmt: str, out, progress: Progress | None = None) -> int:
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}")
    if end < start:
        raise ValueError("end before start")
    return WRITERS[fmt](scope, start, end, out, progress)


def file_name(scope: Scope, start: date, end: date, fmt: str) -> str:
    return f"transcripts-{scope.code}-{start:%Y%m%d}-{end:%Y%m%d}.{EXTENSIONS[fmt]}"
