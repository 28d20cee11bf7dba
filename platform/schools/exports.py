"""All the transcripts of a school or a district for a period: CSV, Excel, or a zip of PDFs.

The writers stream: CSV and Excel rows are read 500 teachers at a time
(the teachers themselves by one streamed query in export order) and go
straight to the output file; PDFs are rendered in batches of teachers.
Memory stays flat however many teachers there are.

Every text cell that a spreadsheet would read as a formula is neutralised
with the one rule (spreadsheets.formulas); hours are written as numbers (a
reversal's negative hours must stay a number).

The formats are one table, FORMATS: adding a format is one register() call
(see "Adding an export format" in the README).
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby, islice
from operator import itemgetter

from django.db import connection
from django.db.models import Case, CharField, Count, F, FilteredRelation, Func, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, Left, NullIf
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shixun.accounts.models import District, Profile, School
from shixun.accounts.people import profile_of
from shixun.spreadsheets import formulas
from shixun.spreadsheets.formulas import neutralise
from shixun.transcripts.services import earned_in

from .dashboard import teachers_of

# Teacher data is on the profile beside the user (any AUTH_USER_MODEL).
P = "shixun_profile__"

CHUNK = 500

Progress = Callable[[int, int], None]
# An export's period includes its last day; transcripts' periods end before theirs.
ONE_DAY = timedelta(days=1)


class ExportTooLarge(ValueError):
    """The export cannot be written in this format (the message says what to do instead)."""


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
            return Q(**{f"{prefix}{P}school": self.school})
        return Q(**{f"{prefix}{P}school__district": self.district})

    def teachers(self):
        return (
            teachers_of(self.people_filter())
            .select_related("shixun_profile__school")
            .order_by(*TEACHER_ORDER)
        )


def _entries(teachers, start: date, end: date):
    """Ledger entries of these teachers on [start, end], in the teachers' order."""
    from shixun.transcripts.models import LedgerEntry

    return (
        LedgerEntry.objects.filter(earned_in(start, end + ONE_DAY), learner__in=teachers.values("pk"))
        .select_related("category", "module_completion")
        .order_by(
            "learner__shixun_profile__school__name",
            "learner__shixun_profile__school_id",
            "learner__shixun_profile__full_name",
            "learner_id",
            "earned_on",
            "pk",
        )
    )


def teachers_with_entries(scope: Scope, start: date, end: date, teachers=None) -> Iterator[tuple[object, list]]:
    """(teacher, their entries in the period), every teacher, including those with none: one pass, two cursors.

    `teachers` narrows the scope's teachers (e.g. one part of a large export).
    """
    teachers = scope.teachers() if teachers is None else teachers
    entries = _entries(teachers, start, end).iterator(chunk_size=CHUNK)
    pending = next(entries, None)
    for teacher in teachers.iterator(chunk_size=CHUNK):
        mine = []
        while pending is not None and pending.learner_id == teacher.pk:
            mine.append(pending)
            pending = next(entries, None)
        yield teacher, mine


def count_teachers(scope: Scope) -> int:
    return scope.teachers().count()


def _entry_headers(*, pending: bool = True):
    # Pending hours (待考核) have their own last column, as in a teacher's own
    # transcript CSV, so summing "Hours" still gives the earned total. The
    # Excel file has them on its summary sheet instead.
    headers = [
        _("School"), _("Staff number"), _("Name"), _("Date"), _("What"), _("Category"), _("Source"), _("Hours"),
        _("Study time (minutes)"), _("Reason"),
    ]
    return [*headers, _("Pending hours")] if pending else headers


def _pending_by_teacher(ids: list[int]) -> dict[int, list]:
    """The batch's hours waiting for a course to be passed (待考核): transcripts' one computation, one query."""
    from shixun.transcripts.services import pending_by_learner_ids

    return pending_by_learner_ids(ids)


