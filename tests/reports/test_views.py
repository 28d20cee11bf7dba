"""The report page, its files, the appraisal list and the command: per role, read back, hostile text as text."""

import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from shixun.reports.models import AnnualReport
from shixun.transcripts import pdf

YEAR = 2025
HOSTILE = '=HYPERLINK("http://evil","点我")'


def url(name, code, year=YEAR, **kwargs):
    return reverse(f"reports:{name}", kwargs={"code": code, "year": year, **kwargs})


@pytest.fixture
def computed(world, client):
    """The district's 2025 report, computed by the district admin's POST."""
    from shixun.accounts.models import Profile

    Profile.objects.filter(user=world.school_admin).update(full_name=HOSTILE)
    client.force_login(world.district_admin)
    response = client.post(url("district_compute", world.district.code))
    assert response.status_code == 302
    client.logout()
    return world


def test_district_admin_opens_the_report_with_charts_and_tables(computed, client):
    o = computed
    client.force_login(o.district_admin)
    html = client.get(url("district_report", o.district.code)).content.decode()
    assert html.count('<svg class="bar-chart"') >= 5
    assert "<table>" in html and "205.0" in html  # hours in total, also as a table
    assert o.school.name in html and o.sibling_school.name in html
    assert "No evaluation data yet." in html
    assert reverse("reports:school_report", kwargs={"code": o.school.code, "year": YEAR}) in html


def test_not_computed_yet_offers_the_computation_and_a_get_writes_nothing(world, client):
    client.force_login(world.district_admin)
    html = client.get(url("district_report", world.district.code)).content.decode()
    assert "This report has not been computed yet." in html
    assert not AnnualReport.objects.exists()
    assert client.get(url("district_compute", world.district.code)).status_code == 405
    # The files wait for the computation instead of computing on a GET.
    response = client.get(url("district_download", world.district.code, fmt="pdf"))
    assert response.status_code == 302 and not AnnualReport.objects.exists()


@pytest.mark.parametrize("who, allowed", [
    ("teacher", False), ("trainer", False), ("reviewer", False), ("school_admin", False),
    ("sibling_school_admin", False), ("foreign_district_admin", False), ("district_admin", True), ("superuser", True),
])
def test_district_report_per_role(computed, client, who, allowed):
    o = computed
    client.force_login(getattr(o, who))
    for name, extra in (("district_report", {}), ("district_download", {"fmt": "xlsx"}),
                        ("district_appraisal", {}), ("district_appraisal_download", {"fmt": "csv"})):
        response = client.get(url(name, o.district.code, **extra))
        assert response.status_code == (200 if allowed else 404), (name, response.status_code)
    response = client.post(url("district_compute", o.district.code))
    assert response.status_code == (302 if allowed else 404)


@pytest.mark.parametrize("who, allowed", [
    ("teacher", False), ("trainer", False), ("sibling_school_admin", False), ("foreign_district_admin", False),
    ("school_admin", True), ("district_admin", True), ("superuser", True),
])
def test_school_report_per_role(computed, client, who, allowed):
    o = computed
    client.force_login(getattr(o, who))
    response = client.get(url("school_report", o.school.code))
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        html = response.content.decode()
        assert o.school.name in html and o.sibling_school.name not in html


def test_a_year_one_may_not_see_is_not_found(computed, client):
    client.force_login(computed.district_admin)
    assert client.get(url("district_report", computed.district.code, year=date.today().year + 1)).status_code == 404
    assert client.get(url("district_report", computed.district.code, year=1999)).status_code == 404
    assert client.get(url("district_report", "no-such-district")).status_code == 404
    assert client.get(url("district_download", computed.district.code, fmt="docx")).status_code == 404
    anonymous = client.__class__()
    assert anonymous.get(url("district_report", computed.district.code)).status_code == 302


def test_pdf_reads_back_with_chinese_embedded(computed, client):
    o = computed
    client.force_login(o.district_admin)
    response = client.get(url("district_download", o.district.code, fmt="pdf"))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ["甘州区", "实验小学", "第二中学", "每年 80 学时", "205.0", "王秀英", "师德师风"]:
        assert expected in text, expected
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].get_object().values()]
    if pdf.cjk_font() == pdf.FONT_NAME:
        assert any("/FontFile2" in f.get("/FontDescriptor", {}) for f in fonts), fonts


def test_excel_has_every_sheet_and_neutralises_names(computed, client):
    o = computed
    client.force_login(o.district_admin)
    response = client.get(url("district_download", o.district.code, fmt="xlsx"))
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert {"Overview", "Schools", "Hours per month", "Appraisal list", "At risk", "Satisfaction"} <= set(
        book.sheetnames
    )
    overview = {row[0]: row[-1] for row in book["Overview"].iter_rows(values_only=True)}
    assert overview["Hours in total"] == 205 and overview["Teachers"] == 4
    names = [row[2] for row in book["Appraisal list"].iter_rows(min_row=2, values_only=True)]
    assert "'" + HOSTILE in names and HOSTILE not in names


