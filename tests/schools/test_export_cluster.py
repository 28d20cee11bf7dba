"""A zip of PDFs in parts through a real django-q2 cluster (ORM broker on PostgreSQL)."""

import io
import os
import signal
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection

from shixun.schools import exports, jobs
from shixun.schools.models import ExportChunk, ExportJob
from tests.concurrency import wait_until
from tests.factories import make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


@pytest.fixture
def cluster():
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "shixun.config.settings.dev",
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),  # the cluster writes where the test reads
        "Q_WORKERS": "2",
        "Q_TIMEOUT": "30",
        "Q_RETRY": "40",
        "CONN_MAX_AGE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)



def test_parts_run_on_the_cluster_and_are_joined_once(postgres_only, org, settings, monkeypatch, cluster):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # this test is about the real queue
    settings.SHIXUN_EXPORT_CHUNK_TEACHERS = 2  # the plan is made here; the parts run in the cluster
    for n in range(6):  # with org's three teachers (its admins do not teach): 9 teachers, 5 parts of 2
        make_teacher(org.sibling_school, full_name=f"集群教师{n}")
    scope = exports.Scope(district=org.district)
    teachers = scope.teachers().count()
    job, created = jobs.request_export(org.district_admin, scope, date(2026, 1, 1), date(2026, 6, 30), "pdf-zip")
    assert created  # autocommit: its run_export task is already queued for the cluster...
    # ...and planned here as well, which is what a re-delivered planning task does: the plan is made once.
    jobs.plan_chunks(job.pk)
    parts = ExportChunk.objects.filter(job=job).count()
    assert parts == (teachers + 1) // 2 >= 4
    # One part's task delivered twice more: still one file for it.
    from django_q.tasks import async_task

    for _ in range(2):
        async_task("shixun.schools.tasks.run_export_chunk", job.pk, 0, sync=False)

    def finished():
        job.refresh_from_db()
        return job.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)

    assert wait_until(finished, 120), f"the cluster did not finish: {job.done_count}/{job.total_count}"
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.done_count == job.total_count == teachers
    with storages["private"].open(job.file, "rb") as stored:
        names = zipfile.ZipFile(io.BytesIO(stored.read())).namelist()
    assert len(names) == len(set(names)) == teachers
    assert ExportChunk.objects.filter(job=job, done=True).count() == parts
    assert storages["private"].listdir(f"exports/{job.pk}/parts")[1] == []
