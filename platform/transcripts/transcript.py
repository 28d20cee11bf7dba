"""A learner's transcript: entries grouped by year, requirement progress, certificates.

One object feeds the page, the PDF and the CSV, so the three never disagree.
"""

import csv
import io
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shixun.accounts.people import profile_of
from shixun.config.compiled import CompiledValues, concrete_attnames
from shixun.courses.study import study_seconds_by_module
from shixun.spreadsheets.formulas import neutralise

from . import requirements as req
from .models import Certificate, LedgerEntry
from .services import pending_with_modules, requirement_progress

STATUS_LABELS = {
    req.COMPLETE: gettext_lazy("Complete"),
    req.ON_TRACK: gettext_lazy("On track"),
    req.BEHIND: gettext_lazy("Behind"),
}
STATUS_BADGES = {req.COMPLETE: "ok", req.ON_TRACK: "ok", req.BEHIND: "bad"}


@dataclass
class CategoryTotal:
    name: str
    total: Decimal


@dataclass
class Year:
    year: int
    entries: list = field(default_factory=list)
    total: Decimal = Decimal("0")
    categories: list[CategoryTotal] = field(default_factory=list)


@dataclass
class Transcript:
    learner: object
    on_date: date
    entries: list
    progress: list
    certificates: list
    # Courses whose hours wait for the course to be passed (待考核): shown
    # apart, never in a total (they are not on the ledger yet).
    pending: list = field(default_factory=list)
    # {course id: [services.PendingModule]}: a pending course's completed modules, with their study time.
    pending_modules: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((e.hours for e in self.entries), Decimal("0"))

    @property
    def pending_total(self) -> Decimal:
        return sum((p.hours for p in self.pending), Decimal("0"))

    @property
    def years(self) -> list[Year]:
        years: OrderedDict[int, Year] = OrderedDict()
        for entry in sorted(self.entries, key=lambda e: (e.earned_on, e.pk), reverse=True):
            year = years.setdefault(entry.earned_on.year, Year(entry.earned_on.year))
            year.entries.append(entry)
            year.total += entry.hours
        for year in years.values():
            by_category: dict[str, Decimal] = {}
            for entry in year.entries:
                name = entry.category.name if entry.category else _("Uncategorised")
                by_category[name] = by_category.get(name, Decimal("0")) + entry.hours
            year.categories = [CategoryTotal(n, t) for n, t in sorted(by_category.items())]
        return list(years.values())

    def modules_of(self, pending) -> list:
        """The completed modules whose hours make `pending` (a PendingCourse), in the course's order."""
        return self.pending_modules.get(pending.course_id, [])

    @staticmethod
    def status_label(status: str) -> str:
        return STATUS_LABELS.get(status, status)


def build_transcript(learner, on_date: date | None = None) -> Transcript:
    on_date = on_date or timezone.localdate()
    entries = entries_of(learner.pk)
    pending, pending_modules = pending_with_modules(learner.pk)  # one query: the courses and their modules
    attach_study_time(entries, [m for modules in pending_modules.values() for m in modules])
    certificates = certificates_of(learner.pk)
    return Transcript(
        learner, on_date, entries, requirement_progress(learner, on_date), certificates, pending, pending_modules
    )


def _certificates(learner_id):
    return Certificate.objects.filter(learner_id=learner_id).order_by("-issued_on", "-pk")


# One learner's certificates, newest first: the ORM built this SQL on every transcript view (issue 18).
_CERTIFICATES_OF_ONE = CompiledValues(
    lambda learner_id: _certificates(learner_id).values(*concrete_attnames(Certificate)), learner_id=-2_073_180_409
)


def certificates_of(learner_id: int) -> list[Certificate]:
    """`_certificates(learner_id)` as instances, by SQL compiled once per connection."""
    return _CERTIFICATES_OF_ONE.instances(Certificate, learner_id=learner_id)


# One learner's entries with what the page, the PDF and the CSV show of their relations, compiled once per
# connection (shixun.config.compiled): the ORM's read (five select_related tables and the reversal prefetch)
# was a quarter of a transcript page's CPU, building the same SQL on every view (issue 18).
_RELATED_COLUMNS = ("category__name", "school__name", "module_completion__module_id")
_ENTRIES_OF_ONE = CompiledValues(
    lambda learner_id: LedgerEntry.objects.filter(learner_id=learner_id)
    .order_by("earned_on", "pk")
    .values(*concrete_attnames(LedgerEntry), *_RELATED_COLUMNS),
    learner_id=-2_073_180_403,
)


def entries_of(learner_id: int) -> list[LedgerEntry]:
    """The learner's ledger entries, oldest first, as LedgerEntry instances with their relations loaded.

    `category` and `school` come with their name only, `module_completion` with its module (another field
    of theirs is read from the database when asked for, as Django does for a deferred field); `reverses` and
    `reversal` link the learner's own entries (ledger.reverse_entry posts a reversal for the entry's
    learner), None where there is none, as the prefetch gave; `posted_by` is read when asked for.
    """
    meta = LedgerEntry._meta
    fields = concrete_attnames(LedgerEntry)
    alias = DEFAULT_DB_ALIAS
    related = {name: meta.get_field(name) for name in ("category", "school", "module_completion")}
    entries, by_pk = [], {}
    for row in _ENTRIES_OF_ONE.values(learner_id=learner_id):
        entry = LedgerEntry.from_db(alias, fields, [row[name] for name in fields])
        for name, column in (("category", "name"), ("school", "name"), ("module_completion", "module_id")):
            field = related[name]
            pk = row[field.attname]
            if pk is not None:
                model = field.related_model
                field.set_cached_value(
                    entry, model.from_db(alias, [model._meta.pk.attname, column], [pk, row[f"{name}__{column}"]])
                )
        entries.append(entry)
        by_pk[entry.pk] = entry
    reverses = meta.get_field("reverses")
    reversal_of = {}
    for entry in entries:
        if entry.reverses_id in by_pk:
            reverses.set_cached_value(entry, by_pk[entry.reverses_id])
            reversal_of[entry.reverses_id] = entry
    for entry in entries:
        reverses.remote_field.set_cached_value(entry, reversal_of.get(entry.pk))
    return entries


