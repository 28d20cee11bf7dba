"""Collects the figures of a run and writes bench/RESULTS.md."""

# ruff: noqa: S603, S607 (starting the benchmark's own servers and tools is what this module is for)

from __future__ import annotations

import os
import platform
import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench import loadgen
from bench.services import REPO, VENV_BIN

# Which HTTP client each row's requests went through (the set-up paragraph), by loadgen.RATE_CLIENT.
CLIENTS = {
    "lean": "The heartbeat and xAPI rows (sync and gthread workers) and the one-query view's saturation "
    "measured inside the heartbeat rows go through the load generator's lean HTTP/1.1 client "
    "(`bench/loadgen.py`'s LeanPool: the same bytes on the wire as aiohttp, 30-60% less CPU per request, "
    "`bench/client_cost.py`), on uvloop's event loop (SHIXUN_BENCH_RATE_LOOP=asyncio: asyncio's); every other "
    "row and its baseline through aiohttp on asyncio's loop. Open-loop latency runs from each request's due "
    "time, not from its send (the step tables give how late the sends started).",
    "aiohttp": "Every row and its baseline go through aiohttp (SHIXUN_BENCH_RATE_CLIENT=aiohttp: the heartbeat "
    "and xAPI rows' lean client turned off). Open-loop latency runs from each request's due time, not from "
    "its send (the step tables give how late the sends started).",
}


@dataclass
class Row:
    db: str
    key: str
    measure: str
    figure: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: str = ""
    passed: bool | None = None
    higher_is_better: bool = False
    detail: str = ""
    why_not: str = ""

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.baseline:
            return None
        return self.figure / self.baseline


SCALEOUT_BEGIN = "<!-- scale-out rows: written by make bench-scaleout -->"
SCALEOUT_END = "<!-- end of scale-out rows -->"

SCENARIO_TITLES = {
    "browsing": "mixed browsing",
    "spike": "quiz spike",
    "attendance": "attendance sign-in burst",
    "xapi": "xAPI ingestion",
    "heartbeat": "study-time heartbeats",
    "credit": "credit posting",
    "export": "district transcript export",
    "dashboard": "school dashboard",
    "uploads": "uploads",
    "peer": "peer: wagtail-lms",
    "report": "district annual report",
    "scaleout": "scale-out",
    "xapi_gthread": "xAPI ingestion, gthread workers",
    "heartbeat_gthread": "study-time heartbeats, gthread workers",
}


