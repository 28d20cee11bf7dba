"""Script in names, answers and rich text stays text; formulas in names stay text in every export.

A teacher named <script>…</script> (the roster import and the profile
accept any name) is shown escaped on every page that shows names, to the
admins and trainers who open them. A short answer with markup reaches the
trainer escaped. Rich text a trainer saves through the Wagtail admin comes
out without script, event handlers or javascript: links. A roster row named
=HYPERLINK(…) is imported as the text it is, and every CSV and Excel export
neutralises cells starting with = + - @ (or their full-width forms), tab or CR.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shixun.accounts.models import Profile

from .conftest import _module_world

pytestmark = pytest.mark.django_db

XSS_NAME = '<script>alert("name")</script>王芳'
XSS_ANSWER = '<img src=x onerror=alert("answer")>立德树人'
XSS_TITLE = '<svg onload=alert("title")>省级培训'
RAW = ("<script>alert(", "<img src=x onerror", "<svg onload")
FORMULA_PREFIXES = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def hostile(django_db_setup, django_db_blocker, h5p_store):
    yield from _module_world(
        django_db_setup, django_db_blocker, teacher_name=XSS_NAME, short_answer=XSS_ANSWER, external_title=XSS_TITLE
    )


def last_years_report(name, code, **extra):
    """A page of the annual report the world computes (last year's: the teacher is on its lists)."""
    from datetime import date

    return reverse(f"reports:{name}", kwargs={"code": code, "year": date.today().year - 1, **extra})


def page_as(client, user, url):
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# (who looks, where, what hostile text that page shows)
NAME_PAGES = [
    ("school_admin", lambda w: reverse("accounts:school", args=[w.school.code]), XSS_NAME),
    ("school_admin", lambda w: reverse("accounts:person", args=[w.teacher.pk]), XSS_NAME),
    ("school_admin", lambda w: reverse("schools:school_dashboard", args=[w.school.code]), XSS_NAME),
    ("school_admin", lambda w: reverse("schools:external_queue", args=[w.school.code]), XSS_NAME),
    ("school_admin", lambda w: reverse("courses:assign", args=[w.course.pk]), XSS_NAME),
    ("school_admin", lambda w: reverse("courses:applications"), XSS_NAME),
    ("school_admin", lambda w: reverse("transcripts:person", args=[w.teacher.pk]), XSS_NAME),
    ("district_admin", lambda w: reverse("schools:erase_person", args=[w.teacher.pk]), XSS_NAME),
    ("district_admin", lambda w: reverse("transcripts:reverse", args=[w.teacher.pk, w.entry.pk]), XSS_NAME),
    ("trainer", lambda w: reverse("quizzes:results", args=[w.module.pk, w.quiz.pk]), XSS_NAME),
    ("trainer", lambda w: reverse("quizzes:grading_queue"), XSS_NAME),
    ("trainer", lambda w: reverse("quizzes:grade", args=[w.short_item.pk]), XSS_NAME),
    ("trainer", lambda w: reverse("quizzes:grade", args=[w.short_item.pk]), XSS_ANSWER),
    ("trainer", lambda w: reverse("assignments:review_queue"), XSS_NAME),
    ("trainer", lambda w: reverse("assignments:review", args=[w.submission.pk]), XSS_NAME),
    ("trainer", lambda w: reverse("h5p:results_detail", args=[w.h5p_activity.pk]), XSS_NAME),
    ("teacher", lambda w: reverse("schools:my_external_training"), XSS_TITLE),
    ("school_admin", lambda w: reverse("schools:external_queue", args=[w.school.code]), XSS_TITLE),
    ("superuser", lambda w: "/admin/users/", XSS_NAME),
    ("district_admin", lambda w: last_years_report("district_appraisal", w.district.code), XSS_NAME),
    ("school_admin", lambda w: last_years_report("school_report", w.school.code), XSS_NAME),
]


@pytest.mark.parametrize(
    ("role", "url", "shown"), NAME_PAGES, ids=[f"{r}:{i}" for i, (r, _u, _s) in enumerate(NAME_PAGES)]
)
def test_hostile_text_is_shown_escaped(client, hostile, role, url, shown):
    from django.utils.html import escape

    content = page_as(client, hostile.role(role), url(hostile))
    for raw in RAW:
        assert raw not in content
    assert escape(shown) in content, f"{shown!r} is not on the page at all: the check proves nothing"


def test_the_public_verification_page_escapes_the_masked_name(client, hostile):
    content = page_as(client, None, reverse("transcripts:verify", args=[hostile.certificate.code]))
    assert "<script" not in content
    assert "&lt;" in content  # the name's first character, masked and escaped


def test_a_code_typed_into_the_verification_url_is_escaped(client, hostile):
    response = client.get(reverse("transcripts:verify", args=['<img src=x onerror=alert(1)>']))
    assert response.status_code == 404
    assert "<img src=x" not in response.content.decode()


# --- Rich text ------------------------------------------------------------------------------------


def hostile_contentstate() -> str:
    """What a crafted request (not the Draftail editor) could send as a paragraph's value."""
    text = "<script>alert(1)</script> 点此 看这里 再点"
    link = text.index("点此")
    return json.dumps({
        "blocks": [
            {"key": "a1", "text": text, "type": "unstyled", "depth": 0, "inlineStyleRanges": [], "data": {},
             "entityRanges": [{"offset": link, "length": 2, "key": 0}, {"offset": link + 3, "length": 3, "key": 1},
                              {"offset": link + 7, "length": 2, "key": 2}]},
            {"key": "a2", "text": "<img src=x onerror=alert(2)>", "type": "header-one", "depth": 0,
             "inlineStyleRanges": [], "entityRanges": [], "data": {"onclick": "alert(3)"}},
        ],
        "entityMap": {
            "0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "javascript:alert(document.cookie)"}},
            "1": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": " JaVaScRiPt:alert(1)"}},
            "2": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": "data:text/html,<script>alert(1)</script>"}},
        },
    })


def test_rich_text_saved_through_the_admin_stays_sanitised(client, hostile):
    from wagtail.test.utils.form_data import nested_form_data, streamfield

    from shixun.courses.models import ModulePage

    module = hostile.second_module
    client.force_login(hostile.trainer)
    data = nested_form_data({
        "title": module.title, "slug": module.slug, "credit_hours": "1.5", "introduction": "",
        "body": streamfield([("paragraph", hostile_contentstate())]),
    })
    response = client.post(reverse("wagtailadmin_pages:edit", args=[module.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    draft = ModulePage.objects.get(pk=module.pk).get_latest_revision()
    body = draft.content["body"]
    stored = json.dumps(json.loads(body) if isinstance(body, str) else body, ensure_ascii=False)
    assert "点此" in stored  # the text was saved
    assert "javascript:" not in stored.lower() and "data:text/html" not in stored and "onerror" not in stored
    draft.publish()

    client.force_login(hostile.teacher)
    content = page_as(client, None, module.url)
    lowered = content.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content  # kept as text
    for bad in ("<script>alert", "onerror=", "onclick", "javascript:", "data:text/html"):
        assert bad not in lowered.replace("&lt;img src=x onerror=", ""), bad


# --- Formula injection ----------------------------------------------------------------------------

FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "+SUM(1,2)", "-2+3", "@SUM(A1)", '=cmd|"/c calc"!A0', "＝SUM(1)"]


def roster_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "工号"])
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def import_through_the_views(client, school, data: bytes):
    url = reverse("schools:roster", args=[school.code])
    preview = client.post(url, {"file": SimpleUploadedFile("名单.csv", data)})
    assert preview.status_code == 200
    token = preview.context["confirm_form"].initial["token"]
    done = client.post(reverse("schools:roster_import", args=[school.code]), {"token": token})
    assert done.status_code == 200, done.content.decode()[:2000]
    return done


def assert_neutralised(cells, where: str):
    for cell in cells:
        text = "" if cell is None else str(cell)
        if text.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.match(text):
            raise AssertionError(f"{where}: a cell starts a formula: {text!r}")


def csv_cells(data: bytes):
    text = data.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def xlsx_cells(data: bytes):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                cells.append(cell.value)
    return cells


def test_a_roster_row_named_like_a_formula_is_imported_as_text(client, hostile):

    client.force_login(hostile.school_admin)
    rows = [[name, f"F{i:03d}"] for i, name in enumerate(FORMULA_NAMES)]
    import_through_the_views(client, hostile.school, roster_csv(rows))
    imported = dict(Profile.objects.filter(staff_number__startswith="F").values_list("staff_number", "full_name"))
    assert imported == {f"F{i:03d}": name for i, name in enumerate(FORMULA_NAMES)}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_school_exports_neutralise_formulas(client, hostile, django_capture_on_commit_callbacks, fmt):
    from shixun.schools.models import ExportJob

    client.force_login(hostile.school_admin)
    rows = [[name, f"F{i:03d}"] for i, name in enumerate(FORMULA_NAMES)]
    import_through_the_views(client, hostile.school, roster_csv(rows))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("schools:school_exports", args=[hostile.school.code]),
            {"format": fmt, "start": "2021-01-01", "end": "2030-12-31"},
        )
    assert response.status_code == 302
    job = ExportJob.objects.filter(requested_by=hostile.school_admin, format=fmt).latest("pk")
    assert job.status == ExportJob.Status.DONE, job.error
    download = client.get(reverse("schools:export_download", args=[job.pk]))
    data = b"".join(download.streaming_content)
    cells = csv_cells(data) if fmt == "csv" else xlsx_cells(data)
    for name in FORMULA_NAMES:
        assert "'" + name in cells, f"{name!r} missing from the {fmt} export"
    assert_neutralised(cells, f"school {fmt} export")


