"""Export jobs: request (deduplicated), run in django-q2 (idempotent, retry-safe), download.

CSV and Excel are written by one task (a district's CSV takes seconds).
A zip of PDFs takes ~0.07 s per teacher, minutes for a district, and a
task must end inside Q_TIMEOUT (60 s, below the broker's retry of 90 s), so
it runs in parts:

1. run_export plans the parts (ExportChunk rows: fixed slices of the
   teachers, chunk_teachers() each) and enqueues a task per part;
2. run_chunk renders one part's PDFs into its own part file in private
   storage (a re-delivered task overwrites its own file), marks the part
   done and, when it was the last, enqueues the join;
3. assemble streams every part into the final zip under the job's row lock
   (a second join waits, then finds the job done) and removes the parts.

A part that fails is tried again up to MAX_CHUNK_ATTEMPTS times; then the
job is marked failed with the part's error, and the other parts stop.
Progress is the number of teachers in finished parts.

A stored file holds many teachers' records, so it does not stay: it is
deleted retention() after it is ready (expire_exports, scheduled hourly),
and at once when a person it may contain is erased (withdraw_exports_of).
A job withdrawn while it runs deletes what it writes instead of finishing.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from datetime import timedelta

from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from shixun.accounts.people import profile_of
from shixun.config.conf import shixun_settings

from . import exports
from .models import ExportChunk, ExportJob

MAX_CHUNK_ATTEMPTS = 3


def chunk_teachers() -> int:
    """Teachers per part. Measured: 200 teachers with 25 entries each took 4.4 s of CPU but 31 s of wall
    time on a machine loaded 4x over its cores; 100 keeps a part far inside a task's 60 s even then."""
    return shixun_settings.SHIXUN_EXPORT_CHUNK_TEACHERS


def retention() -> timedelta:
    return timedelta(days=shixun_settings.SHIXUN_EXPORT_RETENTION_DAYS)


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

    async_task("shixun.schools.tasks.run_export", job_id, task_name=f"export-{job_id}")


def run_export(job_id: int) -> str:
    """Write the export to private storage. Safe to run twice: a finished job is left alone,
    a half-written one (the worker died) is written again from the start."""
    job = ExportJob.objects.select_related("district", "school").filter(pk=job_id).first()
    if job is None or job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED):
        return "skipped"
    if exports.get_format(job.format).chunked:
        return plan_chunks(job.pk)
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
    finished = ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.ACTIVE).update(
        status=ExportJob.Status.DONE, file=name, done_count=total, finished_at=timezone.now()
    )
    if not finished:  # withdrawn by an erasure while it ran: what it wrote may hold the erased person
        storage.delete(name)
        return "withdrawn"
    return name


# --- Large exports in parts ----------------------------------------------------------------------


def _scope(job: ExportJob) -> exports.Scope:
    return exports.Scope(district=job.district, school=job.school)


def _storage():
    return storages["private"]


def _locked(job_id: int) -> ExportJob | None:
    """The job under its row lock (only its own row: school is an outer join)."""
    return (
        ExportJob.objects.select_for_update(of=("self",)).select_related("district", "school").filter(pk=job_id).first()
    )


def plan_chunks(job_id: int) -> str:
    """Split the job's teachers into parts (once) and enqueue every part not done yet.

    Delivered again (the worker died after committing), it plans nothing new
    and enqueues the unfinished parts again, which is harmless: each part is
    idempotent.
    """
    with transaction.atomic():
        job = _locked(job_id)
        if job is None or job.status not in ExportJob.ACTIVE:
            return "skipped"
        if not job.chunks.exists():
            ids = list(_scope(job).teachers().values_list("pk", flat=True))
            size = chunk_teachers()
            slices = [ids[start : start + size] for start in range(0, len(ids), size)]
            ExportChunk.objects.bulk_create(
                ExportChunk(job=job, index=n, teacher_ids=part, size=len(part)) for n, part in enumerate(slices)
            )
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.RUNNING, total_count=len(ids), done_count=0
            )
        pending = list(job.chunks.filter(done=False).values_list("index", flat=True))

        def enqueue_parts():
            from django_q.tasks import async_task

            for index in pending:
                async_task("shixun.schools.tasks.run_export_chunk", job_id, index, task_name=f"export-{job_id}-{index}")
            if not pending:  # no teachers, or every part was done before a re-delivery
                enqueue_assemble(job_id)

        transaction.on_commit(enqueue_parts)
    return f"{len(pending)} parts"