@dataclass
class Report:
    sizes: dict
    quick: bool
    machine: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    pg_settings: dict = field(default_factory=dict)
    world: dict = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    locked_errors: int | None = None
    load: dict = field(default_factory=dict)
    elapsed: float = 0.0
    finished: bool = False

    def row(self, db: str, key: str, measure: str, figure, unit: str, **kwargs) -> Row:
        row = Row(db, key, measure, figure, unit, **kwargs)
        self.rows.append(row)
        verdict = "" if row.passed is None else ("PASS" if row.passed else "MISS")
        print(f"    {db:10} {key:9} {measure}: {fmt(figure)} {unit} {verdict}", flush=True)
        return row

    def not_measured(self, db: str, key: str, why: str, measure: str = "") -> None:
        self.rows.append(Row(db, key, measure or "—", None, "", why_not=why))
        print(f"    {db:10} {key:9} not measured: {why}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def detail(self, key: str, text: str) -> None:
        self.details.setdefault(key, []).append(text)

    # --- rendering ------------------------------------------------------------------------------
    def render(self) -> str:
        out = [
            "# Benchmark results",
            "",
            "Written by `make bench` (`bench/run.py`); do not edit by hand. The engineers' reading of the "
            "misses is in `bench/ANALYSIS.md`. "
            + ("**Quick run (small sizes): not the issue's figures.**" if self.quick else ""),
            "",
            f"Run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {self.elapsed / 60:.1f} minutes.",
            "",
            "## Machine and versions",
            "",
            "| | |",
            "| --- | --- |",
        ]
        for key, value in {**self.machine, **self.versions}.items():
            out.append(f"| {key} | {value} |")
        if self.pg_settings:
            out.append("| PostgreSQL settings | " + ", ".join(f"{k}={v}" for k, v in self.pg_settings.items()) + " |")
        out += [
            "",
            "Set-up: everything on this one machine over loopback — the load generator (one asyncio "
            "process) competes with gunicorn, PostgreSQL, Redis and the django-q2 cluster for the same cores, "
            "so every figure is a floor for a machine where clients are elsewhere. "
            + CLIENTS[loadgen.RATE_CLIENT]
            + " gunicorn runs "
            f"`shixun.config.wsgi` with {2 * (os.cpu_count() or 2) + 1} sync workers (2 × cores + 1); the django-q2 "
            "cluster has 2 workers with Redis as broker; `bench/settings.py` is production's settings "
            "(DEBUG off, persistent connections, Redis cache, WhiteNoise manifest storage, JSON logs with the "
            "access line of every page, refused, failed or slow request, in bench/work/logs) minus HTTPS-only "
            "cookies and redirects. PostgreSQL runs with production durability (fsync, synchronous_commit and "
            "full_page_writes on: `scripts/postgres.sh` turns them off for tests, which would flatter every "
            "write figure). Learners' sessions are created directly in the session store (as "
            "`django.contrib.auth.login` does) so that 700 PBKDF2 logins do not dominate the run.",
            "",
            "Data: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.sizes.items() if isinstance(v, int))
            + ".",
            "",
        ]
        for db, world in self.world.items():
            out.append(
                f"- {db}: {world['teachers']} teachers, {world['ledger_entries']} ledger entries; "
                f"generated in {world['timings']}"
            )
        out += ["", "## Results (PostgreSQL + Redis)", ""]
        out += self._table([r for r in self.rows if r.db == "postgresql"])
        out += ["", "## Embedded default (SQLite in WAL mode, ORM broker)", ""]
        out += self._embedded()
        peer_rows = [r for r in self.rows if r.db == "peer"]
        if peer_rows:
            out += ["", "## Peer: wagtail-lms", ""]
            out += self._table(peer_rows)
        for key, texts in self.details.items():
            out += ["", f"### {SCENARIO_TITLES.get(key, key)}: details", ""]
            out += [text + "\n" for text in texts]
        if self.load:
            out += [
                "",
                "## Was the machine shared?",
                "",
                "CPU used during each scenario, as a share of all cores: the benchmark's own processes (load "
                "generator, gunicorn, cluster, PostgreSQL, Redis) and everything else on the machine. A large "
                '"others" share means the figures of that scenario are pessimistic.',
                "",
                "| database | scenario | wall s | benchmark | others | load average |",
                "| --- | --- | --- | --- | --- | --- |",
            ]
            for (db, key), m in self.load.items():
                out.append(
                    f"| {db} | {SCENARIO_TITLES.get(key, key)} | {m['wall_s']} | {m['own_cpu_share']:.0%} | "
                    f"{m['foreign_cpu_share']:.0%} | {m['loadavg']:.1f} |"
                )
        misses = [r for r in self.rows if r.passed is False]
        out += ["", "## Misses and what was found", ""]
        if misses:
            for r in misses:
                out.append(
                    f"- **{r.db} {SCENARIO_TITLES.get(r.key, r.key)} — {r.measure}**: {fmt(r.figure)} {r.unit} "
                    f"against {r.target}. {r.detail}"
                )
        else:
            out.append("- none among the measured figures.")
        unmeasured = [r for r in self.rows if r.why_not]
        if unmeasured:
            out += ["", "## Not measured", ""]
            for r in unmeasured:
                out.append(f"- {r.db} {SCENARIO_TITLES.get(r.key, r.key)}: not measured: {r.why_not}")
        if self.notes:
            out += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"

    def scaleout_section(self, when: str) -> str:
        """The scale-out rows alone, for bench/RESULTS.md's own section (make bench-scaleout)."""
        rows = [r for r in self.rows if r.key == "scaleout"]
        out = [
            SCALEOUT_BEGIN,
            "## Scale-out rows (`make bench-scaleout`)",
            "",
            f"Run at {when} in {self.elapsed / 60:.1f} minutes, PostgreSQL + Redis, data: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.sizes.items() if isinstance(v, int))
            + ". What each tier needs in production: README, \"Running on more than one machine\".",
            "",
        ]
        out += self._table(rows) if rows else ["Not measured: the scenario did not run."]
        out += [""] + [f"- {r.measure}: {r.detail}" for r in rows if r.detail]
        out += [""] + [text for text in self.details.get("scaleout", [])]
        for (_db, key), m in self.load.items():
            if key == "scaleout":
                out += [
                    "",
                    f"Load during the run: the benchmark's processes {m['own_cpu_share']:.0%} of the CPU, other "
                    f"processes {m['foreign_cpu_share']:.0%}, load average {m['loadavg']:.1f} over {m['wall_s']} s.",
                ]
        out.append(SCALEOUT_END)
        return "\n".join(out) + "\n"

    def _table(self, rows: list[Row]) -> list[str]:
        out = [
            "| scenario | measure | figure | baseline (same run) | ratio | target | result |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows:
            if r.why_not:
                out.append(f"| {SCENARIO_TITLES.get(r.key, r.key)} | {r.measure} | not measured: {r.why_not} | | | | |")
                continue
            baseline = f"{fmt(r.baseline)} ({r.baseline_label})" if r.baseline is not None else r.baseline_label
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
            verdict = "" if r.passed is None else ("PASS" if r.passed else "**MISS**")
            out.append(
                f"| {SCENARIO_TITLES.get(r.key, r.key)} | {r.measure} | {fmt(r.figure)} {r.unit} | {baseline} | "
                f"{ratio} | {r.target} | {verdict} |"
            )
        return out

    def _embedded(self) -> list[str]:
        lite = [r for r in self.rows if r.db == "sqlite"]
        if not lite:
            return ["Not measured: the SQLite pass was skipped or did not start."]
        out = [
            "Target: at least half the PostgreSQL figure (for a time, at most twice it), "
            f'0 "database is locked" errors. Errors counted in the SQLite pass\'s gunicorn and cluster logs: '
            f"**{self.locked_errors if self.locked_errors is not None else 'not counted'}**.",
            "",
            "| scenario | measure | SQLite | PostgreSQL | SQLite relative to PostgreSQL | own target | result |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in lite:
            if r.why_not:
                out.append(f"| {SCENARIO_TITLES.get(r.key, r.key)} | {r.measure} | not measured: {r.why_not} | | | | |")
                continue
            pg = next(
                (p for p in self.rows if p.db == "postgresql" and p.key == r.key and p.measure == r.measure), None
            )
            relative, verdict = "", ""
            rel = relative_to_postgres(r, pg)
            if rel is not None:
                relative = f"{rel:.2f}"
                verdict = "PASS" if rel >= 0.5 and (self.locked_errors or 0) == 0 else "**MISS**"
            own = "" if r.passed is None else ("meets" if r.passed else "misses") + f" {r.target}"
            out.append(
                f"| {SCENARIO_TITLES.get(r.key, r.key)} | {r.measure} | {fmt(r.figure)} {r.unit} | "
                f"{fmt(pg.figure) if pg else ''} | {relative} | {own} | {verdict} |"
            )
        return out


def relative_to_postgres(lite: Row, pg: Row | None) -> float | None:
    """SQLite's figure as a share of PostgreSQL's (1.0 = as good), for throughputs and times alike."""
    if pg is None or lite.unit in ("queries", "") or lite.measure == "errors":
        return None
    if not all(isinstance(v, int | float) for v in (lite.figure, pg.figure)):
        return None
    if lite.higher_is_better:
        return lite.figure / pg.figure if pg.figure else None
    return pg.figure / lite.figure if lite.figure else None


def fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine() -> dict:
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory": memory,
        "CPU": model,
        "kernel": platform.release(),
        "disk: 8 KB write + fdatasync (where PostgreSQL keeps its WAL)": f"{fsync_latency_ms():.2f} ms",
    }


def fsync_latency_ms(folder: str = "/tmp", rounds: int = 200) -> float:  # noqa: S108 (the WAL's disk)
    """What one durable commit costs on this disk at least: PostgreSQL waits for this at every COMMIT."""
    path = os.path.join(folder, f"shixun-bench-fsync-{os.getpid()}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        start = time.perf_counter()
        for _ in range(rounds):
            os.write(fd, b"x" * 8192)
            os.fdatasync(fd)
        return (time.perf_counter() - start) / rounds * 1000
    finally:
        os.close(fd)
        os.unlink(path)


def versions(env: dict, pg_url: str) -> dict:
    code = (
        "import sys, django, wagtail, gunicorn, django_q, psycopg, redis, redis.utils;"
        "print(sys.version.split()[0], django.get_version(), wagtail.__version__, gunicorn.__version__,"
        " __import__('importlib.metadata').metadata.version('django-q2'), psycopg.__version__, redis.__version__,"
        " redis.utils.HIREDIS_AVAILABLE and __import__('hiredis').__version__)"
    )
    out = subprocess.run([str(VENV_BIN / "python"), "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    parts = out.stdout.split() + [""] * 8
    import psycopg

    with psycopg.connect(pg_url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    match = re.search(r"v=(\S+)", redis_version)
    # redis-py parses every reply with hiredis when it is installed (the requirements pin it), else in Python.
    parser = f"hiredis {parts[7]}" if parts[7] not in ("", "False") else "Python"
    return {
        "Python": parts[0],
        "Django": parts[1],
        "Wagtail": parts[2],
        "gunicorn": parts[3],
        "django-q2": parts[4],
        "psycopg": parts[5],
        "redis-py": f"{parts[6]} ({parser} parser)",
        "PostgreSQL": pg,
        "Redis": match.group(1) if match else "?",
        "SQLite": __import__("sqlite3").sqlite_version,
    }
