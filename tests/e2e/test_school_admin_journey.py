"""A school admin imports the teacher list and downloads every teacher's transcript.

Through the real pages in a real browser: the roster upload with its dry run
(a file with one bad row, then the corrected file), the import, the school
dashboard, and the three transcript downloads, which the django-q2 cluster
prepares in the background; each file is read back as a program would.
"""

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from .conftest import log_in
from .helpers import browser_page, download, messages_text, pdf_text, reload_until, site_json

pytestmark = pytest.mark.e2e

ADMIN = "gz-shiyan.admin"
SCHOOL = "gz-shiyan"
SCHOOL_NAME = "甘州区实验小学"
HEADER = "姓名,工号,手机,邮箱,类别,学科,入职日期"
GOOD_ROWS = [
    "孙雨桐,T9001,13900001111,,在职教师,语文,2020-09-01",
    "马嘉怡,T9002,{phone},majy@example.edu.cn,新任教师、班主任,数学,2025/9/1",
]


def roster_csv(phone: str) -> bytes:
    # As Excel on Chinese Windows saves "CSV UTF-8": with a BOM and CRLF.
    lines = [HEADER, *(row.format(phone=phone) for row in GOOD_ROWS)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def imported_people(site) -> dict:
    return site_json(
        site,
        """
from shixun.accounts.models import Profile
print(json.dumps({p.staff_number: {"name": p.full_name, "school": p.school.code, "phone": p.phone,
    "categories": sorted(c.name for c in p.categories.all())}
    for p in Profile.objects.filter(staff_number__in=["T9001", "T9002"]).select_related("school")},
    ensure_ascii=False))
""",
    )


def check_file(page, content: bytes, name: str = "教师名单.csv") -> str:
    page.set_input_files(
        "input[type=file][name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    page.get_by_role("button", name="检查文件").click()
    page.wait_for_load_state()
    return page.locator("main").inner_text()


def prepare_download(page, site, fmt: str, start: date, end: date) -> tuple[str, bytes]:
    page.goto(f"{site.url}/schools/{SCHOOL}/exports/")
    # Typed in, as a person would (see the test about the pre-filled period below).
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", end.isoformat())
    page.check(f"input[name=format][value='{fmt}']")
    page.get_by_role("button", name="生成下载文件").click()
    page.wait_for_load_state()
    assert re.search(r"/schools/exports/\d+/$", page.url), page.url
    # The progress page refreshes itself; refresh as well, within a deadline.
    reload_until(page, lambda p: p.get_by_role("link", name="下载", exact=True).count() == 1, what=f"the {fmt} export")
    return download(page, page.get_by_role("link", name="下载", exact=True))


def first_login_of_an_imported_teacher(site, browser, screenshot, one_time_password: str) -> None:
    """She logs in with her staff number and the printed password, must choose her own, and finds
    the course the district assigns to every teacher, including those added later."""
    with browser_page(browser) as page:
        log_in(page, site, "T9001", one_time_password)
        page.goto(site.url + "/learn/")  # anything else sends her to the password form first
        assert page.url == site.url + "/accounts/password/change/"
        screenshot(page, "first-login")
        page.fill("input[name=old_password]", one_time_password)
        page.fill("input[name=new_password1]", "Lanzhou-2026-chalk")
        page.fill("input[name=new_password2]", "Lanzhou-2026-chalk")
        page.locator("form:has(input[name=new_password1]) button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(site.url + "/learn/")
        assert page.url == site.url + "/learn/"
        assert "信息技术应用能力提升" in page.locator("main").inner_text()


def test_school_admin_imports_the_roster_and_reads_back_every_download(site, browser, screenshot):
    year = date.today().year
    with browser_page(browser) as page:
        log_in(page, site, ADMIN)
        page.goto(f"{site.url}/schools/{SCHOOL}/")
        assert SCHOOL_NAME in page.locator("h1").inner_text()
        page.get_by_role("link", name="导入教师名单").click()
        page.wait_for_load_state()

        # Dry run of a file with one bad phone number: shown, nothing written.
        preview = check_file(page, roster_csv(phone="1390000"))
        assert "新增 1 人" in preview and "1 行有错误" in preview
        bad_row = page.locator("tr.outcome-error")
        assert bad_row.count() == 1
        assert "T9002" in bad_row.inner_text() and "1390000" in bad_row.inner_text()
        assert "尚未写入任何数据" in preview
        assert page.locator("form[action$='/roster/import/']").count() == 0  # no import button
        screenshot(page, "roster-error")
        assert imported_people(site) == {}

        # The corrected file: a clean dry run, then the import.
        preview = check_file(page, roster_csv(phone="13900002222"))
        assert "新增 2 人" in preview and "0 行有错误" in preview
        assert page.locator("tr.outcome-error").count() == 0
        screenshot(page, "roster-clean")
        assert imported_people(site) == {}
        page.locator("form[action$='/roster/import/'] button[type=submit]").click()
        page.wait_for_load_state()
        assert "导入完成" in page.locator("h1").inner_text()
        assert "导入完成：新增 2 人，更新 0 人" in messages_text(page)
        screenshot(page, "roster-imported")
        people = imported_people(site)
        assert people == {
            "T9001": {"name": "孙雨桐", "school": SCHOOL, "phone": "13900001111", "categories": ["在职教师"]},
            "T9002": {
                "name": "马嘉怡",
                "school": SCHOOL,
                "phone": "13900002222",
                "categories": sorted(["新任教师", "班主任"]),
            },
        }

        # 孙雨桐 has no email: her one-time password is on the printable list.
        page.get_by_role("link", name="打开打印页").click()
        page.wait_for_load_state()
        slip = page.locator(".password-slip", has_text="孙雨桐")
        one_time_password = slip.locator("code.otp").inner_text().strip()
        assert one_time_password and "马嘉怡" not in page.locator("main").inner_text()  # she was emailed a link
        screenshot(page, "first-passwords")

        first_login_of_an_imported_teacher(site, browser, screenshot, one_time_password)

        # The dashboard lists them.
        page.goto(f"{site.url}/schools/{SCHOOL}/")
        dashboard = page.locator("main").inner_text()
        assert "孙雨桐" in dashboard and "马嘉怡" in dashboard
        screenshot(page, "dashboard")

        start, end = date(year, 1, 1), date(year, 12, 31)
        csv_name, csv_bytes = prepare_download(page, site, "csv", start, end)
        xlsx_name, xlsx_bytes = prepare_download(page, site, "xlsx", start, end)
        zip_name, zip_bytes = prepare_download(page, site, "pdf-zip", start, end)
        screenshot(page, "export-ready")

    assert csv_name.endswith(".csv") and xlsx_name.endswith(".xlsx") and zip_name.endswith(".zip")

    # CSV: UTF-8 with a BOM (so Excel opens it in Chinese), one row per entry.
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert rows and {"学校", "工号", "姓名", "学时"} <= set(rows[0])
    assert {row["学校"] for row in rows} == {SCHOOL_NAME}
    csv_staff = {row["工号"] for row in rows}
    assert {"T9001", "T9002", "T0001"} <= csv_staff
    csv_hours = {}
    for row in rows:
        csv_hours[row["工号"]] = csv_hours.get(row["工号"], Decimal(0)) + Decimal(row["学时"] or 0)
    assert csv_hours["T9001"] == 0 and csv_hours["T0001"] > 0

    # Excel: a summary sheet (one row per teacher) and an entries sheet, agreeing with the CSV.
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx_bytes), read_only=True)
    assert workbook.sheetnames == ["汇总", "学时明细"]
    summary = list(workbook["汇总"].iter_rows(values_only=True))
    assert SCHOOL_NAME in summary[0][0] and str(year) in summary[0][0]  # a title row naming the scope
    header_at = next(i for i, row in enumerate(summary) if "工号" in row)
    header, body = summary[header_at], summary[header_at + 1 :]
    staff_col, hours_col, count_col = (header.index("工号"), header.index("学时"), header.index("明细条数"))
    excel_hours = {r[staff_col]: Decimal(str(r[hours_col] or 0)) for r in body if r[staff_col]}
    assert set(excel_hours) == csv_staff
    assert excel_hours == csv_hours
    csv_counts = {staff: sum(1 for row in rows if row["工号"] == staff and row["日期"]) for staff in csv_staff}
    assert {r[staff_col]: r[count_col] for r in body if r[staff_col]} == csv_counts
    entries = list(workbook["学时明细"].iter_rows(values_only=True))
    assert sum(1 for row in entries if row and row[1] in csv_staff) == sum(csv_counts.values())

    # Zip: one PDF per teacher, each a readable transcript in Chinese.
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        names = archive.namelist()
        assert all(name.endswith(".pdf") for name in names)
        assert {name.split("-", 1)[0] for name in names} == csv_staff
        t0001 = next(name for name in names if name.startswith("T0001-"))
        text = pdf_text(archive.read(t0001))
    teacher_name = t0001.split("-", 1)[1].removesuffix(".pdf")
    assert teacher_name in text


def test_the_export_form_offers_this_year_without_typing(site, browser):
    today = date.today()
    with browser_page(browser) as page:
        log_in(page, site, ADMIN)
        page.goto(f"{site.url}/schools/{SCHOOL}/exports/")
        assert page.input_value("#id_start") == date(today.year, 1, 1).isoformat()
        assert page.input_value("#id_end") == today.isoformat()
