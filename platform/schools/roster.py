"""Roster import: a school's list of teachers from a CSV or Excel file.

Two steps, both from the same stored file:

1. `plan_roster(school, table)` reads and checks every row and says what would
   happen to it (create, update, unchanged, error) without writing anything:
   the dry run the admin looks at.
2. `import_roster(...)` plans again inside one transaction (the database may
   have changed since the dry run) and applies the plan only if no row has an
   error: all or nothing.

A teacher is matched on district + staff number (工号), the key the district
already uses, so importing the same file again updates instead of
duplicating. Empty optional cells never erase what is already stored: a
school exporting a partial sheet must not wipe phone numbers.

Cells that look like formulas (=, +, -, @) are imported as plain text; they
are neutralised when exported, where the danger is.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shixun.accounts.models import Profile, School, Subject, TeacherCategory
from shixun.config.conf import shixun_settings

User = get_user_model()
# Roster columns that are the user's own; every other column is the profile's.
USER_FIELDS = {"email"}

if TYPE_CHECKING:
    from .models import RosterImport

MAX_FILE_BYTES = shixun_settings.SHIXUN_ROSTER_MAX_BYTES
# An .xlsx is a zip: a few KB can unpack to gigabytes of XML. A roster of
# 3,000 teachers unpacks to a few MB; refuse more before openpyxl opens it
# (zipfile never unpacks a member past its declared size, so the declared
# sizes are a real bound).
MAX_XLSX_UNPACKED_BYTES = shixun_settings.SHIXUN_ROSTER_MAX_UNPACKED_BYTES
# Every row read counts, empty or not (a file of 2 million empty rows kept a
# request busy for ~19 s before): the teachers, the header and some blank lines.
BLANK_ROWS_ALLOWED = 200
MAX_ROWS = shixun_settings.SHIXUN_ROSTER_MAX_ROWS

# Column → accepted headers (compared after lower-casing and removing spaces,
# underscores and a trailing "（必填）"-style note).
COLUMNS = {
    "full_name": ["姓名", "教师姓名", "name", "fullname"],
    "staff_number": ["工号", "教师工号", "职工号", "staffnumber", "staffno", "staffid", "employeeid"],
    "phone": ["手机", "手机号", "手机号码", "联系电话", "电话", "phone", "mobile", "mobilephone"],
    "email": ["邮箱", "电子邮箱", "邮件", "email", "e-mail", "emailaddress"],
    "categories": ["类别", "教师类别", "category", "categories", "teachercategory", "teachercategories"],
    "subjects": ["学科", "任教学科", "subject", "subjects"],
    "start_date": ["入职日期", "入职时间", "参加工作时间", "startdate", "datestarted"],
}
REQUIRED_COLUMNS = ("full_name", "staff_number")
COLUMN_LABELS = {
    "full_name": gettext_lazy("name (姓名)"),
    "staff_number": gettext_lazy("staff number (工号)"),
}
LIST_SEPARATORS = re.compile(r"[、,;，；/|]+")
STAFF_NUMBER_RE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


class RosterFileError(Exception):
    """The file as a whole cannot be read (wrong format, too big, no header)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- Reading ------------------------------------------------------------------


@dataclass
class Table:
    columns: dict[str, int]  # field → column index
    rows: list[tuple[int, list]]  # (line number as the admin sees it, cells)
    ignored_headers: list[str] = field(default_factory=list)


def _normalise_header(text) -> str:
    text = str(text or "").strip().lower()
    text = re.sub(r"[（(].*?[)）]", "", text)  # "手机（选填）"
    return re.sub(r"[\s_*]+", "", text)


_HEADER_LOOKUP = {_normalise_header(h): name for name, headers in COLUMNS.items() for h in headers}


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, which is what Excel on Chinese Windows writes as "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK and GB2312.
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterFileError(
            _("The file's text encoding was not recognised. Save it as UTF-8 CSV or as Excel (.xlsx).")
        ) from exc


