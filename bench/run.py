"""`make bench`: every scenario of issue 8 against gunicorn + PostgreSQL + Redis on loopback.

    .venv/bin/python bench/run.py              # the full run, writes bench/RESULTS.md
    .venv/bin/python bench/run.py --quick      # small sizes, a smoke test (writes bench/work/RESULTS-quick.md)
    .venv/bin/python bench/run.py --tiny       # every scenario's smallest form: does the harness still run?
    .venv/bin/python bench/run.py --skip sqlite,peer

Order: a fresh PostgreSQL cluster (scripts/postgres.sh on its own port and
directory, durability back on), Redis on its own port, migrate, collectstatic,
generated data, gunicorn (2 x cores + 1 sync workers) and a django-q2 cluster
(2 workers, Redis broker); then the scenarios with their baselines; then the
same on SQLite (WAL, ORM broker) for the "embedded default" row; then the
peer (wagtail-lms in its own virtualenv). Everything is stopped at the end,
also on an error or Ctrl-C. A scenario whose feature is missing is reported
as "not measured: <why>", never with a number.
"""

# ruff: noqa: S603, S607 (starting the benchmark's own servers and tools is what this module is for)

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import report  # noqa: E402
from bench.meter import ForeignLoad  # noqa: E402
from bench.services import REPO, VENV_BIN, WORK, Services, django_env  # noqa: E402

FULL = {
    "teachers": 20_000,
    "entries": 500_000,
    "small_school": 200,
    "big_school": 2_000,
    "browse_users": 200,
    "spike_users": 500,
    "credit_count": 10_000,
    "browse_seconds": 90,
    "browse_warmup": 15,
    "upload_mb": 50,
    "h5p_mb": 20,
}
QUICK = {
    "teachers": 2_400,
    "entries": 20_000,
    "small_school": 200,
    "big_school": 2_000,
    "browse_users": 40,
    "spike_users": 50,
    "credit_count": 500,
    "browse_seconds": 20,
    "browse_warmup": 5,
    "upload_mb": 5,
    "h5p_mb": 2,
}
# The smallest form of every scenario: proves the harness still runs against today's models
# (tests/bench/test_bench_runs.py), not a measurement.
TINY = {
    **QUICK,
    "teachers": 300,
    "entries": 2_000,
    "small_school": 20,
    "big_school": 100,
    "browse_users": 8,
    "spike_users": 8,
    "credit_count": 100,
    "browse_seconds": 4,
    "browse_warmup": 1,
    "upload_mb": 1,
    "h5p_mb": 1,
    "step_seconds": 1.5,
    "paced_seconds": 2,
}
CORES = os.cpu_count() or 2
GUNICORN_WORKERS = 2 * CORES + 1  # gunicorn's documented starting point for sync workers


