"""Scores from a CSV: a dry run that writes nothing, then the grade sheet saves all of it or none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shixun.transcripts import grades
from shixun.transcripts.models import Certificate, ComponentScore, CourseAttendance
from tests.transcripts.test_grades import graded  # noqa: F401 - fixture


def upload(client, g, text, encoding="utf-8-sig"):
    file = SimpleUploadedFile("scores.csv", text.encode(encoding), content_type="text/csv")
    return client.post(f"{g.url}upload/", {"file": file})


def test_a_good_file_is_previewed_without_saving_then_saved_from_the_preview(org, graded, client):  # noqa: F811
    client.force_login(org.trainer)
    text = "工号,姓名,校本,集中,缺勤天数\nT001,王秀英,70,80,1\nT002,,65,,\n"
    response = upload(client, graded, text)
    page = response.content.decode()
    assert response.status_code == 200 and "尚未保存" in page
    assert not ComponentScore.objects.exists() and not CourseAttendance.objects.exists()
    # The preview's form posts the planned cells to the grade sheet.
    hidden = {
        grades.score_field(org.teacher.pk, graded.school_part.pk): "70",
        grades.score_field(org.teacher.pk, graded.central.pk): "80",
        grades.absence_field(org.teacher.pk): "1",
        grades.score_field(org.sibling_teacher.pk, graded.school_part.pk): "65",
    }
    for name, value in hidden.items():
        assert f'name="{name}" value="{value}"' in page
    client.post(graded.url, hidden)
    assert ComponentScore.objects.count() == 3
    assert Certificate.objects.get(learner=org.teacher).score == 78


def test_gbk_files_from_excel_are_read(org, graded, client):  # noqa: F811
    client.force_login(org.trainer)
    response = upload(client, graded, "工号,校本\nT001,70\n", encoding="gb18030")
    assert "尚未保存" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("姓名,校本\n王秀英,70\n", "工号"),
        ("工号,校本,期末考\nT001,70,80\n", "期末考"),
        ("工号,校本\nT999,70\n", "T999"),
        ("工号,校本\nT001,170\nT002,60\n", "第 2 行"),
        ("工号,校本\nT001,70\nT001,71\n", "第 2 行"),
        ("工号,缺勤天数\nT001,1.5\n", "整数"),
        ("", "空"),
    ],
)
def test_a_bad_file_saves_nothing_and_says_which_line(org, graded, client, text, message):  # noqa: F811
    client.force_login(org.trainer)
    page = upload(client, graded, text).content.decode()
    assert message in page
    assert 'type="hidden" name="s-' not in page
    assert not ComponentScore.objects.exists() and not CourseAttendance.objects.exists()


def test_the_template_csv_lists_the_learners_with_a_bom(org, graded, client):  # noqa: F811
    client.force_login(org.trainer)
    body = client.get(f"{graded.url}csv/").content
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "工号,用户名,姓名,校本,集中,缺勤天数"
    assert "T001,teacher,王秀英" in text


def test_a_full_width_formula_staff_number_is_neutralised_in_the_template_and_matches_on_upload(
    org, graded, client  # noqa: F811
):
    org.teacher.staff_number = "＝SUM(1)"
    org.teacher.save()
    client.force_login(org.trainer)
    template = client.get(f"{graded.url}csv/").content.decode("utf-8-sig")
    assert "'＝SUM(1),teacher,王秀英" in template
    # The trainer fills in a score and uploads the template as it came.
    filled = template.replace("'＝SUM(1),teacher,王秀英,", "'＝SUM(1),teacher,王秀英,70")
    page = upload(client, graded, filled).content.decode()
    assert "尚未保存" in page
    assert f'name="{grades.score_field(org.teacher.pk, graded.school_part.pk)}" value="70"' in page


@pytest.mark.parametrize("viewer", ["teacher", "reviewer", "school_admin"])
def test_upload_and_template_are_for_the_courses_trainers_only(org, graded, client, viewer):  # noqa: F811
    client.force_login(getattr(org, viewer))
    assert client.get(f"{graded.url}upload/").status_code == 403
    assert client.get(f"{graded.url}csv/").status_code == 403


def test_a_neutralised_staff_number_in_the_template_still_matches_on_upload():
    """The template writes '=1+2 so Excel shows text; the same cell uploaded back means staff number =1+2."""
    from shixun.spreadsheets.formulas import unneutralise as _unneutralise

    assert _unneutralise("'=1+2") == "=1+2"
    assert _unneutralise("'-2+3") == "-2+3"
    assert _unneutralise("'abc") == "'abc"  # an apostrophe that guards nothing is part of the key
    assert _unneutralise("T0001") == "T0001"
