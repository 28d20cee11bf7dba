"""Export jobs: request (deduplicated), run in django-q2 (idempotent, retry-safe), download."""

from __future__ import annotations

import hashlib
import tempfile

from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import exports
from .models import ExportJob


def fingerprint(user, scope: exports.Scope, start, end, fmt) -> str:
    key = f"{user.pk}|{scope.district.pk}|{scope.school.pk if scope.school else ''}|{start}|{end}|{fmt}"
    return hashlib.sha256(key.encode()).hexdigest()


def request_export(user, scope: exports.Scope, start, end, fmt) -> tuple[ExportJob, bool]:
    """The job for this request: a new one, or the one already pending or running (created=False)."""
    print_ = fingerprint(user, scope, start, end, fmt)
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                requested_by=user, district=scope.district, school=scope.school, start=start, end=end, format=fmt,
                fingerprint=print_,
            )
    except IntegrityError:
        existing = ExportJob.objects.filter(fingerprint=print_, status__in=ExportJob.ACTIVE).first()
        if existing is None:  # it finished between our insert and this read: start a fresh one
            return request_export(user, scope, start, end, fmt)
        return existing, False
    transaction.on_commit(lambda: enqueue(job.pk))
    return job, True


def enqueue(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task("schools.tasks.run_export", job_id, task_name=f"export-{job_id}")


def run_export(job_id: int) -> str:
    """Write the export to private storage. Safe to run twice: a finished job is left alone,
    a half-written one (the worker died) is written again from the start."""
    job = ExportJob.objects.select_related("district", "school").filter(pk=job_id).first()
    if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return "skipped"
    scope = exports.Scope(district=job.district, school=job.school)
    total = exports.count_teachers(scope)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, total_count=total, done_count=0)

    def progress(done, _total):
        ExportJob.objects.filter(pk=job.pk).update(done_count=done)

    storage = storages["private"]
    try:
        with tempfile.TemporaryFile() as spool:
            exports.export(scope, job.start, job.end, job.format, spool, progress)
            spool.seek(0)
            target = f"exports/{job.pk}/{exports.file_name(scope, job.start, job.end, job.format)}"
            if storage.exists(target):  # a retried run replaces what a dead worker left
                storage.delete(target)
            name = storage.save(target, File(spool))
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE, file=name, done_count=total, finished_at=timezone.now()
    )
    return name