def test_appraisal_list_per_school_and_its_exports(computed, client):
    o = computed
    client.force_login(o.school_admin)
    html = client.get(url("school_appraisal", o.school.code)).content.decode()
    assert "HYPERLINK" in html and "<script" not in html
    assert o.sibling_teacher.shixun_profile.full_name not in html  # another school's teacher
    rows = list(csv.reader(io.StringIO(
        client.get(url("school_appraisal_download", o.school.code, fmt="csv")).content.decode("utf-8-sig")
    )))
    assert rows[0][:3] == ["School", "Staff number", "Name"]
    assert [row[2] for row in rows[1:]] == ["'" + HOSTILE]
    book = load_workbook(io.BytesIO(client.get(url("school_appraisal_download", o.school.code, fmt="xlsx")).content))
    assert [row[2] for row in book.active.iter_rows(min_row=4, values_only=True)] == ["'" + HOSTILE]


def test_a_large_district_is_computed_by_the_queue(world, client, settings, django_capture_on_commit_callbacks):
    settings.SHIXUN_REPORT_INLINE_TEACHERS = 1
    client.force_login(world.district_admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("district_compute", world.district.code))
    assert response.status_code == 302
    assert len(callbacks) == 1  # the django-q2 task (sync in tests) ran after the commit
    report = AnnualReport.objects.get(district=world.district, year=YEAR)
    assert report.status == AnnualReport.Status.DONE and report.data["scopes"]["district"]["hours"] == 205.0


def test_a_second_request_joins_the_computation_under_way(world):
    from shixun.reports import jobs

    first = jobs.request_report(world.district, YEAR, inline=False)
    assert first.status == AnnualReport.Status.PENDING
    again = jobs.request_report(world.district, YEAR, inline=False)
    assert again.pk == first.pk and again.requested_at == first.requested_at


def test_criteria_for_the_district_admin_only(world, client):
    client.force_login(world.school_admin)
    assert client.get(reverse("reports:criteria", kwargs={"code": world.district.code})).status_code == 404
    client.force_login(world.district_admin)
    target = reverse("reports:criteria", kwargs={"code": world.district.code})
    response = client.post(target, {"minimum_hours": "-5", "minimum_grade": "120"})
    assert response.status_code == 200 and not world.district.__class__.objects.filter(report_criteria__isnull=False)
    client.post(target, {"minimum_hours": "40", "all_requirements_met": "on", "minimum_grade": "85"})
    criteria = world.district.report_criteria
    assert (criteria.minimum_hours, criteria.minimum_grade, criteria.all_requirements_met) == (40, 85, True)


def test_command_writes_pdf_and_excel(world, tmp_path):
    target = tmp_path / "report.pdf"
    call_command("training_report", district=world.district.code, year=YEAR, format="pdf", output=str(target))
    assert "205.0" in "".join(page.extract_text() for page in PdfReader(target).pages)
    target = tmp_path / "report.xlsx"
    call_command("training_report", "--district", world.district.code, "--year", str(YEAR), "--format", "xlsx",
                 "--output", str(target))
    assert "Overview" in load_workbook(target).sheetnames
    with pytest.raises(CommandError, match="no district"):
        call_command("training_report", district="nowhere", year=YEAR, format="pdf", output=str(target))
    with pytest.raises(CommandError, match="no report for 1990"):
        call_command("training_report", district=world.district.code, year=1990, format="pdf", output=str(target))


def test_page_reads_in_chinese_without_evaluations(computed):
    from django.test import Client

    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(computed.district_admin)
    html = chinese.get(url("district_report", computed.district.code)).content.decode()
    assert "暂无评价数据" in html and "每月学时" in html


def test_the_page_does_not_read_the_teacher_lists(computed, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(computed.school_admin)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url("school_report", computed.school.code)).content.decode()
    assert not any('"lists"' in q["sql"] for q in queries), "the page read the whole lists"
    assert "HYPERLINK" in html  # the school's own at-risk preview
    assert computed.sibling_teacher.shixun_profile.full_name not in html


def test_the_cached_report_holds_no_names_so_erasure_reaches_the_page(computed, client):
    import json

    from shixun.accounts.actors import SYSTEM
    from shixun.schools.personal_data import erase_person

    o = computed
    report = AnnualReport.objects.get(district=o.district, year=YEAR)
    stored = json.dumps([report.data, report.lists], ensure_ascii=False)
    assert "HYPERLINK" not in stored and o.sibling_teacher.shixun_profile.full_name not in stored
    name = o.sibling_teacher.shixun_profile.full_name
    client.force_login(o.district_admin)
    assert name in client.get(url("district_appraisal", o.district.code)).content.decode()
    erase_person(o.sibling_teacher, erased_by=SYSTEM)
    assert name not in client.get(url("district_appraisal", o.district.code)).content.decode()


def test_a_lost_computation_can_be_requested_again(world, client):
    from datetime import timedelta

    from django.utils import timezone

    from shixun.reports import jobs

    first = jobs.request_report(world.district, YEAR, inline=False)
    AnnualReport.objects.filter(pk=first.pk).update(requested_at=timezone.now() - timedelta(minutes=11))
    client.force_login(world.district_admin)
    html = client.get(url("district_report", world.district.code)).content.decode()
    assert "Compute the report" in html and 'http-equiv="refresh"' not in html
    again = jobs.request_report(world.district, YEAR, inline=False)
    assert again.requested_at > first.requested_at