def _pending_rows(first_row: tuple, pending: list) -> list[tuple]:
    """One CSV row per course with pending hours, after the teacher's entries (school, staff, name repeated)."""
    from shixun.transcripts.transcript import pending_explanation

    label = _("Pending assessment (待考核)")
    return [
        (*first_row[:3], "", neutralise(p.title), "", label, "", "", neutralise(pending_explanation(p)), p.hours)
        for p in pending
    ]


# Excel column widths (characters) of the two sheets, in the order of their headers.
SUMMARY_WIDTHS = (28, 12, 12, 24, 10, 12, 12)
ENTRY_WIDTHS = (28, 12, 12, 12, 40, 14, 14, 8, 10, 30)


def _source_labels() -> dict[str, str]:
    # get_source_kind_display() hashes lazy labels on every call: a third of
    # the export's time. Translate each label once per file instead.
    from shixun.transcripts.models import SourceKind

    return {value: neutralise(label) for value, label in SourceKind.choices}


# --- CSV and Excel: the cells are computed by the database ---------------------------------
#
# A district is ~20,000 teachers and ~500,000 entries. Building model
# instances and neutralising every cell in Python was most of the export's
# time (~7 µs per entry), so rows are tuples and each cell is computed once
# where it is cheapest: a teacher's cells (school, staff number, name falling
# back to the username) in SQL once per teacher, in the one streamed query of
# the teachers in export order; an entry's texts once per distinct text of a
# batch (titles repeat) and the source label once per file. Teachers are
# taken BATCH at a time and each batch's entries are one query on the ledger
# alone: the first rows are written at once and nothing is computed for the
# whole district up front. Measured on 20,000 teachers / 500,000 entries
# (PostgreSQL): one query for the whole district sorted all 500,000 rows
# before returning the first; a query per school scanned the whole ledger
# once per school; sorting a batch's rows by the teachers' names in SQL cost
# ~0.2 s a batch (collation-aware text comparisons), so rows come sorted by
# teacher id and are put in the teachers' order in Python (a dict of one
# batch); and joining the teachers' tables into the entries query to repeat
# their cells on every row, with a correlated study-time subquery per row,
# doubled the export (bench/ANALYSIS.md, 2026-12-06).

BATCH = 500
# The CSV writer encodes and writes its text once it holds this many characters.
FLUSH_CHARACTERS = 256 * 1024
# Profile.display_name in SQL: the full name, or the username when it is empty.
DISPLAY_NAME = Coalesce(NullIf(F(f"{P}full_name"), Value("")), F("username"))
TEACHER_ORDER = (f"{P}school__name", f"{P}school_id", f"{P}full_name", "pk")


def _neutralised(expression):
    """spreadsheets.formulas.neutralise() in SQL, built from the same characters.

    The first WHEN settles every text whose first character decides; only a
    text starting with whitespace is trimmed (LTRIM with a character list:
    PostgreSQL and SQLite) to look at the first character after it.
    """
    first = Left(expression, 1)
    after_space = Left(Func(expression, Value(formulas.LEADING_SPACE), function="LTRIM"), 1)
    guarded = Concat(Value(formulas.GUARD), expression)
    return Case(
        When(In(first, list(formulas.FORMULA_CHARACTERS + formulas.CONTROL_PREFIXES)), then=guarded),
        When(In(first, list(formulas.LEADING_SPACE)) & In(after_space, list(formulas.FORMULA_CHARACTERS)),
             then=guarded),
        default=expression,
        output_field=CharField(),
    )


def teacher_batches(scope: Scope, size: int | None = None) -> Iterator[tuple[list[int], object, list[tuple]]]:
    """(ids of the next `size` teachers in export order, a queryset of exactly those teachers, their cells).

    The teachers are read in export order by one query, streamed (a sort of
    the scope's teachers once: a keyset query per batch sorted what was
    left of the district each time, ~40 sorts of up to 20,000 rows). The
    queryset selects the batch by its keyset range (after the previous
    batch's last teacher, up to this batch's last), so no query binds a list
    of ids. The cells are (school, staff number, name) of each teacher,
    neutralised in SQL, in the order of the ids: the batch's entry rows start
    with them (entry_rows), so its entries query does not join, compute and
    send them again for each of a teacher's entries.
    """
    size = size or BATCH
    teachers = scope.teachers()
    stream = (
        teachers.annotate(
            c_school=_neutralised(F(f"{P}school__name")),
            c_staff=_neutralised(F(f"{P}staff_number")),
            c_name=_neutralised(DISPLAY_NAME),
        )
        .values_list(*TEACHER_ORDER, "c_school", "c_staff", "c_name")
        .iterator(chunk_size=size)
    )
    after = Q()
    while keys := list(islice(stream, size)):
        through_last = ~_after(*keys[-1][:4])
        yield [key[3] for key in keys], teachers.filter(after, through_last), [key[4:] for key in keys]
        after = _after(*keys[-1][:4])