def _csv_rows(data: bytes):
    text = decode_csv(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1)


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise RosterFileError(_("The Excel file could not be opened. Is it a valid .xlsx file?")) from exc
    if declared > MAX_XLSX_UNPACKED_BYTES:
        raise RosterFileError(
            _("This Excel file unpacks to more than %(mb)d MB, far more than a list of teachers needs. "
              "Copy only the teachers' rows into a new file and upload that.")
            % {"mb": MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)}
        )


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterFileError(_("The Excel file could not be opened. Is it a valid .xlsx file?")) from exc
    sheet = workbook.worksheets[0]
    try:
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def read_table(data: bytes, filename: str) -> Table:
    """The header and rows of an uploaded roster; raises RosterFileError for an unreadable file."""
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(
            _("The file is too large (at most %(mb)d MB).") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    name = filename.lower()
    if name.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise RosterFileError(_("The Excel file could not be opened. Is it a valid .xlsx file?"))
        numbered = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        numbered = _csv_rows(data)
    elif name.endswith(".xls"):
        raise RosterFileError(_("Old Excel files (.xls) are not supported: in Excel choose Save As → .xlsx or CSV."))
    else:
        raise RosterFileError(_("Upload a CSV file or an Excel (.xlsx) file."))

    columns: dict[str, int] | None = None
    ignored: list[str] = []
    rows: list[tuple[int, list]] = []
    for line, cells in numbered:
        if line > MAX_ROWS + 1 + BLANK_ROWS_ALLOWED:
            raise RosterFileError(
                _("The file has more than %(max)d rows (empty rows count too); split it into several files "
                  "or delete the empty rows at the end.") % {"max": MAX_ROWS + 1 + BLANK_ROWS_ALLOWED}
            )
        cells = list(cells or [])
        if not any(_cell_text(c) for c in cells):
            continue
        if columns is None:
            columns = {}
            for index, header in enumerate(cells):
                key = _HEADER_LOOKUP.get(_normalise_header(header))
                if key and key not in columns:
                    columns[key] = index
                elif _cell_text(header):
                    ignored.append(_cell_text(header))
            missing = [str(COLUMN_LABELS[c]) for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise RosterFileError(
                    _("The first row must be the column headers; missing: %(columns)s.")
                    % {"columns": "、".join(missing)}
                )
            continue
        rows.append((line, cells))
        if len(rows) > MAX_ROWS:
            raise RosterFileError(
                _("The file has more than %(max)d teachers; split it into several files.") % {"max": MAX_ROWS}
            )
    if columns is None:
        raise RosterFileError(_("The file is empty."))
    return Table(columns=columns, rows=rows, ignored_headers=ignored)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13912345678 and 1001 as floats
    return str(value).strip()


# --- Checking -------------------------------------------------------------------


class Outcome:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


OUTCOME_LABELS = {
    Outcome.CREATE: gettext_lazy("New teacher"),
    Outcome.UPDATE: gettext_lazy("Update"),
    Outcome.UNCHANGED: gettext_lazy("Unchanged"),
    Outcome.ERROR: gettext_lazy("Error"),
}


@dataclass
class RowPlan:
    line: int
    staff_number: str
    full_name: str
    outcome: str = Outcome.CREATE
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # labels of changed fields
    values: dict = field(default_factory=dict)  # cleaned values present in the file
    existing: User | None = None

    @property
    def outcome_label(self):
        return OUTCOME_LABELS[self.outcome]


@dataclass
class RosterPlan:
    school: School
    rows: list[RowPlan]
    ignored_headers: list[str]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {o: self.count(o) for o in (Outcome.CREATE, Outcome.UPDATE, Outcome.UNCHANGED, Outcome.ERROR)}

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    @property
    def error_rows(self) -> list[RowPlan]:
        return [row for row in self.rows if row.errors]


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def normalise_phone(text: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not MOBILE_RE.match(digits):
        raise ValueError(text)
    return digits


def split_list(text: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]


class _Lookups:
    """Everything the checks need, loaded in a fixed number of queries whatever the file size."""

    def __init__(self, school: School, staff_numbers: list[str]):
        self.categories = {}
        for category in TeacherCategory.objects.all():
            self.categories[category.name] = category
            self.categories[category.code.lower()] = category
        self.subjects = {subject.name: subject for subject in Subject.objects.all()}
        people = (
            User.objects.filter(
                shixun_profile__district_id=school.district_id, shixun_profile__staff_number__in=staff_numbers
            )
            .select_related("shixun_profile__school")
            .prefetch_related("shixun_profile__categories", "shixun_profile__subjects")
        )
        self.people = {person.shixun_profile.staff_number: person for person in people}


def _cleaned_row(table: Table, cells: list, lookups: _Lookups, row: RowPlan) -> None:
    def cell(name):
        index = table.columns.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    values = row.values
    if not row.full_name:
        row.errors.append(_("Name is missing."))
    elif len(row.full_name) > 100:
        row.errors.append(_("Name is longer than 100 characters."))
    else:
        values["full_name"] = row.full_name
    if not row.staff_number:
        row.errors.append(_("Staff number is missing."))
    elif not STAFF_NUMBER_RE.match(row.staff_number):
        row.errors.append(
            _("Staff number “%(value)s” may contain only letters, digits, dots, dashes and underscores.")
            % {"value": row.staff_number}
        )

    phone = _cell_text(cell("phone"))
    if phone:
        try:
            values["phone"] = normalise_phone(phone)
        except ValueError:
            row.errors.append(_("Mobile number “%(value)s” is not an 11-digit mobile number.") % {"value": phone})

    email = _cell_text(cell("email"))
    if email:
        try:
            validate_email(email)
            values["email"] = email.lower()
        except ValidationError:
            row.errors.append(_("Email address “%(value)s” is not valid.") % {"value": email})

    categories_text = _cell_text(cell("categories"))
    if categories_text:
        found, unknown = [], []
        for name in split_list(categories_text):
            category = lookups.categories.get(name) or lookups.categories.get(name.lower())
            (found.append(category) if category else unknown.append(name))
        if unknown:
            row.errors.append(
                _("Unknown teacher category: %(names)s. Known categories: %(known)s.")
                % {
                    "names": "、".join(unknown),
                    "known": "、".join(sorted({c.name for c in lookups.categories.values()})),
                }
            )
        else:
            values["categories"] = sorted({c.pk for c in found})

    subjects_text = _cell_text(cell("subjects"))
    if subjects_text:
        found, unknown = [], []
        for name in split_list(subjects_text):
            subject = lookups.subjects.get(name)
            (found.append(subject) if subject else unknown.append(name))
        if unknown:
            row.errors.append(
                _("Unknown subject: %(names)s. Ask the district office to add it first.")
                % {"names": "、".join(unknown)}
            )
        else:
            values["subjects"] = sorted({s.pk for s in found})

    start = cell("start_date")
    if _cell_text(start):
        try:
            values["start_date"] = parse_date(start)
        except ValueError:
            row.errors.append(
                _("Start date “%(value)s” is not a date; write it like 2021-09-01.") % {"value": _cell_text(start)}
            )


FIELD_LABELS = {
    "full_name": gettext_lazy("name"),
    "phone": gettext_lazy("mobile phone"),
    "email": gettext_lazy("email"),
    "categories": gettext_lazy("teacher categories"),
    "subjects": gettext_lazy("subjects"),
    "start_date": gettext_lazy("start date"),
}


def _changes(person: User, values: dict) -> list[str]:
    profile = person.shixun_profile
    changed = []
    for name, value in values.items():
        if name == "categories":
            current = sorted(c.pk for c in profile.categories.all())
        elif name == "subjects":
            current = sorted(s.pk for s in profile.subjects.all())
        else:
            current = getattr(person if name in USER_FIELDS else profile, name)
        if current != value:
            changed.append(name)
    return changed


def plan_roster(school: School, table: Table) -> RosterPlan:
    """What importing `table` into `school` would do to each row. Writes nothing."""
    staff_index = table.columns["staff_number"]
    name_index = table.columns["full_name"]

    def text_at(cells, index):
        return _cell_text(cells[index]) if index < len(cells) else ""

    staff_numbers = [text_at(cells, staff_index) for _line, cells in table.rows]
    lookups = _Lookups(school, [s for s in staff_numbers if s])
    first_line_of: dict[str, int] = {}
    plans = []
    for line, cells in table.rows:
        row = RowPlan(line=line, staff_number=text_at(cells, staff_index), full_name=text_at(cells, name_index))
        _cleaned_row(table, cells, lookups, row)
        if row.staff_number:
            key = row.staff_number
            if key in first_line_of:
                row.errors.append(
                    _("Staff number %(number)s appears twice in the file (also on line %(line)d).")
                    % {"number": key, "line": first_line_of[key]}
                )
            else:
                first_line_of[key] = line
            person = lookups.people.get(key)
            if person is not None and person.shixun_profile.school_id != school.pk:
                where = person.shixun_profile.school.name if person.shixun_profile.school else _("the district office")
                row.errors.append(
                    _("Staff number %(number)s already belongs to %(name)s at %(where)s. "
                      "A transfer between schools is made by the district office.")
                    % {"number": key, "name": person.shixun_profile.display_name, "where": where}
                )
            elif person is not None:
                row.existing = person
        if row.errors:
            row.outcome = Outcome.ERROR
        elif row.existing is not None:
            changed = _changes(row.existing, row.values)
            row.changes = [str(FIELD_LABELS[name]) for name in changed]
            row.outcome = Outcome.UPDATE if changed else Outcome.UNCHANGED
        else:
            row.outcome = Outcome.CREATE
        plans.append(row)
    return RosterPlan(school=school, rows=plans, ignored_headers=table.ignored_headers)


# --- Applying ---------------------------------------------------------------------


class RosterHasErrors(Exception):
    def __init__(self, plan: RosterPlan):
        super().__init__("roster has errors")
        self.plan = plan


@dataclass
class ImportResult:
    plan: RosterPlan
    created: list[User]
    updated: list[User]
    # (user, one-time password) for new teachers without email; shown once.
    one_time_passwords: list[tuple[User, str]]
    emailed: list[User]
    record: RosterImport | None = None  # the import's record


class RosterAlreadyImported(Exception):
    """The preview was confirmed before (another request, maybe still running a moment ago)."""

    def __init__(self, record):
        super().__init__(str(record))
        self.record = record


def _username_for(school: School, staff_number: str) -> str:
    base = f"{school.district.code}.{staff_number}".lower()[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def import_roster(
    school: School, table: Table, *, imported_by: User, request=None, preview: str | None = None
) -> ImportResult:
    """Apply a roster in one transaction, or nothing at all (RosterHasErrors).

    Locks the district row first: the staff-number rule spans the district, so
    two imports into sibling schools at the same moment must not interleave
    their check and their write.

    `preview` names the stored preview being confirmed: a preview already
    imported raises RosterAlreadyImported (checked under the same lock, so
    the same preview submitted many times at once is imported once and leaves
    one RosterImport).

    `imported_by` must administer the school (accounts.permissions.
    can_administer_school; accounts.actors.SYSTEM skips the check), else
    NotPermitted and nothing is written.
    """
    from shixun.accounts.actors import recorded_person, require
    from shixun.accounts.models import District
    from shixun.accounts.permissions import can_administer_school

    from .first_login import issue_first_login
    from .models import RosterImport

    require(
        imported_by, lambda user: can_administer_school(user, school), _("You cannot import teachers into this school.")
    )
    try:
        with transaction.atomic():
            District.objects.select_for_update().get(pk=school.district_id)
            if preview is not None:
                earlier = RosterImport.objects.filter(preview=preview).first()
                if earlier is not None:
                    raise RosterAlreadyImported(earlier)
            plan = plan_roster(school, table)
            if plan.has_errors:
                raise RosterHasErrors(plan)
            created, updated, one_time, emailed = [], [], [], []
            for row in plan.rows:
                if row.outcome == Outcome.UNCHANGED:
                    continue
                # Only what every user model has (a username and an email): the rest is the profile's.
                person = row.existing or User(**{User.USERNAME_FIELD: _username_for(school, row.staff_number)})
                if "email" in row.values:
                    setattr(person, User.get_email_field_name(), row.values["email"])
                is_new = person.pk is None
                if is_new:
                    person.set_unusable_password()
                person.save()
                profile = person.shixun_profile if not is_new else Profile(user=person, school=school)
                profile.staff_number = row.staff_number
                for name in ("full_name", "phone", "start_date"):
                    if name in row.values:
                        setattr(profile, name, row.values[name])
                profile.save()
                if "categories" in row.values:
                    profile.categories.set(row.values["categories"])
                if "subjects" in row.values:
                    profile.subjects.set(row.values["subjects"])
                if is_new:
                    created.append(person)
                    how = issue_first_login(person, request=request)
                    if how.one_time_password:
                        one_time.append((person, how.one_time_password))
                    else:
                        emailed.append(person)
                    _apply_standing_assignments(person)
                else:
                    updated.append(person)
            record = RosterImport.objects.create(
                school=school,
                imported_by=recorded_person(imported_by),
                created_count=len(created),
                updated_count=len(updated),
                unchanged_count=plan.count(Outcome.UNCHANGED),
                preview=preview,
            )
    except IntegrityError as exc:
        # The unique staff-number constraint is the last line if anything
        # slipped past the lock (e.g. an admin form saving at that moment).
        raise RosterFileError(_("Another change to the same teachers happened at the same time; try again.")) from exc
    return ImportResult(
        plan=plan, created=created, updated=updated, one_time_passwords=one_time, emailed=emailed, record=record
    )


def _apply_standing_assignments(user: User) -> None:
    """Enrol a new teacher in the courses their school or category is assigned (courses' rules)."""
    try:
        from shixun.courses.enrolment import apply_standing_assignments
    except ImportError:  # courses without standing assignments
        return
    apply_standing_assignments(user)