def attach_study_time(entries, pending_modules=()) -> None:
    """`study_seconds` on each module entry: its learner's measured study time on that module (courses.study),
    None where none was measured (other sources, or a lesson completed before study time was measured).
    `study_seconds` and `study_time` likewise on each of `pending_modules` (services.PendingModule).

    Entries of any number of learners (the exports' PDF batches): one query for entries and pending modules
    together, and none when none is a module's. The entries must come with select_related("module_completion").
    """
    module_ids = {e.module_completion.module_id for e in entries if e.module_completion_id}
    learner_ids = {e.learner_id for e in entries if e.module_completion_id}
    module_ids |= {m.module_id for m in pending_modules}
    learner_ids |= {m.learner_id for m in pending_modules}
    study = study_seconds_by_module(learner_ids, module_ids) if module_ids else {}
    for entry in entries:
        module_id = entry.module_completion.module_id if entry.module_completion_id else None
        entry.study_seconds = study.get((entry.learner_id, module_id)) if module_id else None
        entry.study_time = study_time_text(entry.study_seconds)
    for module in pending_modules:
        module.study_seconds = study.get((module.learner_id, module.module_id))
        module.study_time = study_time_text(module.study_seconds)


def whole_minutes(seconds: int) -> int:
    """Study seconds as whole minutes, half up.

    The school exports compute the same figure in SQL from milliseconds, ``(ms + 30 000) // 60 000``; with
    seconds floored from those milliseconds this is the same number, so a teacher's transcript and the
    school's export never disagree by a minute (Python's round() would take 150 s to 2, the export to 3).
    """
    return (seconds + 30) // 60


def study_minutes_cell(seconds: int | None):
    """Study time in whole minutes for a spreadsheet cell (a number; empty where none was measured)."""
    return "" if seconds is None else whole_minutes(seconds)


def study_time_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    return _("%(minutes)d min") % {"minutes": whole_minutes(seconds)}


def transcript_csv(transcript: Transcript) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows the Chinese. Hours stay plain numbers.

    Every row names the teacher (a file passed on or merged with others still says whose hours
    these are), and rows come in the PDF's order: newest year first, newest entry first.
    """
    profile = profile_of(transcript.learner)
    name, staff_number = neutralise(profile.display_name), neutralise(profile.staff_number or "")
    out = io.StringIO()
    writer = csv.writer(out)
    # Pending hours (待考核) have their own last column, so summing "Hours" gives the earned total.
    writer.writerow([
        _("Name"), _("Staff number"), _("Date"), _("What"), _("Category"), _("Source"), _("Hours"),
        _("Study time (minutes)"), _("Reason"), _("School"), _("Pending hours"),
    ])
    schools = {}
    for year in transcript.years:
        for entry in year.entries:
            school = schools.setdefault(entry.school_id, entry.school.name if entry.school_id else "")
            writer.writerow(
                [
                    name,
                    staff_number,
                    entry.earned_on.isoformat(),
                    neutralise(entry.title),
                    neutralise(entry.category.name if entry.category else ""),
                    neutralise(entry.get_source_kind_display()),
                    f"{entry.hours}",  # a number, deliberately not neutralised: reversals are negative
                    study_minutes_cell(getattr(entry, "study_seconds", None)),
                    neutralise(entry.reason),
                    neutralise(school),
                    "",
                ]
            )
    for pending in transcript.pending:
        writer.writerow(
            [
                name,
                staff_number,
                "",
                neutralise(pending.title),
                "",
                _("Pending assessment (待考核)"),
                "",
                "",
                neutralise(pending_explanation(pending)),
                "",
                f"{pending.hours}",
            ]
        )
        # Its completed modules under it, each with its study time; their hours are in the course's row
        # (summing "Pending hours" still gives the pending total), so each says its own in the reason.
        for module in transcript.modules_of(pending):
            writer.writerow(
                [
                    name,
                    staff_number,
                    "",
                    neutralise(module.title),
                    "",
                    _("Pending assessment (待考核)"),
                    "",
                    study_minutes_cell(module.study_seconds),
                    neutralise(pending_module_explanation(pending, module)),
                    "",
                    "",
                ]
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def pending_module_explanation(pending, module) -> str:
    """The CSV's reason for a pending course's completed module (the page and the PDF give its hours a column)."""
    return _("Module of %(course)s: %(hours)s hours, credited when the course is passed.") % {
        "course": pending.title,
        "hours": module.hours,
    }


def pending_explanation(pending) -> str:
    """One sentence on what a pending course's hours wait for (page, PDF and CSV say the same)."""
    if pending.award_hours:
        return _(
            "%(modules)s hours of completed modules and %(award)s extra hours are credited when the course is "
            "passed (grade and attendance)."
        ) % {"modules": pending.module_hours, "award": pending.award_hours}
    return _(
        "%(modules)s hours of completed modules are credited when the course is passed (grade and attendance)."
    ) % {"modules": pending.module_hours}