def test_the_personal_transcript_csv_and_the_quiz_results_csv_neutralise_formulas(client, hostile):

    Profile.objects.filter(user=hostile.teacher).update(full_name=FORMULA_NAMES[0], staff_number="=1+2")
    client.force_login(hostile.district_admin)
    transcript = client.get(reverse("transcripts:person_csv", args=[hostile.teacher.pk]))
    assert transcript.status_code == 200
    assert_neutralised(csv_cells(transcript.content), "transcript CSV")

    client.force_login(hostile.trainer)
    quiz = client.get(reverse("quizzes:export", args=[hostile.module.pk, hostile.quiz.pk]))
    assert quiz.status_code == 200
    cells = csv_cells(quiz.content)
    assert "'" + FORMULA_NAMES[0] in cells
    assert_neutralised(cells, "quiz results CSV")


def grade_template_cells(client, hostile) -> list[str]:
    client.force_login(hostile.trainer)
    template = client.get(reverse("transcripts:grades_csv", args=[hostile.course.pk]))
    assert template.status_code == 200
    return csv_cells(template.content)


def test_the_grade_sheet_csv_neutralises_a_formula_name_and_its_upload_shows_it_as_text(client, hostile):
    """The trainer's grade template carries names; the upload preview reads such a file back."""

    Profile.objects.filter(user=hostile.teacher).update(full_name=FORMULA_NAMES[0])
    cells = grade_template_cells(client, hostile)
    assert "'" + FORMULA_NAMES[0] in cells
    assert_neutralised(cells, "grade sheet CSV")

    hostile_csv = (
        "\ufeff工号,姓名,平时成绩\n" + f"{hostile.teacher.shixun_profile.staff_number},{XSS_NAME},=1+2\n"
    ).encode()
    preview = client.post(
        reverse("transcripts:grades_upload", args=[hostile.course.pk]),
        {"file": SimpleUploadedFile("成绩.csv", hostile_csv)},
    )
    assert preview.status_code == 200
    page = preview.content.decode().lower()
    for bad in RAW:
        assert bad not in page


