"""Transcript page, downloads, reversal and rule administration, with object permissions."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from shixun.transcripts import pdf
from shixun.transcripts.ledger import post_entry
from shixun.transcripts.models import LedgerEntry, PeriodKind, RequirementRule, SourceKind
from tests.transcripts.helpers import make_category


def credit(user, hours, day, ref, title="校本研修", category=None):
    return post_entry(
        learner=user,
        hours=Decimal(hours),
        title=title,
        source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=ref,
        earned_on=day,
        category_id=category.pk if category else None,
    ).entry


@pytest.fixture
def credited(org):
    RequirementRule.objects.create(
        district=org.district,
        name="每年不少于80学时",
        period_kind=PeriodKind.CALENDAR_YEAR,
        minimum_hours=Decimal("80"),
    )
    ethics = make_category("师德师风")
    entries = [
        credit(org.teacher, "12", date(2025, 3, 1), "a", "师德师风专题", ethics),
        credit(org.teacher, "6.5", date(2024, 11, 2), "b", '=HYPERLINK("http://evil")'),
    ]
    return entries


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("teacher", 200),
        ("school_admin", 200),
        ("district_admin", 200),
        ("superuser", 200),
        ("sibling_school_admin", 403),
        ("foreign_district_admin", 403),
        ("sibling_teacher", 403),
        ("trainer", 403),
    ],
)
@pytest.mark.parametrize("suffix", ["", "pdf/", "csv/"])
def test_who_may_open_a_teachers_transcript(org, credited, client, viewer, status, suffix):
    client.force_login(getattr(org, viewer))
    assert client.get(f"/transcript/{org.teacher.pk}/{suffix}").status_code == status


def test_anonymous_is_sent_to_login(client, org):
    assert client.get("/transcript/").status_code == 302
    assert client.get(f"/transcript/{org.teacher.pk}/csv/").status_code == 302


def test_own_transcript_groups_by_year_and_shows_requirements(org, credited, client):
    client.force_login(org.teacher)
    page = client.get("/transcript/").content.decode()
    assert "每年不少于80学时" in page
    assert "师德师风专题" in page
    assert page.index("2025") < page.index("2024")  # newest year first
    assert "/reverse/" not in page  # a teacher cannot reverse their own credit


def test_reversal_by_district_admin_is_shown(org, credited, client):
    entry = credited[0]
    url = f"/transcript/{org.teacher.pk}/entries/{entry.pk}/reverse/"
    client.force_login(org.school_admin)
    assert client.post(url, {"reason": "x"}).status_code == 403
    client.force_login(org.district_admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and not LedgerEntry.objects.filter(reverses=entry).exists()
    response = client.post(url, {"reason": "证明材料不实"})
    assert response.status_code == 302
    assert LedgerEntry.objects.get(reverses=entry).hours == Decimal("-12")
    again = client.post(url, {"reason": "again"})
    assert again.status_code == 200 and LedgerEntry.objects.filter(reverses=entry).count() == 1
    client.force_login(org.teacher)
    assert "证明材料不实" in client.get("/transcript/").content.decode()


def test_csv_has_bom_and_neutralises_formulas(org, credited, client):
    client.force_login(org.teacher)
    body = client.get("/transcript/csv/").content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    titles = [row[3] for row in rows[1:]]
    assert "师德师风专题" in titles
    assert '\'=HYPERLINK("http://evil")' in titles
    # The PDF's order (newest first), and whose hours they are on every row (issue #16).
    assert [row[6] for row in rows[1:]] == ["12.0", "6.5"]
    assert {tuple(row[:2]) for row in rows[1:]} == {("王秀英", "T001")}


def test_csv_neutralises_a_full_width_formula(org, client):
    credit(org.teacher, "2", date(2025, 4, 1), "fw", "＝SUM(1)")
    client.force_login(org.teacher)
    rows = list(csv.reader(io.StringIO(client.get("/transcript/csv/").content.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == ["'＝SUM(1)"]


def test_transcript_pdf_renders_chinese(org, credited, client, tmp_path):
    client.force_login(org.teacher)
    response = client.get("/transcript/pdf/")
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in ["王秀英", "实验小学", "师德师风专题", "每年不少于80学时", "18.5"]:
        assert expected in text
    fonts = [font.get_object() for page in reader.pages for font in page["/Resources"]["/Font"].get_object().values()]
    if pdf.cjk_font() == pdf.FONT_NAME:
        # A TrueType CJK font is installed: it must be embedded in the file, not left to the reader.
        assert any("/FontFile2" in f.get("/FontDescriptor", {}) for f in fonts), fonts


def test_district_admin_manages_only_their_rules(org, client):
    other = RequirementRule.objects.create(
        district=org.other_district, name="外区", period_kind=PeriodKind.CALENDAR_YEAR, minimum_hours=Decimal("10")
    )
    client.force_login(org.school_admin)
    assert client.get("/transcript/rules/").status_code == 403
    client.force_login(org.district_admin)
    assert client.get(f"/transcript/rules/{other.pk}/").status_code == 404
    form = {
        "name": "五年360",
        "period_kind": "cycle",
        "cycle_start_year": "",
        "cycle_years": "5",
        "minimum_hours": "360",
        "active": "on",
        "sort_order": "0",
        "minimums-TOTAL_FORMS": "0",
        "minimums-INITIAL_FORMS": "0",
    }
    response = client.post("/transcript/rules/new/", form)
    assert response.status_code == 200 and not RequirementRule.objects.filter(name="五年360").exists()
    response = client.post("/transcript/rules/new/", {**form, "cycle_start_year": "2021"})
    assert response.status_code == 302
    rule = RequirementRule.objects.get(name="五年360")
    assert rule.district == org.district and rule.cycle_start_year == 2021
    assert "五年360" in client.get("/transcript/rules/").content.decode()
    assert "外区" not in client.get("/transcript/rules/").content.decode()


def test_own_transcript_links_to_registering_training_done_elsewhere(org, client):
    """Issue #16: the registration was only under My account; a teacher looks for hours on the transcript."""
    from django.urls import reverse

    link = f'href="{reverse("schools:my_external_training")}"'
    client.force_login(org.teacher)
    assert link in client.get("/transcript/").content.decode()
    # Someone else's transcript is not where they register their own training.
    client.force_login(org.district_admin)
    assert link not in client.get(f"/transcript/{org.teacher.pk}/").content.decode()
