"""A large zip of PDFs in parts: one task per part, a join at the end, failures and re-deliveries."""

import dataclasses
import io
import zipfile
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.storage import storages
from pypdf import PdfReader

from shixun.schools import exports, jobs
from shixun.schools.models import ExportChunk, ExportJob
from tests.factories import make_teacher

_refs = count(1)
START, END = date(2026, 1, 1), date(2026, 6, 30)


def credit(teacher, hours, on):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    return post_entry(
        learner=teacher, hours=Decimal(hours), title="校本研修", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"parts-test-{next(_refs)}", earned_on=on,
    ).entry


@pytest.fixture
def district_scope(org):
    for n in range(3):
        credit(make_teacher(org.sibling_school, full_name=f"分校教师{n}"), f"{n + 1}", date(2026, 4, 1))
    credit(org.teacher, "12", date(2026, 3, 1))
    return exports.Scope(district=org.district)


@pytest.fixture
def small_parts(settings):
    settings.SHIXUN_EXPORT_CHUNK_TEACHERS = 2


def read_zip(job) -> zipfile.ZipFile:
    with storages["private"].open(job.file, "rb") as stored:
        return zipfile.ZipFile(io.BytesIO(stored.read()))


def test_a_district_pdf_zip_runs_in_parts_and_is_joined(org, district_scope, small_parts,
                                                         django_capture_on_commit_callbacks):
    teachers = district_scope.teachers().count()
    with django_capture_on_commit_callbacks(execute=True):  # the queue runs inline in tests
        job, created = jobs.request_export(org.district_admin, district_scope, START, END, "pdf-zip")
    assert created
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.percent == 100
    assert job.total_count == job.done_count == teachers
    chunks = list(job.chunks.all())
    assert len(chunks) == (teachers + 1) // 2 > 2 and all(c.done for c in chunks)
    everyone = district_scope.teachers().values_list("pk", flat=True)
    assert sorted(pk for c in chunks for pk in c.teacher_ids) == sorted(everyone)
    archive = read_zip(job)
    names = archive.namelist()
    assert len(names) == len(set(names)) == teachers
    assert {name.split("/")[0] for name in names} == {org.school.code, org.sibling_school.code}
    mine = next(n for n in names if n.startswith(f"{org.school.code}/T001-"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(mine))).pages)
    assert "王秀英" in text and "12.0" in text
    # Joined entries keep the date they were rendered (zipfile would date them 1980-01-01).
    assert all(info.date_time[0] >= 2026 for info in archive.infolist())
    # The parts are gone once joined: only the final file is left.
    _dirs, files = storages["private"].listdir(f"exports/{job.pk}/parts")
    assert files == []


def test_a_part_delivered_again_overwrites_its_own_file(org, district_scope, small_parts,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = jobs.request_export(org.district_admin, district_scope, START, END, "pdf-zip")
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        assert jobs.run_export(job.pk) == f"{ExportChunk.objects.filter(job=job).count()} parts"
    assert len(enqueued) == 1  # the parts are enqueued once the plan is committed
    first = jobs.run_chunk(job.pk, 0)
    assert jobs.run_chunk(job.pk, 0) == "skipped"  # a finished part is left alone
    # A worker that died after writing the file but before marking the part done:
    ExportChunk.objects.filter(job=job, index=0).update(done=False)
    assert jobs.run_chunk(job.pk, 0) == first  # same name: overwritten, not a second file
    _dirs, files = storages["private"].listdir(f"exports/{job.pk}/parts")
    assert files == [first.rsplit("/", 1)[1]]
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and job.done_count == 2 and job.percent < 100
    # Planning delivered again creates no new parts.
    parts = ExportChunk.objects.filter(job=job).count()
    with django_capture_on_commit_callbacks(execute=False):
        jobs.run_export(job.pk)
    assert ExportChunk.objects.filter(job=job).count() == parts


def test_the_join_runs_once_when_two_last_parts_finish_together(org, district_scope, small_parts,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = jobs.request_export(org.district_admin, district_scope, START, END, "pdf-zip")
        jobs.run_export(job.pk)
        for chunk in ExportChunk.objects.filter(job=job):
            jobs.run_chunk(job.pk, chunk.index)
    assert jobs.assemble(job.pk) != "skipped"
    assert jobs.assemble(job.pk) == "skipped"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert len(read_zip(job).namelist()) == district_scope.teachers().count()


def test_the_join_waits_for_unfinished_parts(org, district_scope, small_parts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = jobs.request_export(org.district_admin, district_scope, START, END, "pdf-zip")
        jobs.run_export(job.pk)
        jobs.run_chunk(job.pk, 0)
    assert jobs.assemble(job.pk) == "waiting"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.RUNNING and not job.file


def test_a_part_that_keeps_failing_fails_the_job_with_its_message(org, district_scope, small_parts, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    real = exports.write_pdf_part
    calls = []

    def broken(scope, start, end, teacher_ids, out):
        calls.append(tuple(teacher_ids))
        if teacher_ids == ExportChunk.objects.get(index=1).teacher_ids:
            raise OSError("disk full")
        return real(scope, start, end, teacher_ids, out)

    monkeypatch.setitem(exports.FORMATS, "pdf-zip", dataclasses.replace(exports.FORMATS["pdf-zip"], write_part=broken))
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.request_export(org.district_admin, district_scope, START, END, "pdf-zip")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "part 2: OSError: disk full" and not job.file
    failing = ExportChunk.objects.get(job=job, index=1)
    assert failing.attempts == jobs.MAX_CHUNK_ATTEMPTS and not failing.done and "disk full" in failing.error
    assert calls.count(tuple(failing.teacher_ids)) == jobs.MAX_CHUNK_ATTEMPTS
    # The parts already written are removed with the failure (they hold transcripts).
    assert storages["private"].listdir(f"exports/{job.pk}/parts")[1] == []
    # Parts still queued after the failure do nothing.
    assert jobs.run_chunk(job.pk, ExportChunk.objects.filter(job=job).count() - 1) == "skipped"


def test_a_part_that_fails_once_is_tried_again(org, district_scope, small_parts, monkeypatch,
                                              django_capture_on_commit_callbacks):
    real = exports.write_pdf_part
    failures = []

    def flaky(scope, start, end, teacher_ids, out):
        if not failures:
            failures.append(teacher_ids)
            raise OSError("network storage hiccup")
        return real(scope, start, end, teacher_ids, out)

    monkeypatch.setitem(exports.FORMATS, "pdf-zip", dataclasses.replace(exports.FORMATS["pdf-zip"], write_part=flaky))
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.request_export(org.district_admin, district_scope, START, END, "pdf-zip")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert ExportChunk.objects.get(job=job, index=0).attempts == 2
    assert len(read_zip(job).namelist()) == district_scope.teachers().count()


def test_a_school_without_teachers_gets_an_empty_zip(org, django_capture_on_commit_callbacks):
    from shixun.accounts.models import School

    empty = School.objects.create(district=org.district, code="empty-school", name="空学校")
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = jobs.request_export(org.district_admin, exports.Scope(org.district, empty), START, END, "pdf-zip")
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and read_zip(job).namelist() == []