def test_the_grade_sheet_csv_neutralises_formula_staff_numbers_and_usernames(client, hostile):
    from shixun.accounts.models import User

    Profile.objects.filter(user=hostile.teacher).update(staff_number="=1+2")
    User.objects.filter(pk=hostile.teacher.pk).update(username="-2+3")
    assert_neutralised(grade_template_cells(client, hostile), "grade sheet CSV")


def test_the_personal_data_export_is_json_not_a_page(client, hostile):
    client.force_login(hostile.teacher)
    response = client.get(reverse("schools:my_data"))
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert XSS_NAME in json.dumps(data, ensure_ascii=False).replace('\\"', '"')  # data, shown by nobody


# --- Generated PDFs: names are printed as the text they are ------------------------------------------

# ReportLab's Paragraph reads its own markup (<b>, <font>, <a href>, &entities;): unescaped, this name
# would print bold, link to another site, or fail the whole PDF. A spreadsheet formula rides along.
MARKUP_NAME = '=HYPERLINK("http://evil.example/","点我")<b>粗</b><a href="http://evil.example/">链</a>&amp;王'


def pdf_text(body: bytes) -> str:
    """The PDF's text as pypdf reads it back, without the whitespace that line wrapping adds."""
    from pypdf import PdfReader

    assert body.startswith(b"%PDF"), body[:200]
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def assert_printed_literally(body: bytes, name: str) -> None:
    from pypdf import PdfReader

    assert re.sub(r"\s+", "", name) in pdf_text(body)
    for page in PdfReader(io.BytesIO(body)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            assert "evil.example" not in str(action.get("/URI", "")), "the name became a link"


def download(client, user, url) -> bytes:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("teacher", lambda w: reverse("transcripts:mine_pdf")),
        ("school_admin", lambda w: reverse("transcripts:person_pdf", args=[w.teacher.pk])),
        ("teacher", lambda w: reverse("transcripts:certificate_pdf", args=[w.certificate.code])),
    ],
    ids=["my transcript", "person transcript", "certificate"],
)
def test_a_script_name_is_printed_as_text_in_transcripts_and_certificates(client, hostile, role, url):
    assert_printed_literally(download(client, hostile.role(role), url(hostile)), XSS_NAME)


