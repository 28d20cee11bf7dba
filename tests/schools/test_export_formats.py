"""Export formats are one table: a format registered in one entry is offered, run, stored and downloaded."""

import io
import json
import zipfile
from datetime import date

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from shixun.schools import exports, jobs
from shixun.schools.forms import ExportForm
from shixun.schools.models import ExportJob
from tests.factories import make_teacher

START, END = date(2026, 1, 1), date(2026, 6, 30)


def write_json(scope, start, end, out, progress=None):
    teachers = list(scope.teachers().values_list("username", flat=True))
    out.write(json.dumps({"teachers": teachers}).encode())
    return len(teachers)


def write_json_part(scope, start, end, teacher_ids, out):
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for pk in teacher_ids:
            archive.writestr(f"{pk}.json", json.dumps({"teacher": pk}))
    return len(teacher_ids)


@pytest.fixture
def json_format(monkeypatch):
    fmt = exports.ExportFormat("json", gettext_lazy("Teachers as JSON"), "json", "application/json", write_json)
    monkeypatch.setitem(exports.FORMATS, "json", fmt)
    return fmt


def test_the_four_formats_and_their_labels():
    assert list(exports.FORMATS) == ["xlsx", "csv", "pdf-zip", "files-zip"]
    assert [fmt.extension for fmt in exports.FORMATS.values()] == ["xlsx", "csv", "zip", "zip"]
    assert [fmt.key for fmt in exports.FORMATS.values() if fmt.chunked] == ["pdf-zip", "files-zip"]
    assert ExportJob._meta.get_field("format").choices == exports.format_choices()
    with translation.override("zh-hans"):
        labels = [str(label) for _key, label in exports.format_choices()]
    assert labels == ["Excel（汇总表和明细表）", "CSV（每条学时记录一行）", "PDF 学时证明压缩包（每位教师一份）",
                      "教师培训档案压缩包（每位教师一个 PDF，含全部记录）"]


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        exports.get_format("docx")


def test_a_registered_format_is_offered_run_and_downloaded(client, org, json_format,
                                                          django_capture_on_commit_callbacks):
    assert ("json", json_format.label) in ExportForm().fields["format"].choices
    client.force_login(org.school_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("schools:school_exports", args=[org.school.code]),
            {"start": "2026-01-01", "end": "2026-06-30", "format": "json"},
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.format == "json" and job.status == ExportJob.Status.DONE
    assert "Teachers as JSON" in client.get(reverse("schools:export_job", args=[job.pk])).content.decode()
    download = client.get(reverse("schools:export_download", args=[job.pk]))
    assert download["Content-Type"] == "application/json"
    assert f"transcripts-{org.school.code}-20260101-20260630.json" in download["Content-Disposition"]
    assert org.teacher.username in json.loads(b"".join(download.streaming_content))["teachers"]


def test_the_command_accepts_a_registered_format(org, json_format, tmp_path):
    path = tmp_path / "out.json"
    call_command(
        "export_transcripts", "--school", org.school.code, "--from", "2026-01-01", "--to", "2026-06-30",
        "--format", "json", "--output", str(path), stdout=io.StringIO(),
    )
    assert org.teacher.username in json.loads(path.read_text())["teachers"]


def test_a_registered_chunked_format_runs_in_parts(org, monkeypatch, settings, django_capture_on_commit_callbacks):
    settings.SHIXUN_EXPORT_CHUNK_TEACHERS = 1
    make_teacher(org.school, full_name="李明", staff_number="T009")  # two teachers: two parts
    fmt = exports.ExportFormat(
        "json-zip", gettext_lazy("Teachers as JSON"), "zip", "application/zip", write_json, write_part=write_json_part
    )
    monkeypatch.setitem(exports.FORMATS, fmt.key, fmt)
    scope = exports.Scope(district=org.district, school=org.school)
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.request_export(org.school_admin, scope, START, END, "json-zip")
    job.refresh_from_db()
    teachers = scope.teachers().count()
    assert job.status == ExportJob.Status.DONE and job.chunks.count() == teachers > 1
    with storages["private"].open(job.file, "rb") as stored:
        assert len(zipfile.ZipFile(io.BytesIO(stored.read())).namelist()) == teachers


@pytest.mark.django_db
def test_a_job_not_yet_started_says_it_waits_not_zero_of_zero(client, org):
    """Issue #16: "已完成 0 / 0 位教师" before the job had counted anyone."""
    job = ExportJob.objects.create(
        requested_by=org.district_admin, district=org.district, start=START, end=END, format="xlsx", fingerprint="w",
    )
    client.force_login(org.district_admin)
    page = client.get(reverse("schools:export_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "排队中" in page and "0 / 0" not in page and "Excel" in page  # the format's label, not its code
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, total_count=40, done_count=10)
    page = client.get(reverse("schools:export_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "排队中" not in page and "10" in page and "40" in page