def in_teacher_order(ids: list[int], rows) -> Iterator[tuple]:
    """Rows sorted by teacher id (its first cell) → the same rows without that cell, teachers in `ids` order."""
    if hasattr(rows, "iterator"):  # a queryset: stream it rather than also keep Django's result cache
        rows = rows.iterator(chunk_size=2000)
    grouped = {pk: list(group) for pk, group in groupby(rows, key=itemgetter(0))}
    for pk in ids:
        for row in grouped.get(pk, ()):
            yield row[1:]


def _after(school_name, school_id, full_name, pk) -> Q:
    """Teachers after this one in (school name, school, name, pk) order."""
    school_name_is = {f"{P}school__name": school_name}
    school_is = {f"{P}school_id": school_id}
    return (
        Q(**{f"{P}school__name__gt": school_name})
        | Q(**school_name_is, **{f"{P}school_id__gt": school_id})
        | Q(**school_name_is, **school_is, **{f"{P}full_name__gt": full_name})
        | Q(**school_name_is, **school_is, **{f"{P}full_name": full_name}, pk__gt=pk)
    )


def _period_entries(start: date, end: date):
    return FilteredRelation("credit_entries", condition=earned_in(start, end + ONE_DAY, prefix="credit_entries__"))


def entry_rows(
    ids: list[int], cells: list[tuple], start: date, end: date, labels: dict, *, with_empty: bool, tail: tuple = (),
    as_text: bool = False,
) -> Iterator[tuple[int, list[tuple]]]:
    """(teacher id, the teacher's rows) for each teacher of a batch (teacher_batches), in export order.

    A row is the teacher's (school, staff number, name), then the entry's
    (date, what, category, source, hours, study minutes, reason), then
    `tail`; a teacher's entries by date. With `with_empty`, a teacher with no
    entry in the period has one row of their own (0 hours, the other entry
    cells None), which the CSV needs and the Excel entries sheet does not;
    without it such a teacher is skipped. With `as_text` (the CSV) the date
    and the hours may come as their text rather than a date and a Decimal.

    One query a batch (two when an entry is a module's), whatever the number
    of teachers or entries: the entries sorted by teacher id, and the study
    time of the batch's teachers who have a module entry, keyed by (teacher,
    module) (it was a correlated subquery per entry row). The rows are
    grouped by teacher id in a dict of one batch.
    """
    from shixun.courses.models import StudyTime
    from shixun.transcripts.models import LedgerEntry

    entries = LedgerEntry.objects.filter(earned_in(start, end + ONE_DAY), learner_id__in=ids)
    day, hours = "earned_on", "hours"
    if as_text and connection.vendor == "postgresql":
        # The CSV's text of the date and the hours, made by PostgreSQL: the same characters as str() of the
        # date and the Decimal, without building those objects to turn them back into text (~10% of the export).
        entries = entries.annotate(
            c_day=Func(F("earned_on"), Value("YYYY-MM-DD"), function="to_char", output_field=CharField()),
            c_hours=Cast("hours", CharField()),
        )
        day, hours = "c_day", "c_hours"
    entries = entries.order_by("learner_id", "earned_on", "pk").values_list(
        "learner_id", day, "title", "category__name", "source_kind", hours, "module_completion__module_id", "reason"
    )
    # A client-side fetch of the batch (one round trip): the dict below holds the batch's rows anyway, and
    # iterator() outside a transaction is a WITH HOLD cursor that PostgreSQL materialises before fetching.
    fetched = list(entries)
    studied = {row[0] for row in fetched if row[6] is not None}  # teachers with a module's entry
    grouped = {pk: list(group) for pk, group in groupby(fetched, key=itemgetter(0))}
    del fetched
    study = {}
    if studied:
        study = {
            (user_id, module_id): minutes
            for user_id, module_id, minutes in StudyTime.objects.filter(user_id__in=studied)
            .annotate(minutes=(F("active_ms") + Value(30_000)) / Value(60_000))  # integer division on both databases
            .values_list("user_id", "module_id", "minutes")
        }
    # The entry's texts are neutralised once per distinct text of the batch (a module's title repeats for
    # every teacher who completed it): a dict lookup per cell, cheaper than the same rule in SQL per row.
    title, category, reason, source = _Neutralised(), _Neutralised(), _Neutralised(), _Neutralised(labels)
    for pk, teacher in zip(ids, cells, strict=True):
        rows = grouped.get(pk)
        if rows is not None:
            yield pk, [
                (
                    *teacher, row[1], title[row[2]], category[row[3]], source[row[4]], row[5],
                    # A module's entry: the teacher's measured study time on that module (None when not measured).
                    None if row[6] is None else study.get((pk, row[6])),
                    reason[row[7]], *tail,
                )
                for row in rows
            ]
        elif with_empty:
            yield pk, [(*teacher, None, None, None, None, 0, None, None, *tail)]


