"""Fault test with a real django-q2 cluster (ORM broker on PostgreSQL).

Enqueue the posting of a batch of completions, kill -9 a worker while it is
posting, kill the whole cluster, start a new one, reconcile, and check that
every completion has exactly one entry and no entry lacks a completion.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_q.models import OrmQ
from django_q.tasks import async_task

from shixun.courses.models import ModuleCompletion
from shixun.transcripts.ledger import reconcile
from shixun.transcripts.models import LedgerEntry, SourceKind
from tests.concurrency import wait_until
from tests.factories import make_teacher
from tests.transcripts.helpers import complete, enrol, make_course, tasks_lost

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
BATCH = 30


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *children(child)]
    return found


def start_cluster():
    settings = connection.settings_dict
    credentials = f"{settings['USER']}:{settings['PASSWORD'] or ''}"
    url = f"postgres://{credentials}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "shixun.config.settings.dev",
        "Q_WORKERS": "2",
        "Q_TIMEOUT": "3",
        "Q_RETRY": "4",  # a killed worker's task comes back after 4 s
        "Q_MAX_ATTEMPTS": "5",
        "CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def crash_mid_posting(cluster, total: int):
    """Once the cluster has posted a few of `total` entries, kill one of its processes (a worker or the monitor,
    mid-posting), then the whole machine; check it had not posted everything; return a cluster started anew."""
    assert wait_until(lambda: LedgerEntry.objects.count() >= 5, 30), "the cluster posted nothing"
    workers = children(cluster.pid)
    assert workers, "no cluster child processes found"
    os.kill(workers[-1], signal.SIGKILL)
    time.sleep(0.5)
    kill_tree(cluster)
    assert LedgerEntry.objects.count() < total, "everything was posted before the crash: the test proved nothing"
    return start_cluster()


def kill_tree(process):
    for pid in [*children(process.pid), process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)



def test_killed_worker_loses_and_doubles_nothing(postgres_only):
    from shixun.accounts.models import District, School

    district = District.objects.create(code="q", name="队列区")
    school = School.objects.create(district=district, code="q-s", name="队列小学")
    course, modules = make_course(hours=["1.0"] * 3)
    teachers = [make_teacher(school, username=f"q{n}") for n in range(BATCH // 3)]
    with tasks_lost():
        for teacher in teachers:
            enrol(teacher, course)
            for module in modules:
                complete(teacher, module)
    completion_ids = list(ModuleCompletion.objects.values_list("pk", flat=True))
    assert len(completion_ids) == BATCH and not LedgerEntry.objects.exists()
    for completion_id in completion_ids:
        async_task("tests.transcripts.slow_tasks.post_slowly", completion_id, sync=False)
        # Some completions get their task twice (a duplicate delivery).
        if completion_id % 7 == 0:
            async_task("tests.transcripts.slow_tasks.post_slowly", completion_id, sync=False)

    cluster = start_cluster()
    try:
        cluster = crash_mid_posting(cluster, BATCH)
        wait_until(lambda: not OrmQ.objects.exists() and LedgerEntry.objects.count() == BATCH, 25)
    finally:
        kill_tree(cluster)
    reconcile()
    entries = LedgerEntry.objects.filter(source_kind=SourceKind.MODULE_COMPLETION)
    assert entries.count() == BATCH
    assert sorted(entries.values_list("module_completion_id", flat=True)) == sorted(completion_ids)
    assert not entries.filter(module_completion__isnull=True).exists()