class Run:
    def __init__(self, sizes: dict, quick: bool, label: str = ""):
        self.sizes = sizes
        self.quick = quick
        self.label = label or ("quick" if quick else "")
        self.report = report.Report(sizes=sizes, quick=quick)
        self.services = Services(WORK / "logs")
        self.pg_dir = ""
        self.gunicorn_workers = GUNICORN_WORKERS
        self.skip: set[str] = set()

    # --- helpers ----------------------------------------------------------------------------
    def manage(self, env: dict, *args: str, timeout: float = 900) -> None:
        log = WORK / "logs" / "manage.log"
        with open(log, "ab") as out:
            subprocess.run(
                [str(VENV_BIN / "python"), str(REPO / "manage.py"), *args],
                env=env,
                cwd=REPO,
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )

    def django(self, env: dict, command: str, args: dict | None = None, *, timeout: float = 1200,
               python: Path | None = None) -> dict:
        proc = subprocess.run(
            [str(python or VENV_BIN / "python"), "-m", "bench.django_side", command, json.dumps(args or {})],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        with open(WORK / "logs" / "django_side.log", "a") as log:
            log.write(f"--- {command} {args}\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}\n")
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith("BENCH-JSON: "):
                return json.loads(line[len("BENCH-JSON: ") :])
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{command} failed: {tail}")

    def step(self, title: str):
        print(f"[{datetime.now():%H:%M:%S}] {title}", flush=True)

    # --- the run -------------------------------------------------------------------------------
    def main(self, skip: set[str], only: set[str]) -> None:
        started = self.started = time.monotonic()
        self.skip = skip
        self.report.machine = report.machine()
        try:
            self.step("PostgreSQL, Redis")
            pg_port = int(os.environ.get("SHIXUN_BENCH_PG_PORT", "54331"))
            self.pg_dir = f"/tmp/shixun-bench-pg-{pg_port}"  # noqa: S108 (a private cluster, removed at the end)
            pg_url, pg_settings = self.services.postgres(pg_port, Path(self.pg_dir))
            self.report.pg_settings = pg_settings
            redis_url = self.services.redis(int(os.environ.get("SHIXUN_BENCH_REDIS_PORT", "6391")))
            env = django_env(DATABASE_URL=pg_url, REDIS_URL=redis_url)
            self.report.versions = report.versions(env, pg_url)
            self.backend(env, "postgresql", only)
            if "sqlite" not in skip:
                sqlite_path = WORK / "bench.sqlite3"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
                env_lite = django_env(DATABASE_URL=f"sqlite:///{sqlite_path}")
                self.backend(env_lite, "sqlite", only)
        except KeyboardInterrupt:
            self.report.note("The run was interrupted: figures below are partial.")
        except Exception:
            self.report.note("The run stopped on an error:\n\n```\n" + traceback.format_exc()[-3000:] + "```")
            traceback.print_exc()
        finally:
            self.step("stopping every service")
            self.services.close()
            self.write_results(started)
            self.step(f"wrote {self.results_path.relative_to(REPO)}")

    @property
    def results_path(self) -> Path:
        return (WORK / f"RESULTS-{self.label}.md") if self.label else (REPO / "bench" / "RESULTS.md")

    def write_results(self, started: float | None) -> None:
        if started is not None:
            self.report.elapsed = time.monotonic() - started
            self.report.finished = True
        else:
            self.report.elapsed = time.monotonic() - self.started
        try:
            text = self.report.render()
        except Exception:  # never lose the figures to a formatting bug
            text = "# Benchmark results (raw: the report failed to render)\n\n```\n" + traceback.format_exc() + "\n"
            text += "\n".join(repr(row) for row in self.report.rows) + "\n```\n"
        self.results_path.write_text(text)
        if self.label == "scaleout":  # its rows also go into bench/RESULTS.md, in their own section
            results = REPO / "bench" / "RESULTS.md"
            current = results.read_text() if results.exists() else "# Benchmark results\n"
            section = self.report.scaleout_section(f"{datetime.now():%Y-%m-%d %H:%M} UTC")
            if report.SCALEOUT_BEGIN in current and report.SCALEOUT_END in current:
                head, rest = current.split(report.SCALEOUT_BEGIN, 1)
                current = head + section.rstrip("\n") + rest.split(report.SCALEOUT_END, 1)[1]
            else:
                current = current.rstrip("\n") + "\n\n" + section
            results.write_text(current)
        if self.label:  # machine-readable too, for tests/bench (the smallest form's own check)
            rows = [dataclasses.asdict(row) for row in self.report.rows]
            self.results_path.with_suffix(".json").write_text(
                json.dumps({"rows": rows, "notes": self.report.notes}, default=str, ensure_ascii=False, indent=1)
            )

    def backend(self, env: dict, db: str, only: set[str]) -> None:
        from bench import scenarios

        self.step(f"{db}: migrate, collectstatic")
        self.manage(env, "migrate", "--noinput")
        if db == "postgresql":
            shutil.rmtree(WORK / "static", ignore_errors=True)
            self.manage(env, "collectstatic", "--noinput")
        shutil.rmtree(WORK / "var" / "private" / "bench", ignore_errors=True)
        self.step(f"{db}: generating data ({self.sizes['teachers']} teachers, {self.sizes['entries']} ledger entries)")
        world = self.django(env, "world", self.sizes)
        self.report.world[db] = {k: world[k] for k in ("teachers", "ledger_entries", "timings")}
        for name, reason in world["course"].get("skipped", {}).items():
            self.report.note(f"{db}: the {name} activity could not be set up: {reason}")
        port = int(os.environ.get("SHIXUN_BENCH_WEB_PORT", "8101")) + (0 if db == "postgresql" else 1)
        self.services.gunicorn(f"gunicorn-{db}", port, env, workers=GUNICORN_WORKERS)
        self.services.qcluster(f"qcluster-{db}", env)
        ctx = scenarios.Context(run=self, env=env, db=db, base_url=f"http://127.0.0.1:{port}", world=world)
        try:
            for scenario in scenarios.ALL:
                if only and scenario.key not in only:
                    continue
                if (db == "sqlite" and not scenario.on_sqlite) or scenario.key in self.skip:
                    continue
                self.step(f"{db}: {scenario.title}")
                meter = ForeignLoad(self.pg_dir)
                try:
                    with meter:
                        scenario.run(ctx)
                except Exception as error:
                    traceback.print_exc()
                    self.report.not_measured(db, scenario.key, f"the scenario failed: {type(error).__name__}: {error}")
                self.report.load[(db, scenario.key)] = meter.summary()
                self.write_results(started=None)  # a run cut off later still leaves what it measured
        finally:
            self.services.stop(f"qcluster-{db}")
            self.services.stop(f"gunicorn-{db}")
        if db == "sqlite":
            self.report.locked_errors = sum(
                log.read_text(errors="replace").count("database is locked")
                for log in (WORK / "logs").glob("*sqlite*.log")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the harness")
    parser.add_argument("--tiny", action="store_true", help="the smallest form of every scenario: does it still run?")
    parser.add_argument(
        "--scaleout", action="store_true", help="only the scale-out proof (small data); its rows go into RESULTS.md"
    )
    parser.add_argument("--skip", default="", help="comma-separated: sqlite, peer")
    parser.add_argument("--only", default="", help="comma-separated scenario keys (and 'peer')")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "logs", ignore_errors=True)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    if args.tiny:
        run = Run(TINY, True, "tiny")
    elif args.scaleout:
        run = Run({**QUICK, "teachers": 3_000, "entries": 20_000, "browse_seconds": 40}, True, "scaleout")
        args.only, args.skip = "scaleout", "sqlite,peer"
    else:
        run = Run(QUICK if args.quick else FULL, args.quick)
    run.main({s for s in args.skip.split(",") if s}, {s for s in args.only.split(",") if s})


if __name__ == "__main__":
    main()