class _Neutralised(dict):
    """text → neutralise(text), each text computed once; None stays None (an empty cell, as NULL in SQL)."""

    def __missing__(self, text):
        value = self[text] = None if text is None else neutralise(text)
        return value


def summary_rows(batch, start: date, end: date):
    """(teacher id, school, staff number, name, teacher id, hours, entries) per teacher of a batch, by id."""
    return (
        batch.annotate(entry=_period_entries(start, end))
        .annotate(
            c_school=_neutralised(F(f"{P}school__name")),
            c_staff=_neutralised(F(f"{P}staff_number")),
            c_name=_neutralised(DISPLAY_NAME),
            c_hours=Sum("entry__hours"),
            c_count=Count("entry__pk"),
        )
        .order_by("pk")
        .values_list("pk", "c_school", "c_staff", "c_name", "pk", "c_hours", "c_count")
    )


def write_csv(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """UTF-8 with BOM (so Excel shows the Chinese); one row per entry, a zero row for a teacher with none."""
    # Rows are formatted into one string and encoded FLUSH_CHARACTERS at a
    # time (encoding row by row through a text wrapper was a tenth of the
    # export's time; a whole batch at once held ~10 MB of text and bytes).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_entry_headers())
    out.write(codecs.BOM_UTF8 + buffer.getvalue().encode())
    out.flush()  # the file starts at once
    buffer.seek(0)
    buffer.truncate()
    total = count_teachers(scope) if progress else 0
    labels = _source_labels()
    done = 0
    for ids, _batch, cells in teacher_batches(scope):
        pending = _pending_by_teacher(ids)
        for pk, rows in entry_rows(ids, cells, start, end, labels, with_empty=True, tail=("",), as_text=True):
            writer.writerows(rows)  # csv writes None as an empty cell
            if pk in pending:
                writer.writerows(_pending_rows(rows[0], pending[pk]))
            if buffer.tell() > FLUSH_CHARACTERS:
                out.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        out.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
        done += len(ids)
        if progress:
            progress(done, total)
    return done


def write_xlsx(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """A summary sheet (one row per teacher) and an entries sheet, streamed row by row (xlsx_stream).

    The sheets are written one after the other, so the teachers are read
    twice: the summary (one short grouped query per batch), then the entries.
    Strings are always text, never formulas; dates are real dates.
    """
    from shixun.spreadsheets.xlsx_stream import SheetFull, Workbook

    workbook = Workbook(out)
    total = count_teachers(scope) if progress else 0
    through = Profile.categories.through
    # Widths in characters (a Chinese character is two): dates need 10 or Excel shows ####.
    summary = workbook.add_sheet(_("Summary"), widths=SUMMARY_WIDTHS, freeze_rows=2)
    summary.append([neutralise(_("%(name)s: credit hours %(start)s – %(end)s") % {
        "name": scope.name, "start": start.isoformat(), "end": end.isoformat()})])
    summary.append([
        _("School"), _("Staff number"), _("Name"), _("Teacher categories"), _("Hours"), _("Number of entries"),
        _("Pending hours"),
    ])
    for ids, batch, _cells in teacher_batches(scope):
        categories: dict[int, list[str]] = {}
        for user_id, name in (
            through.objects.filter(profile__user__in=batch.values("pk"))
            .order_by("teachercategory__name")
            .values_list("profile__user_id", "teachercategory__name")
        ):
            categories.setdefault(user_id, []).append(name)
        pending = {pk: sum(p.hours for p in courses) for pk, courses in _pending_by_teacher(ids).items()}
        summary.extend(
            (school, staff, name, neutralise("、".join(categories.get(pk, []))), hours or 0, count, pending.get(pk, 0))
            for school, staff, name, pk, hours, count in in_teacher_order(ids, summary_rows(batch, start, end))
        )
    entries = workbook.add_sheet(_("Entries"), widths=ENTRY_WIDTHS, freeze_rows=1)
    entries.append(_entry_headers(pending=False))
    labels = _source_labels()
    done = 0
    for ids, _batch, cells in teacher_batches(scope):
        try:
            entries.extend(row for _pk, rows in entry_rows(ids, cells, start, end, labels, with_empty=False)
                           for row in rows)
        except SheetFull as full:
            raise ExportTooLarge(_("Too many entries for one Excel sheet: choose a shorter period, "
                                   "one school at a time, or CSV.")) from full
        done += len(ids)
        if progress:
            progress(done, total)
    workbook.close()
    return done


def write_pdf_zip(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """One transcript PDF per teacher (transcripts' renderer), limited to the period's entries, in one process.

    The command line uses this; a background job renders a large export in
    parts (write_pdf_part, one task each) and joins them (schools.jobs).
    """
    total = count_teachers(scope) if progress else 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        return _write_pdfs(archive, scope, start, end, scope.teachers(), total, progress)


def write_training_files(scope: Scope, start: date, end: date, out, progress: Progress | None = None) -> int:
    """One training file (transcripts.training_file) per teacher: the whole record, whatever the period."""
    total = count_teachers(scope) if progress else 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        return _write_training_files(archive, scope, scope.teachers(), total, progress)


def write_training_files_part(scope: Scope, start: date, end: date, teacher_ids: list[int], out) -> int:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        return _write_training_files(archive, scope, scope.teachers().filter(pk__in=teacher_ids), 0, None)


def _write_training_files(archive, scope: Scope, teachers, total: int, progress) -> int:
    from shixun.transcripts.training_file import produce

    done = 0
    for teacher in teachers:
        body, _record = produce(teacher)
        archive.writestr(pdf_path(scope, teacher), body)
        done += 1
        if progress and (done % 20 == 0 or done == total):
            progress(done, total)
    return done


def write_pdf_part(scope: Scope, start: date, end: date, teacher_ids: list[int], out) -> int:
    """The PDFs of some of the scope's teachers, as a zip of stored members (deflated once, when joined)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        return _write_pdfs(archive, scope, start, end, scope.teachers().filter(pk__in=teacher_ids), 0, None)


def _write_pdfs(archive, scope: Scope, start: date, end: date, teachers, total: int, progress) -> int:
    from shixun.transcripts.pdf import render_transcript
    from shixun.transcripts.services import requirement_progress_bulk
    from shixun.transcripts.transcript import Transcript, attach_study_time

    done = 0
    on_date = min(end, timezone.localdate())
    batch: list = []

    def flush():
        nonlocal done
        attach_study_time([entry for _t, entries in batch for entry in entries])  # one query a batch
        standing = requirement_progress_bulk([t for t, _e in batch], on_date)
        for teacher, entries in batch:
            transcript = Transcript(teacher, on_date, entries, standing[teacher.pk], [])
            archive.writestr(zip_member(pdf_path(scope, teacher), archive.compression), render_transcript(transcript))
            done += 1
        batch.clear()
        if progress:
            progress(done, total)

    for teacher, entries in teachers_with_entries(scope, start, end, teachers):
        batch.append((teacher, entries))
        if len(batch) >= 50:
            flush()
    flush()
    return done


def zip_member(name: str, compression: int, date_time=None) -> zipfile.ZipInfo:
    """A zip entry dated now in local time (zipfile dates entries written by name 1980-01-01)."""
    info = zipfile.ZipInfo(name, date_time=date_time or timezone.localtime().timetuple()[:6])
    info.compress_type = compression
    info.external_attr = 0o644 << 16  # readable once unzipped on Linux and macOS
    return info


def pdf_path(scope: Scope, teacher) -> str:
    """A district's zip has a folder per school."""
    profile = profile_of(teacher)
    folder = f"{profile.school.code}/" if scope.school is None and profile.school_id else ""
    return f"{folder}{pdf_name(teacher)}"


def pdf_name(teacher) -> str:
    profile = profile_of(teacher)
    label = profile.staff_number or f"id{teacher.pk}"
    safe_name = "".join(ch for ch in profile.display_name if ch.isalnum())[:20]
    return f"{label}-{safe_name}.pdf"


# --- The formats: one table ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """Everything about one export format; the views, the command, the jobs and ExportJob.format read it.

    `write` writes the whole file in one go (the command line, and a
    background job for a format that is not chunked). A format with
    `write_part` is chunked: a background job writes the file in parts of
    some teachers each (one task per part), each part a zip whose members
    schools.jobs joins into the final zip.
    """

    key: str  # stored in ExportJob.format (at most 10 characters)
    label: str  # gettext_lazy: what the export page and the job page show
    extension: str
    content_type: str
    write: Callable[..., int]  # (scope, start, end, out, progress) -> teachers written
    write_part: Callable[..., int] | None = None  # (scope, start, end, teacher_ids, out) -> teachers written

    @property
    def chunked(self) -> bool:
        return self.write_part is not None


FORMATS: dict[str, ExportFormat] = {}


def register(fmt: ExportFormat) -> ExportFormat:
    FORMATS[fmt.key] = fmt
    return fmt


def format_choices() -> list[tuple[str, str]]:
    """(key, label) of every format in registration order, for forms and ExportJob.format."""
    return [(fmt.key, fmt.label) for fmt in FORMATS.values()]


def get_format(key: str) -> ExportFormat:
    try:
        return FORMATS[key]
    except KeyError:
        raise ValueError(f"unknown format {key!r}") from None


register(ExportFormat(
    "xlsx", gettext_lazy("Excel (summary and entries)"), "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", write_xlsx,
))
register(ExportFormat("csv", gettext_lazy("CSV (one row per entry)"), "csv", "text/csv; charset=utf-8", write_csv))
register(ExportFormat(
    "pdf-zip", gettext_lazy("Zip of PDF transcripts, one per teacher"), "zip", "application/zip", write_pdf_zip,
    write_part=write_pdf_part,
))
register(ExportFormat(
    "files-zip", gettext_lazy("Zip of training files (教师培训档案), one PDF per teacher, whole record"), "zip",
    "application/zip", write_training_files, write_part=write_training_files_part,
))


def export(scope: Scope, start: date, end: date, fmt: str, out, progress: Progress | None = None) -> int:
    writer = get_format(fmt).write
    if end < start:
        raise ValueError("end before start")
    return writer(scope, start, end, out, progress)


def file_name(scope: Scope, start: date, end: date, fmt: str) -> str:
    return f"transcripts-{scope.code}-{start:%Y%m%d}-{end:%Y%m%d}.{get_format(fmt).extension}"
