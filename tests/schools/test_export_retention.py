"""Stored exports do not stay: they expire after the retention period, and an erasure deletes those that may
hold the person (issue #17: an export made before a teacher was erased still downloaded with their name)."""

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from shixun.schools import exports, jobs, personal_data
from shixun.schools.models import ExportChunk, ExportJob

_refs = count(1)
START, END = date(2026, 1, 1), date(2026, 6, 30)


def credit(teacher, hours="12"):
    from shixun.transcripts.ledger import post_entry
    from shixun.transcripts.models import SourceKind

    post_entry(
        learner=teacher, hours=Decimal(hours), title="校本研修", source_kind=SourceKind.EXTERNAL_TRAINING,
        source_ref=f"retention-test-{next(_refs)}", earned_on=date(2026, 3, 1),
    )


def export(admin, scope, fmt, capture):
    with capture(execute=True):  # the queue runs inline in tests
        job, _created = jobs.request_export(admin, scope, START, END, fmt)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    return job


def content(job) -> bytes:
    with storages["private"].open(job.file, "rb") as stored:
        return stored.read()


def stored_under(folder) -> list[str]:
    private = storages["private"]
    return sorted(private.listdir(folder)[1]) if private.exists(folder) else []


def age(job, days):
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=days))


@pytest.fixture
def school_scope(org):
    credit(org.teacher)
    return exports.Scope(district=org.district, school=org.school)


def test_a_ready_export_says_until_when_it_can_be_downloaded(client, org, school_scope,
                                                                 django_capture_on_commit_callbacks):
    job = export(org.school_admin, school_scope, "csv", django_capture_on_commit_callbacks)
    client.force_login(org.school_admin)
    page = client.get(reverse("schools:export_job", args=[job.pk])).content.decode()
    until = timezone.localtime(job.finished_at + timedelta(days=7))
    assert f"可下载至 {until:%Y-%m-%d %H:%M}" in page  # "Available until …" (pages are in Chinese)


def test_an_export_past_its_retention_cannot_be_downloaded_even_before_the_clean_up(
    client, org, school_scope, django_capture_on_commit_callbacks
):
    job = export(org.school_admin, school_scope, "csv", django_capture_on_commit_callbacks)
    age(job, 8)
    client.force_login(org.school_admin)
    response = client.get(reverse("schools:export_download", args=[job.pk]))
    assert response.status_code == 410
    assert "此文件已过期：导出文件在生成 7 天后删除。" in response.content.decode()
    assert reverse("schools:school_exports", args=[org.school.code]) in response.content.decode()


def test_the_clean_up_deletes_expired_files_and_parts_once(org, school_scope, settings,
                                                         django_capture_on_commit_callbacks):
    settings.SHIXUN_EXPORT_RETENTION_DAYS = 3
    old = export(org.school_admin, school_scope, "csv", django_capture_on_commit_callbacks)
    fresh = export(org.school_admin, school_scope, "xlsx", django_capture_on_commit_callbacks)
    age(old, 4)
    age(fresh, 2)
    # A job that died while running long ago left a part behind.
    dead = ExportJob.objects.create(
        requested_by=org.school_admin, district=org.district, school=org.school, start=START, end=END,
        format="pdf-zip", fingerprint="dead", status=ExportJob.Status.RUNNING,
        created_at=timezone.now() - timedelta(days=5),
    )
    private = storages["private"]
    part = private.save(f"exports/{dead.pk}/parts/00000.zip", ContentFile("PK 王秀英".encode()))
    ExportChunk.objects.create(job=dead, index=0, teacher_ids=[org.teacher.pk], size=1, part=part)
    old_file, fresh_file = old.file, fresh.file

    assert jobs.expire_exports() == 2
    assert not private.exists(old_file) and not private.exists(part)
    assert private.exists(fresh_file)
    old.refresh_from_db()
    dead.refresh_from_db()
    assert (old.status, old.file) == (ExportJob.Status.EXPIRED, "")
    assert dead.status == ExportJob.Status.EXPIRED and dead.chunks.get().part == ""
    # Run again (a schedule fires twice, a task is delivered again): nothing more to do, nothing breaks.
    assert jobs.expire_exports() == 0
    assert private.exists(fresh_file)
    fresh.refresh_from_db()
    assert fresh.status == ExportJob.Status.DONE


def test_the_clean_up_is_scheduled_once_by_name(db):
    from django_q.models import Schedule

    jobs.register_schedule()
    jobs.register_schedule()
    schedule = Schedule.objects.get(name=jobs.EXPIRE_SCHEDULE)
    assert (schedule.func, schedule.schedule_type) == ("shixun.schools.tasks.expire_exports", Schedule.HOURLY)
    from shixun.schools import tasks

    assert tasks.expire_exports() == 0  # the dotted path the schedule names exists and runs


