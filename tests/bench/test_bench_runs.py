"""`make bench` must not rot: every scenario's smallest form runs once against today's models.

`bench/run.py --tiny` builds a bench world of 300 teachers on its own PostgreSQL
cluster and Redis, starts gunicorn and a django-q2 cluster and runs each
scenario with tiny sizes and 1.5-s load steps. Figures of such a run mean
nothing; what is checked is that the harness still works: no scenario failed
or went unmeasured, and the server answered no request with a 500 (a bench
world the apps cannot read, e.g. teacher data written where it no longer
lives, shows up as exactly that).

It takes several minutes (migrating a fresh cluster, starting the servers),
so it is its own stage, `make test-bench`, run by `make test` after the plugin
stage, not part of the per-file runs. The peer (wagtail-lms in its own
virtualenv, from the package index) and the SQLite pass are skipped here:
they run the same scenario code. Ports: SHIXUN_BENCH_PG_PORT,
SHIXUN_BENCH_REDIS_PORT, SHIXUN_BENCH_WEB_PORT (defaults 54331, 6391, 8101).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / "work"


def test_every_scenario_runs_in_its_smallest_form():
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or not shutil.which("redis-server"):
        pytest.skip("needs PostgreSQL and redis-server installed (make bench installs them)")
    pytest.importorskip("aiohttp")
    pytest.importorskip("psutil")
    from bench import scenarios

    results = WORK / "RESULTS-tiny.json"
    results.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    proc = subprocess.run(  # noqa: S603 (the benchmark's own runner)
        [sys.executable, str(REPO / "bench" / "run.py"), "--tiny", "--skip", "sqlite,peer"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert results.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(results.read_text())
    assert not report["notes"], report["notes"]  # "The run stopped on an error: …"
    unmeasured = [(r["key"], r["why_not"]) for r in report["rows"] if r["why_not"]]
    assert unmeasured == []
    # The browsing mix sends each of its kinds once before the load: every one present and answering.
    probe = [r for r in report["rows"] if r["key"] == "browsing" and r["measure"].startswith("request kinds")]
    assert probe and all(r["passed"] for r in probe), probe
    measured = {r["key"] for r in report["rows"] if r["db"] == "postgresql"}
    expected = {s.key for s in scenarios.ALL if s.key != "peer"}
    assert measured == expected, f"scenarios without a row: {expected - measured}"
    server_errors = [
        line
        for pattern in ("gunicorn-postgresql*.log", "qcluster-postgresql*.log")  # the scale-out's nodes too
        for log in (WORK / "logs").glob(pattern)
        for line in log.read_text(errors="replace").splitlines()
        if "Internal Server Error" in line or line.startswith("Traceback")
    ]
    assert server_errors == [], server_errors[:10]