def enqueue_assemble(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task("shixun.schools.tasks.assemble_export", job_id, task_name=f"export-{job_id}-join")


def fail_job(job_id: int, message: str) -> None:
    """Mark the job failed and remove the parts already written (they hold teachers' transcripts)."""
    ExportJob.objects.filter(pk=job_id, status__in=ExportJob.ACTIVE).update(
        status=ExportJob.Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    storage = _storage()
    written = list(ExportChunk.objects.filter(job_id=job_id).exclude(part="").values_list("part", flat=True))
    transaction.on_commit(lambda: [storage.delete(name) for name in written])


def run_chunk(job_id: int, index: int) -> str:
    """Render one part into its own file; the last part to finish enqueues the join."""
    chunks = ExportChunk.objects.select_related("job__district", "job__school")
    chunk = chunks.filter(job_id=job_id, index=index).first()
    if chunk is None or chunk.done or chunk.job.status != ExportJob.Status.RUNNING:
        return "skipped"
    ExportChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1)
    attempts = chunk.attempts + 1
    job = chunk.job
    storage = _storage()
    target = f"exports/{job.pk}/parts/{index:05d}.zip"
    try:
        with tempfile.TemporaryFile() as spool:
            write_part = exports.get_format(job.format).write_part
            write_part(_scope(job), job.start, job.end, chunk.teacher_ids, spool)
            spool.seek(0)
            if storage.exists(target):  # what an earlier, interrupted delivery of this part left
                storage.delete(target)
            name = storage.save(target, File(spool))
    except Exception as exc:  # recorded on the part; tried again or the job fails with it
        error = f"{type(exc).__name__}: {exc}"
        ExportChunk.objects.filter(pk=chunk.pk).update(error=error[:2000])
        if attempts >= MAX_CHUNK_ATTEMPTS:
            fail_job(job.pk, f"part {index + 1}: {error}")
            return "failed"
        from django_q.tasks import async_task

        async_task("shixun.schools.tasks.run_export_chunk", job_id, index, task_name=f"export-{job_id}-{index}")
        return "retrying"
    with transaction.atomic():
        if not ExportChunk.objects.filter(pk=chunk.pk, job__status=ExportJob.Status.RUNNING).update(
            done=True, part=name, error=""
        ):  # the job was withdrawn (an erasure) or failed while this part was written
            transaction.on_commit(lambda: storage.delete(name))
            return "skipped"
        done = ExportChunk.objects.filter(job_id=job.pk, done=True).aggregate(n=Sum("size"))["n"] or 0
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(done_count=done)
        last = not ExportChunk.objects.filter(job_id=job.pk, done=False).exists()
        if last:
            transaction.on_commit(lambda: enqueue_assemble(job.pk))
    return name


def assemble(job_id: int) -> str:
    """Join the parts into the final zip (streamed member by member), mark the job done, remove the parts."""
    storage = _storage()
    with transaction.atomic():
        # The row lock makes a second join (two last parts finishing together) wait, then skip.
        job = _locked(job_id)
        if job is None or job.status != ExportJob.Status.RUNNING:
            return "skipped"
        if job.chunks.filter(done=False).exists():
            return "waiting"
        parts = list(job.chunks.order_by("index").values_list("part", flat=True))
        target = f"exports/{job.pk}/{exports.file_name(_scope(job), job.start, job.end, job.format)}"
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for part in parts:
                    with storage.open(part, "rb") as stored, zipfile.ZipFile(stored) as source:
                        for member in source.infolist():
                            entry = exports.zip_member(member.filename, zipfile.ZIP_DEFLATED, member.date_time)
                            with source.open(member) as read, archive.open(entry, "w") as write:
                                shutil.copyfileobj(read, write, 1 << 20)
            spool.seek(0)
            if storage.exists(target):
                storage.delete(target)
            name = storage.save(target, File(spool))
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE, file=name, done_count=job.total_count, finished_at=timezone.now()
        )
    for part in parts:
        storage.delete(part)
    return name


# --- Stored files do not stay -------------------------------------------------------------------


def stored_names(job_ids) -> list[str]:
    """Every file in private storage of these jobs: the exports and the parts not yet joined."""
    files = ExportJob.objects.filter(pk__in=job_ids).exclude(file="").values_list("file", flat=True)
    parts = ExportChunk.objects.filter(job_id__in=job_ids).exclude(part="").values_list("part", flat=True)
    return [*files, *parts]


def _mark_gone(job_ids, status) -> int:
    ExportChunk.objects.filter(job_id__in=job_ids).exclude(part="").update(part="")
    return ExportJob.objects.filter(pk__in=job_ids).update(status=status, file="")


def expire_exports() -> int:
    """Scheduled: delete the stored files of jobs past their retention; the jobs stay, marked expired.

    Idempotent: an expired job is not looked at again. A job still pending or
    running after the whole retention period died long ago; its parts go too.
    Files are deleted before the rows are marked, so a worker that dies in
    between leaves jobs the next run finds and finishes.
    """
    cutoff = timezone.now() - retention()
    due = list(
        ExportJob.objects.filter(
            Q(status=ExportJob.Status.DONE, finished_at__lte=cutoff)
            | Q(status__in=ExportJob.ACTIVE, created_at__lte=cutoff)
        ).values_list("pk", flat=True)
    )
    storage = _storage()
    for name in stored_names(due):
        storage.delete(name)
    return _mark_gone(due, ExportJob.Status.EXPIRED)


def withdraw_exports_of(user) -> int:
    """Erasure: delete every stored export that may hold this person; the files go once the erasure commits.

    An export records its scope, not its teachers, so "may hold" is every
    export of the person's district (district-wide and each school's): it
    covers a teacher who moved between schools of the district since, costs
    only a new request, and exports are short-lived anyway. A zip of PDFs
    also lists its teachers in its parts, which catches a move from another
    district. The rows are locked, so a join under way finishes first and
    its file is found; a job still running is marked withdrawn and deletes
    what it writes (run_export, run_chunk).
    """
    live = ExportJob.objects.exclude(status__in=ExportJob.GONE)
    district_id = profile_of(user).district_id  # the district follows the school (accounts.Profile)
    listed = {
        job_id
        for job_id, teacher_ids in ExportChunk.objects.filter(job__in=live).values_list("job_id", "teacher_ids")
        if user.pk in teacher_ids
    }
    doomed = list(
        live.filter(Q(district_id=district_id) | Q(pk__in=listed))
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    names = stored_names(doomed)
    withdrawn = _mark_gone(doomed, ExportJob.Status.WITHDRAWN)
    storage = _storage()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return withdrawn


EXPIRE_SCHEDULE = "shixun_schools.expire_exports"


def register_schedule(**kwargs) -> None:
    """post_migrate: the hourly clean-up, created or updated by name (Schedule.name is not unique in django-q2)."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=EXPIRE_SCHEDULE,
        defaults={"func": "shixun.schools.tasks.expire_exports", "schedule_type": Schedule.HOURLY},
    )