def test_erasure_deletes_an_earlier_export_holding_the_person(client, org, school_scope,
                                                              django_capture_on_commit_callbacks):
    """The attack: a school export made before a teacher was erased still downloaded with their name."""
    job = export(org.school_admin, school_scope, "csv", django_capture_on_commit_callbacks)
    stored = job.file
    assert "王秀英" in content(job).decode("utf-8-sig")

    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_person(org.teacher, erased_by=org.district_admin)

    assert not storages["private"].exists(stored)
    job.refresh_from_db()
    assert (job.status, job.file) == (ExportJob.Status.WITHDRAWN, "")
    client.force_login(org.school_admin)
    response = client.get(reverse("schools:export_download", args=[job.pk]))
    assert response.status_code == 410
    assert "此文件已删除：其中可能包含的一位人员的个人信息已被删除。" in response.content.decode()


def test_erasure_deletes_district_exports_and_pdf_parts_but_not_other_districts(
    org, settings, django_capture_on_commit_callbacks
):
    settings.SHIXUN_EXPORT_CHUNK_TEACHERS = 1
    credit(org.teacher)
    credit(org.foreign_teacher)
    district = export(org.district_admin, exports.Scope(district=org.district), "xlsx",
                      django_capture_on_commit_callbacks)
    sibling = export(org.district_admin, exports.Scope(district=org.district, school=org.sibling_school), "csv",
                     django_capture_on_commit_callbacks)
    foreign = export(org.foreign_district_admin, exports.Scope(district=org.other_district), "csv",
                     django_capture_on_commit_callbacks)
    # A zip of PDFs whose parts are written but not joined yet: the person's part is a file of its own.
    with django_capture_on_commit_callbacks(execute=False):
        pending, _ = jobs.request_export(org.school_admin, exports.Scope(district=org.district, school=org.school),
                                         START, END, "pdf-zip")
    jobs.run_export(pending.pk)
    chunk = pending.chunks.get(teacher_ids=[org.teacher.pk])
    with django_capture_on_commit_callbacks(execute=False):  # the join is not run
        jobs.run_chunk(pending.pk, chunk.index)
    part = ExportChunk.objects.get(pk=chunk.pk).part
    parts_folder = f"exports/{pending.pk}/parts"
    other_parts = set(stored_under(parts_folder)) - {part.rsplit("/", 1)[1]}  # left by earlier tests' jobs
    private = storages["private"]
    files = {"district": district.file, "sibling": sibling.file, "foreign": foreign.file}
    assert part and all(private.exists(name) for name in [part, *files.values()])

    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_person(org.teacher, erased_by=org.district_admin)

    # The district's exports go (the sibling school's too: a teacher may have moved between its schools).
    assert not private.exists(files["district"]) and not private.exists(files["sibling"])
    assert not private.exists(part)
    pending.refresh_from_db()
    assert pending.status == ExportJob.Status.WITHDRAWN
    # Another district's export cannot hold the person: it stays.
    assert private.exists(files["foreign"])
    foreign.refresh_from_db()
    assert foreign.status == ExportJob.Status.DONE
    # The remaining parts of the withdrawn job run after the erasure: they write nothing that stays.
    for remaining in pending.chunks.exclude(pk=chunk.pk):
        assert jobs.run_chunk(pending.pk, remaining.index) == "skipped"
    assert set(stored_under(parts_folder)) == other_parts


def test_an_export_running_during_the_erasure_deletes_what_it_writes(org, school_scope, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = jobs.request_export(org.school_admin, school_scope, START, END, "csv")
    real_write = exports.FORMATS["csv"].write

    def write_then_erasure(scope, start, end, out, progress=None):
        done = real_write(scope, start, end, out, progress)  # the person's row is already written
        with django_capture_on_commit_callbacks(execute=True):
            personal_data.erase_person(org.teacher, erased_by=org.district_admin)
        return done

    monkeypatch.setitem(exports.FORMATS, "csv", dataclasses.replace(exports.FORMATS["csv"], write=write_then_erasure))
    folder = f"exports/{job.pk}"
    # Files of earlier tests' jobs with the same id (their rows were rolled back) would share
    # this job's file name: clear them so the folder shows only what this run leaves.
    for name in stored_under(folder):
        storages["private"].delete(f"{folder}/{name}")
    assert jobs.run_export(job.pk) == "withdrawn"
    job.refresh_from_db()
    assert (job.status, job.file) == (ExportJob.Status.WITHDRAWN, "")
    assert stored_under(folder) == []