def test_a_name_in_reportlab_markup_or_a_formula_is_printed_as_text_on_the_transcript(client, hostile):
    Profile.objects.filter(user=hostile.teacher).update(full_name=MARKUP_NAME)
    body = download(client, hostile.school_admin, reverse("transcripts:person_pdf", args=[hostile.teacher.pk]))
    assert_printed_literally(body, MARKUP_NAME)


def test_a_name_in_reportlab_markup_or_a_formula_is_printed_as_text_in_the_annual_report(client, hostile):
    Profile.objects.filter(user=hostile.teacher).update(full_name=MARKUP_NAME)
    url = last_years_report("district_download", hostile.district.code, fmt="pdf")
    assert_printed_literally(download(client, hostile.district_admin, url), MARKUP_NAME)


def test_a_name_in_reportlab_markup_or_a_formula_is_printed_as_text_on_a_certificate(hostile):
    """Certificates print the name they were issued to (a snapshot), so the renderer is given one directly."""
    from shixun.transcripts import certificates, pdf

    certificate = hostile.certificate.__class__.objects.get(pk=hostile.certificate.pk)
    certificate.learner_name = MARKUP_NAME
    certificate.course_title = "<font size=40>课程</font>&lt;"
    body = pdf.render_certificate(certificate, certificates.verify_url(certificate))
    assert_printed_literally(body, MARKUP_NAME)
    assert_printed_literally(body, "<font size=40>课程</font>&lt;")
