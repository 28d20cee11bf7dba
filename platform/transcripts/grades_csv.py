"""Scores from a spreadsheet: a CSV with a staff number (工号) or username column and one column per component.

Two steps, like the roster import: `plan_upload` reads and checks every line
against the current grade sheet and writes nothing (the dry run the trainer
looks at); confirming posts the planned cells to the grade sheet itself, which
checks them again and saves all of them in one transaction, or none.

Blank cells change nothing (a partial sheet never erases scores). Unknown
columns are refused rather than ignored: a misspelt component name would
otherwise drop a whole column of scores without a word.
"""

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shixun.accounts.people import profile_of
from shixun.spreadsheets.formulas import neutralise, unneutralise

from . import certificates as certs
from .grades import GradeSheet, absence_field, score_field

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
STAFF_NUMBER_HEADERS = {"工号", "staff number", "staff_number"}
USERNAME_HEADERS = {"用户名", "username", "账号"}
ABSENCE_HEADERS = {"缺勤天数", "days absent"}
# Columns a trainer's own sheet often carries; read past, never imported.
IGNORED_HEADERS = {"姓名", "name", "学校", "school", "总评", "总成绩", "grade", "备注", "note"}


class UploadError(Exception):
    """The file as a whole cannot be read; the message is for the trainer."""


@dataclass
class PlannedCell:
    field: str
    label: str
    old: object
    new: object


@dataclass
class PlannedLearner:
    line: int
    learner: object
    cells: list[PlannedCell]


@dataclass
class UploadPlan:
    learners: list[PlannedLearner] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def changed_cells(self) -> int:
        return sum(len(p.cells) for p in self.learners)


def decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 (what Excel on a Chinese Windows saves)."""
    if len(data) > MAX_FILE_BYTES:
        raise UploadError(_("The file is too large (at most 2 MB)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as error:
            raise UploadError(_("The file is not a readable CSV. In Excel choose “Save as” → “CSV UTF-8”.")) from error


def template_csv(sheet: GradeSheet) -> str:
    """The sheet as a CSV to fill in: the columns the upload expects, one line per learner, current values."""
    out = io.StringIO()
    out.write("\ufeff")  # Excel shows Chinese only with the BOM
    writer = csv.writer(out)
    header = ["工号", "用户名", "姓名"] + [c.name for c in sheet.components]
    if sheet.takes_attendance:
        header.append("缺勤天数")
    writer.writerow(header)
    for row in sheet.rows:
        learner = row.learner
        profile = profile_of(learner)
        # Staff numbers and usernames too: Django's username validator allows + - @ as first characters.
        line = [neutralise(profile.staff_number), neutralise(learner.username), neutralise(profile.display_name)]
        line += ["" if row.scores.get(c.pk) is None else str(row.scores[c.pk]) for c in sheet.components]
        if sheet.takes_attendance:
            line.append("" if row.absent_days is None else str(row.absent_days))
        writer.writerow(line)
    return out.getvalue()


def plan_upload(sheet: GradeSheet, data: bytes) -> UploadPlan:
    rows = list(csv.reader(io.StringIO(decode(data))))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise UploadError(_("The file is empty."))
    if len(rows) - 1 > MAX_ROWS:
        raise UploadError(_("The file has more than %(max)d lines; split it.") % {"max": MAX_ROWS})
    header = [cell.strip() for cell in rows[0]]
    lowered = [h.lower() for h in header]
    key_index = key_kind = None
    for index, name in enumerate(lowered):
        if name in STAFF_NUMBER_HEADERS:
            key_index, key_kind = index, "staff_number"
            break
    if key_index is None:
        for index, name in enumerate(lowered):
            if name in USERNAME_HEADERS:
                key_index, key_kind = index, "username"
                break
    if key_index is None:
        raise UploadError(_("The first line must name a column “工号” (staff number) or “用户名” (username)."))
    components = {c.name.strip().lower(): c for c in sheet.components}
    columns: list[tuple[int, object]] = []  # (index, component or "absence")
    unknown = []
    for index, name in enumerate(lowered):
        if index == key_index or not name:
            continue
        if name in components:
            columns.append((index, components[name]))
        elif name in ABSENCE_HEADERS and sheet.types_attendance:
            columns.append((index, "absence"))
        elif name in ABSENCE_HEADERS and sheet.absence_from_sessions:
            continue  # computed from the course's sessions: the file's column is not read
        elif name in IGNORED_HEADERS or name in STAFF_NUMBER_HEADERS or name in USERNAME_HEADERS:
            continue
        else:
            unknown.append(header[index])
    if unknown:
        expected = "、".join([c.name for c in sheet.components] + (["缺勤天数"] if sheet.types_attendance else []))
        raise UploadError(
            _("Unknown column(s): %(unknown)s. The columns this course expects: %(expected)s.")
            % {"unknown": "、".join(unknown), "expected": expected}
        )
    if not columns:
        raise UploadError(_("The file has no column of scores or days absent for this course."))

    by_key: dict[str, list] = {}
    for row in sheet.rows:
        learner = row.learner
        key = profile_of(learner).staff_number if key_kind == "staff_number" else learner.get_username()
        key = key.strip().lower()
        if key:
            by_key.setdefault(key, []).append(row)
    plan = UploadPlan()
    seen: dict[int, int] = {}
    for line_number, cells in enumerate(rows[1:], start=2):
        cells = cells + [""] * (len(header) - len(cells))
        # template_csv wrote '=1+2 for the key =1+2 so that Excel shows text, not a formula.
        key = unneutralise(cells[key_index].strip())
        matches = by_key.get(key.lower(), [])
        if not key:
            plan.errors.append((line_number, _("No staff number or username.")))
            continue
        if not matches:
            plan.errors.append((line_number, _("“%(key)s” is not a learner of this course.") % {"key": key}))
            continue
        if len(matches) > 1:
            plan.errors.append(
                (
                    line_number,
                    _("“%(key)s” matches several learners (different districts): use usernames.") % {"key": key},
                )
            )
            continue
        row = matches[0]
        if row.learner.pk in seen:
            plan.errors.append(
                (line_number, _("This learner is already on line %(line)s.") % {"line": seen[row.learner.pk]})
            )
            continue
        seen[row.learner.pk] = line_number
        planned = []
        for index, target in columns:
            text = cells[index].strip().replace("，", ".").replace(",", ".")
            if not text:
                continue
            try:
                if target == "absence":
                    value = certs.validate_absent_days(text)
                    old, name, label = row.absent_days, absence_field(row.learner.pk), _("Days absent")
                else:
                    value = certs.validate_score(text)
                    old, name, label = row.scores.get(target.pk), score_field(row.learner.pk, target.pk), target.name
            except ValueError as error:
                plan.errors.append((line_number, f"{header[index]}: {error}"))
                continue
            if old is None or value != old:
                planned.append(PlannedCell(name, label, old, value))
        if planned:
            plan.learners.append(PlannedLearner(line_number, row.learner, planned))
    return plan
