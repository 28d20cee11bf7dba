"""The credit scenario's tail and the paced part's once-a-second samples (issue 18).

The tail: completions made one at a time right after the burst, not after its drain (the next teachers to
finish after a mass completion); their latency is reported apart from the burst's. The sampler: tasks in the
broker and the cluster's busy processes once a second, set against each second's completions.
"""

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from bench.django_side import latency_per_second, make_tail, tail_figures
from bench.scenarios import Context, QueueSampler, tail_line
from shixun.transcripts.models import LedgerEntry
from tests.transcripts.helpers import enrol, make_course


@pytest.mark.django_db
def test_the_tail_is_made_one_at_a_time_and_measured_apart(org, django_capture_on_commit_callbacks):
    course, modules = make_course(hours=("2.0", "1.5"))
    enrol(org.teacher, course)
    # The test settings run tasks synchronously: each is posted as it is made (after its commit).
    with django_capture_on_commit_callbacks(execute=True):
        ids, queued = make_tail([(org.teacher.pk, module) for module in modules], course, interval=0)
    assert queued == 0 and len(ids) == 2
    assert set(LedgerEntry.objects.values_list("module_completion_id", flat=True)) == set(ids)
    figures = tail_figures(ids, queued)
    assert (figures["completions"], figures["entries"], figures["queued_at_start"]) == (2, 2, 0)
    assert 0 <= figures["p50_s"] <= figures["p95_s"] == figures["max_s"]
    assert "2 posted" in tail_line(figures) and "0 tasks in the broker" in tail_line(figures)
    assert tail_line(None) == "no completions were made after the burst."


def test_latency_is_grouped_by_the_second_each_completion_was_made():
    start = datetime(2026, 12, 7, 1, 0, 0, tzinfo=UTC)
    rows = [
        (start + timedelta(seconds=0.3), start + timedelta(seconds=0.2)),
        (start + timedelta(seconds=0.9), start + timedelta(seconds=0.4)),
        (start + timedelta(seconds=2.6), start + timedelta(seconds=2.5)),
    ]
    assert latency_per_second(rows, start.timestamp()) == [
        {"second": 0, "made": 2, "p95_s": 0.5},
        {"second": 2, "made": 1, "p95_s": 0.1},
    ]


def test_the_sampler_sees_a_busy_cluster_process_and_the_table_lines_up_the_seconds(tmp_path, monkeypatch):
    monkeypatch.setattr(QueueSampler, "BUSY", 0.05)  # the machine may be shared: a busy loop gets what it gets
    ctx = Context(
        run=None, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"}, db="sqlite", base_url="", world={}
    )
    # A child of this process whose command line names the cluster, busy on one core.
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass", "qcluster"])
    try:
        with QueueSampler(ctx, interval=0.5) as sampler:
            time.sleep(1.8)
    finally:
        busy.kill()
        busy.wait()
    assert len(sampler.samples) >= 2
    assert max(s["busy"] for s in sampler.samples) == 1, sampler.samples
    assert max(s["cluster_cores"] for s in sampler.samples) >= 0.05
    assert all(s["queued"] is None for s in sampler.samples)  # no broker table there: unknown, not 0

    started = 1000.0
    samples = [
        {"at": 1001.0, "queued": 3, "cluster_cores": 1.4, "busy": 2},
        {"at": 1002.0, "queued": 0, "cluster_cores": 0.2, "busy": 0},
    ]
    table = QueueSampler.table(samples, [{"second": 0, "made": 12, "p95_s": 0.04}], started).splitlines()
    assert table[2] == "| 1.0 | 3 | 1.4 | 2 | 12 | 0.04 |"
    assert table[3] == "| 2.0 | 0 | 0.2 | 0 | — | — |"
