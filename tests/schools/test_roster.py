"""Roster import: reading files, the dry run's verdict on each row, the all-or-nothing import."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from shixun.accounts.models import FirstLogin, Subject, TeacherCategory, User
from shixun.schools import roster
from shixun.schools.models import RosterImport
from shixun.schools.roster import Outcome
from tests.factories import make_teacher

HEADER = "姓名,工号,手机,邮箱,类别,学科,入职日期\n"


def csv_bytes(body: str, *, encoding="utf-8-sig") -> bytes:
    return (HEADER + body).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def subjects(db):
    return {name: Subject.objects.get_or_create(name=name)[0] for name in ("语文", "数学")}


def plan_of(org, data, name="roster.csv", school=None):
    return roster.plan_roster(school or org.school, roster.read_table(data, name))


# --- reading -----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030", "gbk"])
def test_csv_in_every_encoding_excel_writes_is_read(org, subjects, encoding):
    data = csv_bytes("李明,T100,13912345678,,在职教师,语文,2020-09-01\n", encoding=encoding)
    table = roster.read_table(data, "a.csv")
    plan = roster.plan_roster(org.school, table)
    assert [(r.full_name, r.outcome) for r in plan.rows] == [("李明", Outcome.CREATE)]


def test_english_headers_and_semicolon_separated_csv_are_read(org, subjects):
    data = (
        "Name;Staff number;Mobile;Email;Categories;Subjects;Start date\n"
        "李明;T100;13912345678;a@b.cn;new;数学;2020/9/1\n"
    )
    row = plan_of(org, data.encode()).rows[0]
    assert row.outcome == Outcome.CREATE
    assert row.values["start_date"] == date(2020, 9, 1)
    assert row.values["email"] == "a@b.cn"


def test_xlsx_numbers_and_dates_from_excel_cells_are_understood(org, subjects):
    data = xlsx_bytes(
        [
            ["姓名", "工号", "手机", "邮箱", "类别", "学科", "入职日期"],
            ["李明", 1001, 13912345678, None, "在职教师、班主任", "语文，数学", datetime(2019, 9, 1)],
        ]
    )
    row = plan_of(org, data, "roster.xlsx").rows[0]
    assert row.errors == []
    assert row.staff_number == "1001"  # not "1001.0"
    assert row.values["phone"] == "13912345678"
    assert row.values["start_date"] == date(2019, 9, 1)
    assert len(row.values["categories"]) == 2 and len(row.values["subjects"]) == 2


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"", "a.csv", "empty"),
        ("手机,邮箱\n139,\n".encode(), "a.csv", "missing"),
        (b"PK\x03\x04 not really a workbook", "a.xlsx", "could not be opened"),
        (b"\xd0\xcf\x11\xe0", "a.xls", ".xls"),
        (b"whatever", "a.pdf", "CSV"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(roster.RosterFileError) as refused:
        roster.read_table(data, name)
    assert message in refused.value.message


def test_row_and_size_limits(monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 3)
    body = "".join(f"人{n},T{n}\n" for n in range(4))
    with pytest.raises(roster.RosterFileError, match="more than 3"):
        roster.read_table(("姓名,工号\n" + body).encode(), "a.csv")
    monkeypatch.setattr(roster, "MAX_FILE_BYTES", 10)
    with pytest.raises(roster.RosterFileError, match="too large"):
        roster.read_table(b"x" * 11, "a.csv")


def xlsx_with_empty_rows(empty_rows: int) -> bytes:
    """A real workbook whose sheet has the header, `empty_rows` empty rows (tiny once zipped), one teacher."""
    import zipfile

    workbook = Workbook()
    workbook.active.append(["姓名", "工号"])
    plain = io.BytesIO()
    workbook.save(plain)
    header = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>' for col, text in (("A", "姓名"), ("B", "工号"))
    )
    rows = [f"<row r=\"1\">{header}</row>"]
    rows += [f'<row r="{n}"/>' for n in range(2, empty_rows + 2)]
    last = empty_rows + 2
    rows.append(f'<row r="{last}"><c r="A{last}" t="inlineStr"><is><t>王芳</t></is></c>'
                f'<c r="B{last}" t="inlineStr"><is><t>T1</t></is></c></row>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>' + "".join(rows) + "</sheetData></worksheet>").encode()
    source = zipfile.ZipFile(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info))
    return out.getvalue()


def test_empty_rows_count_against_the_row_limit(monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 3)
    monkeypatch.setattr(roster, "BLANK_ROWS_ALLOWED", 5)
    # A few blank lines are normal and still read.
    assert len(roster.read_table(xlsx_with_empty_rows(5), "a.xlsx").rows) == 1
    # Many are not: refused after reading the limit, not after reading the file.
    with pytest.raises(roster.RosterFileError, match="more than 9 rows"):
        roster.read_table(xlsx_with_empty_rows(8), "a.xlsx")
    with pytest.raises(roster.RosterFileError, match="more than 9 rows"):
        roster.read_table(("姓名,工号\n" + "\n" * 20 + "王芳,T1\n").encode(), "a.csv")


def test_an_xlsx_that_unpacks_too_large_is_refused_before_it_is_parsed(monkeypatch):
    import openpyxl

    bomb = xlsx_with_empty_rows(100_000)
    assert len(bomb) < 300 * 1024  # ~2 MB of sheet once unpacked

    def must_not_open(*args, **kwargs):
        raise AssertionError("openpyxl opened the file")

    monkeypatch.setattr(roster, "MAX_XLSX_UNPACKED_BYTES", 1024 * 1024)
    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    with pytest.raises(roster.RosterFileError, match="unpacks to more than 1 MB"):
        roster.read_table(bomb, "a.xlsx")


# --- the dry run -------------------------------------------------------------------


def test_dry_run_reports_every_kind_of_error_and_writes_nothing(org, subjects):
    body = (
        "王一,T100,13912345678,w1@example.cn,在职教师,语文,2020-09-01\n"  # fine
        ",T101,,,,,\n"  # missing name
        "王三,T100,,,,,\n"  # duplicate staff number in the file
        "王四,T103,12345,,,,\n"  # bad phone
        "王五,T104,,not-an-email,,,\n"  # bad email
        "王六,T105,,,外星教师,,\n"  # unknown category
        "王七,T106,,,,,2020-13-45\n"  # bad date
        "王八,T002,,,,,\n"  # staff number of a teacher at the sibling school
        "王九,T107,,,,天文,\n"  # unknown subject
        "王十,,,,,,\n"  # missing staff number
    )
    users_before = User.objects.count()
    plan = plan_of(org, csv_bytes(body))
    by_line = {row.line: row for row in plan.rows}
    assert by_line[2].outcome == Outcome.CREATE
    assert "Name is missing" in by_line[3].errors[0]
    assert "appears twice" in by_line[4].errors[0] and "line 2" in by_line[4].errors[0]
    assert "11-digit" in by_line[5].errors[0]
    assert "not valid" in by_line[6].errors[0]
    assert "外星教师" in by_line[7].errors[0]
    assert "2020-13-45" in by_line[8].errors[0]
    assert org.sibling_school.name in by_line[9].errors[0]
    assert "天文" in by_line[10].errors[0]
    assert "Staff number is missing" in by_line[11].errors[0]
    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 9}
    assert User.objects.count() == users_before


def test_same_staff_number_in_another_district_is_a_different_person(org, subjects):
    # org.foreign_teacher has T001 in the other district; org.teacher has T001 here.
    plan = plan_of(org, csv_bytes("王秀英,T001,,,,,\n"), school=org.school)
    assert plan.rows[0].outcome == Outcome.UNCHANGED
    assert plan.rows[0].existing == org.teacher


@pytest.mark.parametrize("text", ["2021-09-01", "2021/9/1", "2021.09.01", "2021年9月1日", "20210901"])
def test_common_date_formats(text):
    assert roster.parse_date(text) == date(2021, 9, 1)


@pytest.mark.parametrize("text", ["139 1234 5678", "+86 13912345678", "139-1234-5678", "008613912345678"])
def test_phone_numbers_are_normalised(text):
    assert roster.normalise_phone(text) == "13912345678"


def test_categories_by_code_or_name_with_every_separator(org):
    table = roster.read_table(csv_bytes("李明,T100,,,\"new,班主任；BACKBONE、学科带头人\",,\n"), "a.csv")
    row = roster.plan_roster(org.school, table).rows[0]
    assert row.errors == [] and len(row.values["categories"]) == 4


def test_formula_looking_cells_are_kept_as_text(org):
    plan = plan_of(org, csv_bytes('"=HYPERLINK(""http://x"")",T100,,,,,\n'))
    assert plan.rows[0].values["full_name"] == '=HYPERLINK("http://x")'


# --- importing -----------------------------------------------------------------------


def run_import(org, data, name="roster.csv", school=None, **kwargs):
    return roster.import_roster(
        school or org.school, roster.read_table(data, name), imported_by=org.school_admin, **kwargs
    )


def test_import_creates_teachers_with_their_first_login(org, subjects, django_capture_on_commit_callbacks, mailoutbox):
    body = "李明,T100,13912345678,liming@example.cn,在职教师、班主任,语文,2020-09-01\n张华,T101,,,新任教师,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(org, csv_bytes(body))
    li = User.objects.get(shixun_profile__district=org.district, shixun_profile__staff_number="T100")
    profile = li.shixun_profile
    assert profile.school == org.school and profile.full_name == "李明" and profile.phone == "13912345678"
    assert sorted(c.code for c in li.shixun_profile.categories.all()) == ["class_teacher", "in_service"]
    assert [s.name for s in li.shixun_profile.subjects.all()] == ["语文"]
    assert li.shixun_profile.start_date == date(2020, 9, 1)
    # With email: a link to choose a password, and no usable password until then.
    assert not li.has_usable_password()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["liming@example.cn"]
    assert "/accounts/password/reset/" in mailoutbox[0].body
    # Without email: a one-time password that works and must be changed.
    zhang = User.objects.get(shixun_profile__district=org.district, shixun_profile__staff_number="T101")
    ((person, password),) = result.one_time_passwords
    assert person == zhang and zhang.check_password(password)
    assert FirstLogin.objects.get(user=zhang).must_change_password
    assert RosterImport.objects.get().created_count == 2


def test_reimport_updates_instead_of_duplicating_and_empty_cells_keep_values(org, subjects):
    run_import(org, csv_bytes("李明,T100,13912345678,liming@example.cn,在职教师,语文,2020-09-01\n"))
    count = User.objects.count()
    plan = plan_of(org, csv_bytes("李明明,T100,,,在职教师,语文,2020-09-01\n"))
    assert plan.rows[0].outcome == Outcome.UPDATE and plan.rows[0].changes == ["name"]
    run_import(org, csv_bytes("李明明,T100,,,在职教师,语文,2020-09-01\n"))
    assert User.objects.count() == count
    li = User.objects.get(shixun_profile__staff_number="T100", shixun_profile__district=org.district)
    assert (
        li.shixun_profile.full_name == "李明明"
        and li.shixun_profile.phone == "13912345678"
        and li.email == "liming@example.cn"
    )
    assert plan_of(org, csv_bytes("李明明,T100,,,在职教师,语文,2020-09-01\n")).rows[0].outcome == Outcome.UNCHANGED


def test_one_bad_row_means_nothing_is_imported(org, subjects):
    before = (User.objects.count(), RosterImport.objects.count())
    with pytest.raises(roster.RosterHasErrors) as refused:
        run_import(org, csv_bytes("李明,T100,,,,,\n张华,T101,not-a-phone,,,,\n"))
    assert refused.value.plan.counts["error"] == 1
    assert (User.objects.count(), RosterImport.objects.count()) == before


def test_import_checks_again_what_changed_since_the_dry_run(org, subjects):
    data = csv_bytes("李明,T100,,,,,\n")
    assert plan_of(org, data).rows[0].outcome == Outcome.CREATE
    make_teacher(org.sibling_school, staff_number="T100")  # meanwhile, at the sibling school
    with pytest.raises(roster.RosterHasErrors):
        run_import(org, data)
    assert not User.objects.filter(shixun_profile__school=org.school, shixun_profile__staff_number="T100").exists()


def test_failure_half_way_rolls_everything_back(org, subjects, monkeypatch):
    calls = []

    def explode(user, **kwargs):
        calls.append(user)
        if len(calls) == 2:
            raise RuntimeError("mail server down")
        return roster_first_login(user, **kwargs)

    from shixun.schools import first_login

    roster_first_login = first_login.issue_first_login
    monkeypatch.setattr(first_login, "issue_first_login", explode)
    with pytest.raises(RuntimeError):
        run_import(org, csv_bytes("李明,T100,,,,,\n张华,T101,,,,,\n"))
    assert not User.objects.filter(shixun_profile__staff_number__in=["T100", "T101"]).exists()
    assert not FirstLogin.objects.exists()


def test_dry_run_queries_do_not_grow_with_the_file(org, subjects, django_assert_max_num_queries):
    def body(n):
        return "".join(f"人{i},T{i:04d},,,在职教师,语文,\n" for i in range(n))

    for n in (1, 3):  # existing teachers to update, so the prefetches are exercised
        run_import(org, csv_bytes(body(n)))
    small, large = roster.read_table(csv_bytes(body(3)), "a.csv"), roster.read_table(csv_bytes(body(300)), "a.csv")
    with django_assert_max_num_queries(6):
        roster.plan_roster(org.school, small)
    with django_assert_max_num_queries(6):
        roster.plan_roster(org.school, large)


def test_imported_new_teachers_get_the_standing_course_assignments(org, subjects):
    from wagtail.models import Page

    from shixun.courses.models import AssignmentRule, CataloguePage, CoursePage, Enrolment

    root = Page.objects.get(depth=1)
    catalogue = root.add_child(instance=CataloguePage(title="课程中心", slug="roster-cat"))
    course = catalogue.add_child(instance=CoursePage(title="新教师入职培训", slug="induction", summary="入职"))
    new_teachers = TeacherCategory.objects.get(code="new")
    AssignmentRule.objects.create(course=course, school=org.school, category=new_teachers, include_future=True)
    run_import(org, csv_bytes("李明,T100,,,新任教师,,\n张华,T101,,,在职教师,,\n"))
    enrolled = set(Enrolment.objects.filter(course=course).values_list("user__shixun_profile__staff_number", flat=True))
    assert enrolled == {"T100"}  # the rule is for new teachers only


@pytest.fixture
def postgres_only(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


@pytest.mark.postgres
def test_two_schools_importing_the_same_new_staff_number_at_once(postgres_only, org):
    """The district lock serialises imports: one school gets the teacher, the other is told why not."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    outcomes = {}

    def run(school, admin):
        try:
            barrier.wait()
            roster.import_roster(school, roster.read_table(csv_bytes("李明,T900,,,,,\n"), "a.csv"), imported_by=admin)
            outcomes[school.code] = "imported"
        except roster.RosterHasErrors as refused:
            outcomes[school.code] = refused.plan.rows[0].errors[0]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(org.school, org.school_admin)),
        threading.Thread(target=run, args=(org.sibling_school, org.sibling_school_admin)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o == "imported" for o in outcomes.values()) == [False, True]
    assert User.objects.filter(shixun_profile__district=org.district, shixun_profile__staff_number="T900").count() == 1


@pytest.mark.postgres
def test_the_same_preview_confirmed_ten_times_at_once_imports_and_records_once(postgres_only, org):
    """Issue #17: ten submissions of one preview imported once but left ten import records."""
    import threading

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from shixun.schools.models import RosterImport

    admin = Client()
    admin.force_login(org.school_admin)
    preview = admin.post(
        reverse("schools:roster", args=[org.school.code]),
        {"file": SimpleUploadedFile("a.csv", csv_bytes("李明,T900,,,,,\n张华,T901,,,,,\n"))},
    )
    token = preview.context["confirm_form"].initial["token"]
    barrier = threading.Barrier(10)
    statuses = []

    def confirm():
        client = Client()
        client.force_login(org.school_admin)
        try:
            barrier.wait()
            response = client.post(reverse("schools:roster_import", args=[org.school.code]), {"token": token})
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [302] * 9
    imported = User.objects.filter(
        shixun_profile__district=org.district, shixun_profile__staff_number__in=["T900", "T901"]
    )
    assert imported.count() == 2
    record = RosterImport.objects.get()
    assert (record.created_count, record.updated_count, record.unchanged_count) == (2, 0, 0)
