"""The scenarios of issue 8's table, each with its baseline measured in the same run."""

# ruff: noqa: S603, S607 (starting the benchmark's own servers and tools is what this module is for)

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import loadgen
from bench.loadgen import Recorder, Request, VirtualUser
from bench.services import REPO, WORK, port_is_free, production_python


@dataclass
class Context:
    run: object
    env: dict
    db: str
    base_url: str
    world: dict

    @property
    def report(self):
        return self.run.report

    @property
    def sizes(self) -> dict:
        return self.run.sizes

    def row(self, key, measure, figure, unit, **kwargs):
        return self.report.row(self.db, key, measure, figure, unit, **kwargs)

    def not_measured(self, key, why, measure=""):
        self.report.not_measured(self.db, key, why, measure)


def users_from(kits: list[dict]) -> list[VirtualUser]:
    return [VirtualUser(session_key=k["session"], csrf=k["csrf"], info=dict(k)) for k in kits]


async def with_users(ctx: Context, kits: list[dict], body, *, lean: bool = False):
    """`body(users)` with the kits' learners on aiohttp, or on the lean client when `lean`."""
    if lean:
        pool = loadgen.LeanPool(ctx.base_url)
        try:
            return await body([loadgen.open_lean_user(pool, u) for u in users_from(kits)])
        finally:
            await pool.close()
            if pool.set_cookies:  # aiohttp would have sent them back: the two clients' requests differ
                ctx.report.note(f"{ctx.db}: {pool.set_cookies} answers set a cookie the lean client did not keep")
    connector = loadgen.new_connector()
    users = [await loadgen.open_user(ctx.base_url, u, connector) for u in users_from(kits)]
    try:
        return await body(users)
    finally:
        await loadgen.close_users(users)
        await connector.close()


def step_args(ctx: Context) -> dict:
    """The tiny form (bench/run.py --tiny) shortens every saturation step; real runs keep loadgen's default."""
    if "step_seconds" in ctx.sizes:
        return {"step_seconds": ctx.sizes["step_seconds"], "concurrencies": (2, 4)}
    return {}


def one_query_request(user, rng) -> Request:
    return Request("one-query", "GET", "/bench/one-query/")


async def one_query_saturation(ctx: Context, users, during=None) -> dict:
    # Same connections, no CSRF header; the session's cookies still go (aiohttp's jar sends them; so does lean).
    anonymous = [VirtualUser(http=u.http, lean=u.lean, cookie=u.cookie) for u in users]
    return await loadgen.saturation(anonymous, one_query_request, during=during, **step_args(ctx))


# --- open-loop rate steps ---------------------------------------------------------------------


async def rate_steps(
    users: list[VirtualUser],
    rates,
    step: float,
    make_request,
    *,
    stop_p95_ms: float,
    during=None,
    label: str = "",
) -> list[dict]:
    """Open-loop steps at rising rates, each `step` seconds, the users taking turns; one summary per step.

    Each summary is the Recorder's with the offered and achieved rates. The steps stop rising once p95
    passes `stop_p95_ms` or an error appears (past saturation a step only adds queueing). `during`, a
    context manager factory given the rate, wraps each step (the xAPI steps sample PostgreSQL's wait
    events with it) and may add to the step's summary through the object it yields.
    """
    # Every step's requests (and the lean client's bytes) are built before the first step, so between two steps the
    # client only summarises the last: no building work sits between steps. In the 22:10 run each step's first
    # second was its slowest; in one run with this change it was not. The cause is not established (the heartbeat's
    # requests were already reused, so their build was short): bench/ANALYSIS.md, "the first second of each step".
    schedules = []
    for rate in rates:
        schedule = []
        for i in range(int(rate * step)):
            user = users[i % len(users)]
            schedule.append((i / rate, user, make_request(user)))
        loadgen.build_wires(schedule)
        schedules.append(schedule)
    steps = []
    for rate, schedule in zip(rates, schedules, strict=True):
        recorder = Recorder()
        # The load generator's own CPU over the step (its event loop's thread: not WaitSampler's), issue 18.
        cpu = time.thread_time()
        if during is None:
            start, end = await loadgen.open_loop(schedule, recorder)
            extra = {}
        else:
            with during(rate) as extra:
                start, end = await loadgen.open_loop(schedule, recorder)
        cpu = time.thread_time() - cpu
        log_seconds(recorder, start, rate, label)
        summary = recorder.summary()
        summary["offered"] = rate
        summary["achieved"] = round(summary["count"] / (end - start), 1)
        summary["client_cpu_ms"] = round(1000 * cpu / summary["count"], 2) if summary["count"] else None
        summary.update(extra)
        steps.append(summary)
        if summary["p95_ms"] is None or summary["p95_ms"] > stop_p95_ms or summary["errors"]:
            break
    return steps


RATE_SECONDS_LOG = WORK / "logs" / "rate-seconds.jsonl"  # emptied at each run's start, as the logs are


def log_seconds(recorder: Recorder, start: float, rate: int, label: str) -> None:
    """Append the step's answers by second of their due time to bench/work/logs/rate-seconds.jsonl (wall clock).

    A step's p95 can be decided by two bad seconds of six; joined with bench/timeline.py's lines (the
    machine's and the servers' CPU, checkpoints, listen drops by second) it says what those seconds had.
    """
    wall = time.time() - time.monotonic()
    seconds: dict[int, list] = {}
    for sample in recorder.samples:
        seconds.setdefault(int(sample.started - sample.lag - start), []).append(sample)
    RATE_SECONDS_LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(RATE_SECONDS_LOG, "a") as log:
        for second in sorted(seconds):
            chosen = seconds[second]
            latencies = [s.latency for s in chosen]
            line = {
                "time": time.strftime("%H:%M:%S", time.localtime(wall + start + second)),
                "label": label,
                "offered": rate,
                "second": second,
                "due": len(chosen),
                "errors": sum(not s.ok for s in chosen),
                "p50_ms": round(1000 * loadgen.percentile(latencies, 0.50), 1),
                "p95_ms": round(1000 * loadgen.percentile(latencies, 0.95), 1),
                "max_ms": round(1000 * max(latencies), 1),
                "lag_p95_ms": round(1000 * loadgen.percentile([s.lag for s in chosen], 0.95), 1),
            }
            log.write(json.dumps(line) + "\n")


def sustained_rate(steps: list[dict], *, p95_ms: float) -> tuple[float, dict | None]:
    """The row's figure: the achieved rate of the last step before the first that missed (an error, or p95 at or
    over `p95_ms`), and that step (None when none missed).

    Steps above a miss are shown but never counted. At the knee a stall of a few hundred milliseconds fails one
    6-s step and spares the next (the 21:49 run: 1,000/s passed, 1,100 missed, 1,200 passed); a rate the server
    held only in some steps is not a rate it holds. Before 2026-12-07 the figure was the best passing step, which
    could lie above a miss (bench/ANALYSIS.md, the run of 2026-12-06 21:49)."""
    held = 0.0
    for s in steps:
        if s["errors"] or s["p95_ms"] is None or s["p95_ms"] >= p95_ms:
            return held, s
        held = s["achieved"]
    return held, None


def row_rate(steps: list[dict], *, p95_ms: float) -> float:
    """The figure of a rate row (0.0 when its first step missed): see `sustained_rate`."""
    return sustained_rate(steps, p95_ms=p95_ms)[0]


def sustained_line(steps: list[dict], *, p95_ms: float) -> str:
    """A sentence under a step table: how far every step passed, the first miss, and any pass above it."""
    held, missed = sustained_rate(steps, p95_ms=p95_ms)
    text = f"Every step up to {held}/s passed (p95 < {p95_ms:g} ms, no error): the row's figure"
    if missed is not None:
        text += (
            f"; the first to miss was {missed['offered']}/s offered (p95 {missed['p95_ms']} ms, "
            f"{missed['errors']} errors)"
        )
        above = steps[steps.index(missed) + 1 :]
        passed_above = [
            s["achieved"] for s in above if not s["errors"] and s["p95_ms"] is not None and s["p95_ms"] < p95_ms
        ]
        if passed_above:
            text += f". A step above that miss passed ({max(passed_above)}/s): shown, not counted"
    return text + "."


def step_table(steps: list[dict]) -> list[str]:
    lines = [
        "| offered/s | achieved/s | p50 ms | p95 ms | p99 ms | errors | load generator CPU ms/request "
        "| send lag p95 / max ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in steps:
        lines.append(
            f"| {s['offered']} | {s['achieved']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | "
            f"{s['errors']} {s['error_kinds'] or ''} | {s.get('client_cpu_ms')} | "
            f"{s.get('lag_p95_ms')} / {s.get('lag_max_ms')} |"
        )
    return lines


class WaitSampler:
    """What PostgreSQL's client backends do during a step: pg_stat_activity sampled every 50 ms.

    Issue 18's gthread diagnosis: row-lock waits show as "Lock:transactionid"/"Lock:tuple", a
    server starved of CPU between its statements as "idle in transaction", the disk flush of a
    commit as "IO:WALSync"/"LWLock:WALWrite"; connections opened during the step (backends younger
    than the step) show whether the web threads keep theirs. Reads in its own thread, so the
    load generator's event loop is not held up.
    """

    QUERY = (
        "SELECT pid, backend_start >= %s, state, coalesce(wait_event_type || ':' || wait_event, '') "
        "FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = current_database() "
        "AND pid <> pg_backend_pid() AND application_name <> 'shixun-bench-probe'"
    )

    def __init__(self, url: str, interval: float = 0.05):
        self.url = url
        self.interval = interval

    def __call__(self, rate):
        return self._sampling()

    @contextlib.contextmanager
    def _sampling(self):
        import threading
        from collections import Counter
        from datetime import UTC, datetime

        import psycopg

        found: dict = {}
        stop = threading.Event()
        states: Counter = Counter()
        seen, fresh = set(), set()
        counts = {"samples": 0}
        since = datetime.now(UTC)

        def sample():
            with psycopg.connect(self.url, autocommit=True, application_name="shixun-bench-probe") as conn:
                while not stop.is_set():
                    for pid, young, state, wait in conn.execute(self.QUERY, [since]).fetchall():
                        seen.add(pid)
                        if young:
                            fresh.add(pid)
                        if state != "idle":
                            states[f"{state} {wait}".strip()] += 1
                    counts["samples"] += 1
                    stop.wait(self.interval)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield found
        finally:
            stop.set()
            thread.join(5)
            n = max(1, counts["samples"])
            found["waits"] = {state: round(count / n, 2) for state, count in states.most_common(6)}
            found["connections"] = len(seen)
            found["new_connections"] = len(fresh)


class Backlog:
    """Work other scenarios left behind: the django-q2 queue, busy PostgreSQL backends, busy processes.

    Issue 18's quiz spike: its p95 was 190 ms in one full run and 1,086 ms in the next, ~300-400 ms when
    run alone; in the full run it follows the mixed browsing's saturation search. `snapshot` says what is
    pending at a moment (tasks waiting in the broker; client backends not idle and autovacuum workers,
    with the first words of their query; each kind of process's CPU over the reading); `settle` waits
    until the cluster's queue is empty and the web, cluster and PostgreSQL processes are quiet, so a burst
    measures itself and not its predecessor's left-overs, and says how long it waited and for what.
    """

    QUEUE_KEY = "django_q:shixun:q"  # django-q2's Redis broker list for Q_CLUSTER["name"] = "shixun"
    ACTIVITY = (
        "SELECT backend_type, state, coalesce(wait_event_type || ':' || wait_event, ''), "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 60) FROM pg_stat_activity "
        "WHERE pid <> pg_backend_pid() AND (backend_type = 'autovacuum worker' OR "
        "(backend_type = 'client backend' AND datname = current_database() "
        "AND application_name <> 'shixun-bench-probe'))"
    )

    def __init__(self, ctx: Context):
        from bench.meter import ProcessCPU

        self.ctx = ctx
        redis_url = ctx.env.get("REDIS_URL", "") if ctx.db == "postgresql" else ""
        port = redis_url.rsplit(":", 1)[-1].split("/", 1)[0] if redis_url else ""
        self.redis_url = redis_url
        self._conn = None
        self.cpu = ProcessCPU(getattr(ctx.run, "pg_dir", "") if ctx.db == "postgresql" else "", port)

    def queued(self) -> int | None:
        """Tasks waiting in the broker (not those the cluster has already taken into its own queue)."""
        try:
            if self.redis_url:
                import redis

                client = redis.Redis.from_url(self.redis_url)
                try:
                    return int(client.llen(self.QUEUE_KEY))
                finally:
                    client.close()
            import sqlite3

            path = self.ctx.env["DATABASE_URL"].split("sqlite:///", 1)[1]
            with contextlib.closing(sqlite3.connect(path, timeout=5)) as conn:
                return conn.execute("SELECT count(*) FROM django_q_ormq").fetchone()[0]
        except Exception:  # a diagnostic: never the reason a scenario fails
            return None

    def activity(self) -> dict:
        if self.ctx.db != "postgresql":
            return {}
        from collections import Counter

        import psycopg

        busy: Counter = Counter()
        connections = 0
        if self._conn is None or self._conn.closed:  # one connection for every reading, not counted as a client
            self._conn = psycopg.connect(
                self.ctx.env["DATABASE_URL"], autocommit=True, application_name="shixun-bench-probe"
            )
        for kind, state, wait, query in self._conn.execute(self.ACTIVITY).fetchall():
            if kind == "client backend":
                connections += 1
                if state == "idle":
                    continue
                busy[f"{state} {wait}: {query}".replace("  ", " ").strip()] += 1
            else:
                busy[f"autovacuum: {query}"] += 1
        return {"connections": connections, "busy": dict(busy.most_common(5))}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def snapshot(self, seconds: float = 1.0) -> dict:
        before = self.cpu.reading()
        time.sleep(seconds)
        after = self.cpu.reading()
        return {"queued": self.queued(), **self.activity(), "cpu": self.cpu.shares(before, after)}

    def quiet(self, snap: dict, cpu_limit: float) -> bool:
        cpu = snap["cpu"]
        return (
            not snap["queued"]
            and not snap.get("busy")
            and all(cpu[kind] < cpu_limit for kind in ("web", "cluster", "postgres"))
        )

    def settle(self, *, cpu_limit: float = 0.15, timeout: float = 180.0) -> dict:
        """Wait (reading every second) until two readings in a row are quiet, at most `timeout` seconds."""
        started = time.monotonic()
        first = last = self.snapshot()
        calm = 1 if self.quiet(first, cpu_limit) else 0
        while calm < 2 and time.monotonic() - started < timeout:
            last = self.snapshot()
            calm = calm + 1 if self.quiet(last, cpu_limit) else 0
        return {"waited_s": round(time.monotonic() - started, 1), "settled": calm >= 2, "first": first, "last": last}

    @staticmethod
    def line(snap: dict) -> str:
        cpu = ", ".join(f"{k} {v}" for k, v in snap["cpu"].items() if v >= 0.01) or "none"
        busy = "; ".join(f"{n} × {what}" for what, n in snap.get("busy", {}).items()) or "none"
        conns = f", {snap['connections']} client connections" if "connections" in snap else ""
        return f"queued tasks {snap['queued']}{conns}; busy backends: {busy}; CPU (cores): {cpu}"


class QueueSampler:
    """Once a second while a block runs: the tasks waiting in the broker and how busy the cluster's processes were.

    Issue 18: the idle full run's paced posting p95 of 1.24 s had 0 tasks queued at the paced part's start and
    no sample after it. Each sample: wall time (epoch), tasks in the broker (not those the cluster already
    took into its own queue), the cluster's CPU over the second before (cores) and how many of its processes
    used at least half a core (busy: the workers, when the pusher and monitor are light). A thread of the
    bench's own process, so the Django side's timing is untouched.
    """

    BUSY = 0.5

    def __init__(self, ctx: Context, interval: float = 1.0):
        import threading

        self.backlog = Backlog(ctx)
        self.interval = interval
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _cluster(self) -> dict[int, float]:
        return {pid: cpu for pid, (kind, cpu) in self.backlog.cpu.per_process().items() if kind == "cluster"}

    def _run(self) -> None:
        before, at = self._cluster(), time.monotonic()
        while not self._stop.wait(self.interval):
            now, now_at = self._cluster(), time.monotonic()
            wall = max(now_at - at, 1e-6)
            shares = [max(0.0, cpu - before.get(pid, cpu)) / wall for pid, cpu in now.items()]
            self.samples.append(
                {
                    "at": round(time.time(), 2),
                    "queued": self.backlog.queued(),
                    "cluster_cores": round(sum(shares), 2),
                    "busy": sum(share >= self.BUSY for share in shares),
                }
            )
            before, at = now, now_at

    def __enter__(self) -> QueueSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    @staticmethod
    def table(samples: list[dict], per_second: list[dict], started_epoch: float) -> str:
        """Samples against the seconds of the paced part (0 = its first completion), with that second's latency."""
        made = {row["second"]: row for row in per_second}
        lines = [
            "| s (sample) | tasks in the broker | cluster CPU (cores) | cluster processes ≥ 0.5 core | completions "
            "made the second before | their p95 s |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for sample in samples:
            # A sample covers about the second before it: the completions made in that second sit beside it.
            offset = sample["at"] - started_epoch if started_epoch else None
            row = made.get(math.floor(offset - 0.5), {}) if offset is not None else {}
            label = f"{offset:.1f}" if offset is not None else "—"
            lines.append(
                f"| {label} | {sample['queued']} | {sample['cluster_cores']} | {sample['busy']} | "
                f"{row.get('made', '—')} | {row.get('p95_s', '—')} |"
            )
        return "\n".join(lines)


class StepMeter:
    """Wraps each saturation step (loadgen.saturation's `during`): CPU seconds of each kind of process over
    the step, and on PostgreSQL the backends' wait events and connections opened (WaitSampler). Issue 18:
    why the mix's throughput falls from concurrency 4 to 8 on five sync workers."""

    KINDS = ("web", "postgres", "cluster", "redis", "loadgen", "others")

    def __init__(self, ctx: Context):
        self.cpu = Backlog(ctx).cpu
        self.waits = WaitSampler(ctx.env["DATABASE_URL"]) if ctx.db == "postgresql" else None

    @contextlib.contextmanager
    def __call__(self, concurrency):
        found: dict = {}
        before = self.cpu.reading()
        with self.waits(concurrency) if self.waits else contextlib.nullcontext({}) as waits:
            yield found
        after = self.cpu.reading()
        found.update(waits)
        found["cpu_s"] = {k: round(max(0.0, after.get(k, 0.0) - before.get(k, 0.0)), 2) for k in self.KINDS}

    @classmethod
    def table(cls, steps: list[tuple[str, dict]]) -> str:
        lines = [
            "| load | concurrency | req/s | " + " | ".join(f"{k} ms/req" for k in cls.KINDS) + " | new conns | "
            "PostgreSQL backends not idle (mean per sample) |",
            "| --- | --- | --- | " + " | ".join("---" for _ in cls.KINDS) + " | --- | --- |",
        ]
        for label, s in steps:
            if "cpu_s" not in s or not s["count"]:
                continue
            per = " | ".join(f"{1000 * s['cpu_s'][k] / s['count']:.2f}" for k in cls.KINDS)
            busy = ", ".join(f"{state} {n}" for state, n in s.get("waits", {}).items()) or "—"
            fresh = s.get("new_connections", "—")
            lines.append(f"| {label} | {s['concurrency']} | {s['rps']} | {per} | {fresh} | {busy} |")
        return "\n".join(lines)


def waits_line(steps: list[dict]) -> str:
    """One line per step of a WaitSampler's findings, for the report's details."""
    lines = []
    for s in steps:
        if "waits" not in s:
            continue
        busy = ", ".join(f"{state} {n}" for state, n in s["waits"].items()) or "none"
        lines.append(
            f"- {s['offered']}/s: {s['connections']} connections ({s['new_connections']} opened during the "
            f"step); backends not idle, on average per sample: {busy}"
        )
    return "\n".join(lines)


# --- xAPI statements -------------------------------------------------------------------------


def xapi_statement(course: dict, rng: random.Random) -> dict:
    """A 1-3 KB statement like the H5P player sends: an answered interaction with context and extensions."""
    activity_iri = course["h5p_iri"]
    padding = "".join(rng.choice("师德规范教学反思课程标准") for _ in range(rng.randint(250, 900)))
    scaled = round(rng.random(), 2)
    return {
        "id": str(uuid.uuid4()),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "id": activity_iri,
            "objectType": "Activity",
            "definition": {
                "name": {"zh-CN": "基准互动练习"},
                "description": {"zh-CN": padding},
                "interactionType": "choice",
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            },
        },
        "result": {
            "score": {"min": 0, "max": 10, "raw": round(scaled * 10, 1), "scaled": scaled},
            "completion": True,
            "success": scaled >= 0.6,
            "duration": "PT12.5S",
        },
        "context": {
            "contextActivities": {"category": [{"id": "http://h5p.org/libraries/H5P.MultiChoice-1.16"}]},
            "extensions": {"http://h5p.org/x-api/h5p-local-content-id": 1},
        },
    }


def xapi_request(user: VirtualUser, course: dict, rng) -> Request:
    return Request(
        "xapi", "POST", "/h5p/xapi/", json={"token": user.info["h5p_token"], "statement": xapi_statement(course, rng)}
    )


def activity_iri_check(ctx: Context) -> str | None:
    """The H5P app's own IRI for the bench activity, so the statements are about the right object."""
    return ctx.world["course"].get("h5p_iri")


# --- mixed browsing ---------------------------------------------------------------------------

# Weights in the spirit of real LMS traffic, per request. The first wave's pages keep their weights
# (units of 100: the H5P player posts statements constantly, module pages and the dashboard are the bulk
# of page views, quizzes and the transcript are visited less often); issue 18 adds this wave's pages:
#
# - heartbeat: a teacher on a module (lesson) page sends one every 30-60 s (study.js: 30 s while active,
#   nothing while the page is hidden; ~45 s on average). A module page view lasts ~10 minutes on average
#   (a 2-hour module needs 90 minutes of study, done in several sittings; short looks at studied modules
#   balance the long sittings), so each module page view brings 600 / 45 ≈ 13 heartbeats:
#   25 module views × 13 ≈ 330. Heartbeats are then ~3/4 of all requests: by far the most frequent.
# - sessions 3: the learner's session page (the upcoming sessions also show on every dashboard, whose
#   weight is unchanged); signin page 1: a teacher opens the QR code's page once per session attended.
# - shadowing journal 3: the visiting teacher's workspace with the journal, opened about daily.
# - inbox 4: the message list, opened from the header's unread count about once per sitting.
# - district report 0.5: one district admin per district of thousands of teachers, a few looks a day
#   (sent with the district admin's session); training file 0.2: a teacher downloads it once or twice a
#   year, at appraisal time (a PDF made anew each time: the heaviest GET of the mix, hence "rarely").
#
# The per-request table in RESULTS.md gives each kind's own p50/p95, so the cheap heartbeats' share does
# not hide a slow page; the saturation figure of this mix is not comparable with the first wave's mix
# (which had no heartbeats).
MIX = [
    ("heartbeat", 330),
    ("xapi", 30),
    ("module", 25),
    ("dashboard", 15),
    ("quiz", 15),
    ("transcript", 10),
    ("course", 5),
    ("inbox", 4),
    ("sessions", 3),
    ("shadowing", 3),
    ("signin", 1),
    ("report", 0.5),
    ("training_file", 0.2),
]


class Browser:
    """What one simulated teacher does next, including a small quiz state machine (start, answer, submit)."""

    def __init__(self, ctx: Context):
        self.course = ctx.world["course"]
        self.mix = ctx.world.get("mix", {})
        self.admin: VirtualUser | None = None  # the district admin's open session (use_admin)
        self.iri = None
        self.choose_kinds()

    def choose_kinds(self) -> None:
        self.kinds = [(k, w) for k, w in MIX if self.available(k)]
        self.missing = [k for k, _ in MIX if not self.available(k)]

    def use_admin(self, admin: VirtualUser) -> None:
        """The district admin's session, opened by the caller: the report requests go with it."""
        self.admin = admin
        self.choose_kinds()

    def available(self, kind: str) -> bool:
        if kind == "xapi":
            return "h5p_activity_id" in self.course
        if kind == "quiz":
            return "browse_quiz_id" in self.course
        needs = {
            "heartbeat": "heartbeat_urls",
            "sessions": "my_sessions_url",
            "signin": "scan_path",
            "shadowing": "programme_id",
            "inbox": "inbox_url",
            "report": "report_url",
            "training_file": "training_file_url",
        }
        if kind == "report" and self.admin is None:
            return False  # a district admin's page: only with their session (the scale-out load has none)
        return kind not in needs or needs[kind] in self.mix

    def reason(self, kind: str) -> str:
        if kind == "report" and self.admin is None:
            return "no district admin session"
        part = {"sessions": "sessions", "signin": "sessions"}.get(kind, kind)
        return self.mix.get("skipped", {}).get(part, "")

    def __call__(self, user: VirtualUser, rng: random.Random) -> Request:
        kind = rng.choices([k for k, _ in self.kinds], weights=[w for _, w in self.kinds])[0]
        return self.make(kind, user, rng)

    async def probe(self, user: VirtualUser) -> Recorder:
        """Every kind of the mix once (the quiz's three steps), before the load: each must answer as expected,
        however rare its weight makes it in a short window."""
        recorder, rng = Recorder(), random.Random(7)
        for kind, _weight in self.kinds:
            for _ in range(3 if kind == "quiz" else 1):
                await loadgen.send(user, self.make(kind, user, rng), recorder)
        return recorder

    def make(self, kind: str, user: VirtualUser, rng: random.Random) -> Request:
        course = self.course
        if kind == "heartbeat":
            # To the module the teacher last opened; the first beat after opening it (re)starts the clock.
            module = user.info.get("module", course["lesson_url"])
            start = user.info.pop("beat_start", True)
            return Request("heartbeat", "POST", self.mix["heartbeat_urls"][module], json={"start": start},
                           ok_statuses=(200,))
        if kind == "xapi":
            request = xapi_request(user, course, rng)
            if self.iri:
                request.json["statement"]["object"]["id"] = self.iri
            return request
        if kind == "module":
            urls = [course["lesson_url"]] + [
                course[k] for k in ("practice_module_url", "h5p_module_url") if k in course
            ]
            user.info["module"] = rng.choice(urls)
            user.info["beat_start"] = True
            return Request("module page", "GET", user.info["module"])
        if kind == "dashboard":
            return Request("dashboard", "GET", "/learn/")
        if kind == "transcript":
            return Request("transcript", "GET", "/transcript/")
        if kind == "course":
            return Request("course page", "GET", course["course_url"])
        if kind == "sessions":
            return Request("my sessions", "GET", self.mix["my_sessions_url"], ok_statuses=(200,))
        if kind == "signin":
            return Request("sign-in page", "GET", self.mix["scan_path"], ok_statuses=(200,))
        if kind == "shadowing":
            return Request("shadowing journal", "GET", user.info["shadowing_url"], ok_statuses=(200,))
        if kind == "inbox":
            return Request("inbox", "GET", self.mix["inbox_url"], ok_statuses=(200,))
        if kind == "report":
            return Request("district report", "GET", self.mix["report_url"], ok_statuses=(200,), via=self.admin)
        if kind == "training_file":
            return Request("training file", "GET", self.mix["training_file_url"], ok_statuses=(200,))
        return self.quiz_step(user)

    def quiz_step(self, user: VirtualUser) -> Request:
        state = user.info.setdefault("quiz", {})
        course = self.course
        if "attempt" not in state:

            def started(status, location, body):
                match = re.search(r"/attempt/(\d+)/", location)
                if match:
                    state["attempt"] = match.group(1)

            path = f"/quizzes/module/{course['practice_module_id']}/quiz/{course['browse_quiz_id']}/start/"
            return Request("quiz start", "POST", path, data={}, after=started)
        if "answers" not in state:

            def read(status, location, body):
                fields = re.findall(r'name="(q-\d+)"[^>]*value="(\d+)"', body)
                answers = {}
                for name, value in fields:
                    answers.setdefault(name, value)
                state["answers"] = answers

            return Request("quiz page", "GET", f"/quizzes/attempt/{state['attempt']}/", after=read, wants_body=True)

        def submitted(status, location, body):
            state.clear()

        return Request(
            "quiz submit",
            "POST",
            f"/quizzes/attempt/{state['attempt']}/submit/",
            data=state["answers"],
            after=submitted,
        )


def browsing(ctx: Context) -> None:
    key = "browsing"
    browser = Browser(ctx)
    if "h5p_activity_id" in ctx.world["course"]:
        browser.iri = activity_iri_check(ctx)
    kits = ctx.world["learners"]["browse"]
    duration, warmup = ctx.sizes["browse_seconds"], ctx.sizes["browse_warmup"]
    mix = ctx.world.get("mix", {})
    if "today_session_id" in mix:  # the sign-in page as the QR code names it now (codes rotate)
        mix["scan_path"] = ctx.run.django(ctx.env, "mix_scan_path", {"session_id": mix["today_session_id"]})["path"]

    async def body(users):
        connector = loadgen.new_connector()
        kit = ctx.world["district_admin"]
        admin = VirtualUser(session_key=kit["session"], csrf=kit["csrf"])
        browser.use_admin(await loadgen.open_user(ctx.base_url, admin, connector))
        try:
            return await measure(users)
        finally:
            await loadgen.close_users([admin])
            await connector.close()

    async def measure(users):
        probe = await browser.probe(users[0])
        recorder = Recorder()
        start, end = await loadgen.closed_loop(users, browser, recorder, duration=duration, think=(7.5, 15.0))
        measured = recorder.summary(since=start + warmup)
        per_kind = {name: recorder.summary(name=name, since=start + warmup) for name in recorder.names()}
        for u in users:
            u.info.pop("quiz", None)
        meter = StepMeter(ctx)
        saturation = await loadgen.saturation(users, browser, during=meter, **step_args(ctx))
        baseline = await one_query_saturation(ctx, users, during=meter)
        return measured, per_kind, saturation, baseline, probe

    measured, per_kind, saturation, baseline, probe = asyncio.run(with_users(ctx, kits, body))
    probed = probe.summary()
    failed = sorted({f"{s.name}: {s.error or f'HTTP {s.status}'}" for s in probe.samples if not s.ok})
    ctx.row(
        key,
        "request kinds answering as expected, one of each",
        len(probe.names()) - len({s.name for s in probe.samples if not s.ok}),
        f"of {len(probe.names())}",
        target="every kind of the mix, none left out",
        passed=probed["errors"] == 0 and not browser.missing,
        detail="; ".join(failed + [f"left out: {k} ({browser.reason(k) or '?'})" for k in browser.missing]),
    )
    p95 = measured["p95_ms"]
    ctx.row(
        key,
        f"p95 latency, {len(kits)} teachers, think 7.5-15 s",
        p95,
        "ms",
        target="< 300 ms with 0 errors",
        passed=p95 is not None and p95 < 300 and measured["errors"] == 0,
        detail=f"{measured['count']} requests, {measured['errors']} errors {measured['error_kinds']}",
    )
    ctx.row(key, "errors", measured["errors"], "", target="0", passed=measured["errors"] == 0)
    best, base = saturation["best"], baseline["best"]
    ctx.row(
        key,
        "saturation throughput",
        best["rps"] if best else None,
        "req/s",
        baseline=base["rps"] if base else None,
        baseline_label="one-query view, req/s",
        target="≥ 0.5 × one-query view",
        higher_is_better=True,
        passed=bool(best and base and best["rps"] >= 0.5 * base["rps"]),
    )
    lines = ["| request | count | errors | p50 ms | p95 ms | p99 ms |", "| --- | --- | --- | --- | --- | --- |"]
    for name, s in per_kind.items():
        lines.append(f"| {name} | {s['count']} | {s['errors']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} |")
    steps = ["| load | concurrency | req/s | p95 ms | errors |", "| --- | --- | --- | --- | --- |"]
    for label, result in (("mix", saturation), ("one-query view", baseline)):
        for s in result["steps"]:
            steps.append(f"| {label} | {s['concurrency']} | {s['rps']} | {s['p95_ms']} | {s['errors']} |")
    mix = ", ".join(f"{k} {w}" for k, w in browser.kinds)
    missing = (
        " Left out (feature missing): " + ", ".join(f"{k} ({browser.reason(k) or '?'})" for k in browser.missing) + "."
        if browser.missing
        else ""
    )
    ctx.report.detail(
        key,
        f"{ctx.db}: request mix (weights) {mix}.{missing} Measured after a {warmup} s ramp-up, "
        f"{duration - warmup} s window.\n\n" + "\n".join(lines) + "\n\nSaturation search (closed loop, "
        "no think time; best error-free step counts):\n\n" + "\n".join(steps)
        + "\n\nCPU of each kind of process per request over each step (psutil; \"others\" is everything not "
        "this run's, on a shared machine), PostgreSQL's connections and wait events (pg_stat_activity every "
        "50 ms):\n\n"
        + StepMeter.table(
            [("mix", s) for s in saturation["steps"]] + [("one-query view", s) for s in baseline["steps"]]
        ),
    )
    profile_misses(ctx, key, "browsing", course=ctx.world["course"], kit=kits[0])


# --- quiz spike --------------------------------------------------------------------------------


def spike(ctx: Context) -> None:
    key = "spike"
    kits = ctx.world["learners"]["spike"]
    if not kits:
        ctx.not_measured(key, "the quiz app could not be set up: " + ctx.world["course"]["skipped"].get("quiz", "?"))
        return
    rng = random.Random(500)
    window = 10.0

    async def body(users):
        schedule = sorted(
            (
                rng.uniform(0, window),
                u,
                Request(
                    "quiz submit",
                    "POST",
                    f"/quizzes/attempt/{u.info['attempt_id']}/submit/",
                    data=u.info["answers"],
                    ok_statuses=(302, 303),
                ),
            )
            for u in users
        )
        recorder = Recorder()
        with during_burst(backlog, ctx) as seen:
            await loadgen.open_loop([(offset, u, r) for offset, u, r in schedule], recorder)
        return recorder.summary(), seen

    # Left-over work of the scenarios before (the browsing's saturation search) is waited out first and
    # recorded: the burst measures the submits, not its predecessor's queue (issue 18).
    backlog = Backlog(ctx)
    if os.environ.get("SHIXUN_BENCH_SPIKE_NO_SETTLE"):  # diagnosis only: the burst on whatever is running
        settled = {"waited_s": 0.0, "settled": False, "first": backlog.snapshot(), "skipped": True}
        settled["last"] = settled["first"]
    else:
        settled = backlog.settle()
    summary, seen = asyncio.run(with_users(ctx, kits, body))
    backlog.close()
    outcome = ctx.run.django(
        ctx.env,
        "spike_outcome",
        {
            "attempt_ids": [k["attempt_id"] for k in kits],
            "user_ids": [k["user_id"] for k in kits],
            "module_id": ctx.world["course"]["quiz_module_id"],
        },
    )
    expected_pass = sum(1 for k in kits if k["expect_pass"])
    n = len(kits)
    ctx.row(
        key,
        f"p95 latency, {n} submits in {window:.0f} s",
        summary["p95_ms"],
        "ms",
        target="< 1,000 ms",
        passed=summary["p95_ms"] is not None and summary["p95_ms"] < 1000,
    )
    ctx.row(
        key,
        "p99 latency",
        summary["p99_ms"],
        "ms",
        target="< 2,000 ms",
        passed=summary["p99_ms"] is not None and summary["p99_ms"] < 2000,
    )
    ctx.row(
        key,
        "errors",
        summary["errors"],
        "",
        target="0",
        passed=summary["errors"] == 0,
        detail=str(summary["error_kinds"]),
    )
    ctx.row(key, "graded attempts", outcome["graded"], f"of {n}", target=f"exactly {n}", passed=outcome["graded"] == n)
    ctx.row(
        key,
        "module completions earned",
        outcome["completions"],
        f"(passed: {outcome['passed']}, expected {expected_pass})",
        target="= attempts passed",
        passed=outcome["completions"] == outcome["passed"] == expected_pass,
    )
    ctx.report.detail(
        key,
        f"{ctx.db}: arrivals uniform over {window:.0f} s (open loop); attempt states {outcome['states']}; "
        f"most attempts by one learner: {outcome['attempts_per_learner_max']}; p50 {summary['p50_ms']} ms, "
        f"max {summary['max_ms']} ms. The baseline for latency is the one-query view in the browsing row.\n\n"
        + burst_lines(settled, seen, n),
    )


@contextlib.contextmanager
def during_burst(backlog: Backlog, ctx: Context):
    """Every half second during a burst: the broker's queue and each kind of process's CPU; on PostgreSQL
    also the backends' wait events (WaitSampler). Yields the dict it fills when the burst ends."""
    import threading

    seen: dict = {}
    readings: list[dict] = []
    stop = threading.Event()

    def sample():
        # The queue and the backends only: a CPU reading walks every process of the machine (psutil), which
        # would load the load generator during the burst; the CPU is read once before and once after.
        while not stop.is_set():
            readings.append({"queued": backlog.queued(), **backlog.activity()})
            stop.wait(0.5)

    thread = threading.Thread(target=sample, daemon=True)
    waits = WaitSampler(ctx.env["DATABASE_URL"])(0) if ctx.db == "postgresql" else contextlib.nullcontext({})
    thread.start()
    before = backlog.cpu.reading()
    try:
        with waits as found:
            yield seen
    finally:
        after = backlog.cpu.reading()
        stop.set()
        thread.join(5)
        seen.update(found)
        seen["wall_s"] = round(after["_at"] - before["_at"], 1)
        seen["cpu_s"] = {k: round(max(0.0, after.get(k, 0.0) - before.get(k, 0.0)), 2) for k in StepMeter.KINDS}
        from collections import Counter

        busy: Counter = Counter()
        for r in readings:
            busy.update(r.get("busy", {}))
        seen["busy"] = {what: round(n / max(1, len(readings)), 2) for what, n in busy.most_common(6)}
        queued = [r["queued"] for r in readings if r["queued"] is not None]
        seen["queued_max"] = max(queued) if queued else None
        seen["queued_end"] = queued[-1] if queued else None
        seen["cpu"] = {k: round(v / max(seen["wall_s"], 0.1), 2) for k, v in seen["cpu_s"].items()}


def burst_lines(settled: dict, seen: dict, submits: int) -> str:
    first, last = settled["first"], settled["last"]
    if settled.get("skipped"):
        head = "Before the burst (not waited for: SHIXUN_BENCH_SPIKE_NO_SETTLE): " + Backlog.line(first) + "."
    else:
        head = (
            f"Before the burst, left over from earlier scenarios: {Backlog.line(first)}. Waited "
            f"{settled['waited_s']} s for the queue to empty and web, cluster and PostgreSQL to go quiet "
            f"({'quiet' if settled['settled'] else 'NOT quiet: gave up'}); at the start: {Backlog.line(last)}."
        )
    cpu = ", ".join(f"{k} {v}" for k, v in seen.get("cpu", {}).items() if v >= 0.01) or "none"
    per = ", ".join(f"{k} {1000 * v / max(1, submits):.1f}" for k, v in seen.get("cpu_s", {}).items() if v >= 0.01)
    during = (
        f"During the burst ({seen.get('wall_s')} s): broker queue at most {seen.get('queued_max')} (at the end "
        f"{seen.get('queued_end')}); CPU (cores, mean over the burst): {cpu}; CPU per submit over the "
        f"burst (ms): {per or 'none'}"
    )
    if "waits" in seen:
        busy = ", ".join(f"{state} {n}" for state, n in seen["waits"].items()) or "none"
        during += (
            f"; PostgreSQL: {seen['connections']} connections ({seen['new_connections']} opened during the burst), "
            f"backends not idle on average per sample: {busy}"
        )
    if seen.get("busy"):
        during += "; statements seen not idle (mean per half-second reading): " + "; ".join(
            f"{n} × {what}" for what, n in seen["busy"].items()
        )
    return head + "\n\n" + during + "."


# --- attendance burst ------------------------------------------------------------------------------


def attendance(ctx: Context) -> None:
    """200 teachers scan the session's code within 10 s (open loop), each POSTing the sign-in once."""
    key = "attendance"
    n, window = 200, 10.0
    school = ctx.world["schools"].get("bench-s2000")
    if school is None:
        ctx.not_measured(key, "the big bench school is missing")
        return
    # Teachers after the browsing and spike learners of the same school: nobody signs in twice.
    prepared = ctx.run.django(ctx.env, "prepare_attendance", {
        "school_id": school["id"], "course_id": ctx.world["course"]["course_id"], "count": n,
        "offset": len(ctx.world["learners"].get("browse", [])) + len(ctx.world["learners"].get("spike", [])),
    })
    kits = prepared["kits"]
    rng = random.Random(20)

    async def body(users):
        schedule = sorted(
            (rng.uniform(0, window), u, Request("attendance sign-in", "POST", prepared["path"], data={},
                                                ok_statuses=(302,)))
            for u in users
        )
        recorder = Recorder()
        await loadgen.open_loop(schedule, recorder)
        return recorder.summary()

    summary = asyncio.run(with_users(ctx, kits, body))
    outcome = ctx.run.django(ctx.env, "attendance_outcome", {"session_id": prepared["session_id"]})
    count = len(kits)
    ctx.row(key, f"p95 latency, {count} sign-ins in {window:.0f} s", summary["p95_ms"], "ms", target="< 300 ms",
            passed=summary["p95_ms"] is not None and summary["p95_ms"] < 300)
    ctx.row(key, "errors", summary["errors"], "", target="0", passed=summary["errors"] == 0,
            detail=str(summary["error_kinds"]))
    ctx.row(key, "sign-ins recorded", outcome["recorded"], f"of {count}", target=f"exactly {count}, once each",
            passed=outcome["recorded"] == outcome["learners"] == count and outcome["most"] == 1)
    ctx.report.detail(key, f"{ctx.db}: arrivals uniform over {window:.0f} s (open loop); p50 {summary['p50_ms']} ms, "
                           f"max {summary['max_ms']} ms.")


# --- xAPI ingestion ---------------------------------------------------------------------------------


# Issue 18's target (the earlier 300/s was the first wave's): statements/s at p95 < 150 ms.
XAPI_TARGET = 500
# A step's achieved rate runs a little under its offered rate (answered ÷ the time from the first send to the
# last answer), so a step offered at exactly the target cannot show it: each target has a step just above it.
XAPI_RATES = (50, 100, 200, 300, 400, 500, 550, 600, 800)
# The quick run climbs past the target too (a cap of 200/s could not show a pass); the steps stop
# by themselves once p95 passes 300 ms, so a slow build costs one step more, not minutes.
XAPI_QUICK_RATES = (50, 100, 200, 300, 400, 500, 600)
# Unrecorded statements at the first rate before the steps: gunicorn's workers load their views on
# their first requests (seconds of CPU each; the whole first step on a shared machine).
XAPI_WARM_UP_SECONDS = 4.0


def xapi(ctx: Context) -> None:
    key = "xapi"
    course = ctx.world["course"]
    if "h5p_activity_id" not in course:
        ctx.not_measured(key, "the H5P app could not be set up: " + course["skipped"].get("h5p", "?"))
        return
    iri = activity_iri_check(ctx)
    kits = ctx.world["learners"]["browse"]
    postgres = ctx.db == "postgresql"
    rates = XAPI_RATES if not ctx.run.quick else XAPI_QUICK_RATES
    step = ctx.sizes.get("step_seconds", 6.0)
    rng = random.Random(3)

    # Warm first: with --only, or after the world was built in process, gunicorn's workers have not
    # answered a request yet, and each one's first requests import and set up the views (issue 18).
    steps, figure = xapi_steps(ctx, kits, course, iri, rates, step, rng, warm_up=XAPI_WARM_UP_SECONDS)
    ctx.world["xapi_sync_figure"] = figure
    baseline = ctx.run.django(ctx.env, "insert_baselines", {"payload_bytes": 2000, "seconds": 4})
    ctx.row(
        key,
        "statements/s with p95 < 150 ms",
        figure,
        "statements/s",
        baseline=baseline["single_insert_per_s"],
        baseline_label="single-row INSERT + commit, rows/s",
        target=f"≥ {XAPI_TARGET}/s",
        passed=figure >= XAPI_TARGET,
        higher_is_better=True,
    )
    lines = step_table(steps)
    ctx.report.detail(
        key,
        f"{ctx.db}: {XAPI_WARM_UP_SECONDS:.0f} s of statements at {rates[0]}/s to warm the workers (not "
        f"counted; p95 {steps[0]['warm_up']['p95_ms']} ms), then open-loop rate steps of {step:.0f} s, "
        "statements 1-3 KB with unique ids "
        f"spread over {len(kits)} learners; the step stops rising once p95 passes 300 ms or an error "
        "appears.\n\n"
        + "\n".join(lines)
        + "\n\n"
        + sustained_line(steps, p95_ms=150)
        + ("\n\nPostgreSQL during each step:\n\n" + waits_line(steps) if postgres else ""),
    )
    ctx.report.detail(
        "credit",
        f"{ctx.db}: bulk INSERT baseline: {baseline['bulk_rows']} ledger rows in "
        f"{baseline['bulk_seconds']} s (bulk_create, one transaction, rolled back).",
    )
    ctx.world.setdefault("baselines", {})[ctx.db] = baseline
    profile_misses(ctx, key, "xapi", course=course, kit=kits[-1])


# --- study-time heartbeats -------------------------------------------------------------------------


HEARTBEAT_TARGET = {"postgresql": 1000, "sqlite": 200}


def heartbeat_rates(ctx: Context) -> tuple[int, ...]:
    # Low rates first, so a loaded machine still yields a figure before the step past saturation. The quick
    # run climbs to the targets too (1,000/s, 200/s): it is how the heartbeat's owner checks the ratio.
    postgres = ctx.db == "postgresql"
    if ctx.run.quick:
        return (100, 200, 400, 700, 1000, 1400) if postgres else (50, 100, 200, 300)
    # 1,100: a step just above the target (see XAPI_RATES). SQLite climbs as far: the embedded rule compares its
    # figure with PostgreSQL's (at least half), so its steps must not stop below its own capacity (they stopped at
    # 400/s, p95 6.5 ms, while PostgreSQL read 1,198/s in the 21:49 run).
    rates = (100, 200, 300, 400, 550, 700, 850, 1000, 1100, 1200, 1400, 2000)
    return rates if postgres else (50, *rates)


def heartbeat_steps(ctx: Context, url: str, label: str, *, warm_up: float = 0.0) -> tuple[list[dict], dict]:
    """The one-query view's saturation, then the heartbeats' open-loop rate steps, on the running gunicorn.

    Every browse learner beats on the bench lesson module; the start beats create their rows, so the
    measured steps are the steady state (one UPDATE per heartbeat). `warm_up`: seconds of beats at the
    first rate before anything is measured (workers just started open connections and prepare statements).
    """
    kits = ctx.world["learners"]["browse"]
    rates = heartbeat_rates(ctx)

    beats = {}

    def beat(user, start=False):
        # One Request per user and kind of beat, reused: the lean client prepares its bytes once.
        key = (id(user), start)
        if key not in beats:
            beats[key] = Request("heartbeat", "POST", url, json={"start": start})
        return beats[key]

    async def body(users):
        warm = [(i / 200, u, beat(u, True)) for i, u in enumerate(users)]
        if warm_up:
            count = int(warm_up * rates[0])
            warm += [(len(users) / 200 + i / rates[0], users[i % len(users)], beat(users[i % len(users)]))
                     for i in range(count)]
        await loadgen.open_loop(warm, Recorder())
        baseline = await one_query_saturation(ctx, users)
        steps = await rate_steps(users, rates, 6.0, beat, stop_p95_ms=200, label=label)
        return steps, baseline

    return loadgen.run_rate_client(with_users(ctx, kits, body, lean=loadgen.RATE_CLIENT == "lean"))


def heartbeats(ctx: Context) -> None:
    """Study-time heartbeats (courses.study_views.heartbeat), open-loop rate steps beside the one-query view."""
    key = "heartbeat"
    url = ctx.world["course"].get("heartbeat_url")
    if not url:
        ctx.not_measured(key, "the bench course has no heartbeat URL (courses.study missing)")
        return
    steps, baseline = heartbeat_steps(ctx, url, f"{ctx.db} {key}")
    figure = row_rate(steps, p95_ms=50)
    wanted = HEARTBEAT_TARGET[ctx.db]
    ctx.world["heartbeat_sync_figure"] = figure
    ctx.row(
        key,
        "heartbeats/s with p95 < 50 ms",
        figure,
        "heartbeats/s",
        baseline=baseline["best"]["rps"] if baseline["best"] else None,
        baseline_label="one-query view, req/s",
        target=f"≥ {wanted:,}/s" + ("" if ctx.db == "postgresql" else ' and 0 "database is locked"'),
        passed=figure >= wanted,
        higher_is_better=True,
    )
    ctx.report.detail(
        key,
        f"{ctx.db}: open-loop rate steps of 6 s over {len(ctx.world['learners']['browse'])} learners on one "
        "lesson module (rows exist: one UPDATE each); the step stops rising once p95 passes 200 ms or an "
        "error appears.\n\n" + "\n".join(step_table(steps)) + "\n\n" + sustained_line(steps, p95_ms=50),
    )


def heartbeats_gthread(ctx: Context) -> None:
    """The heartbeats on gunicorn's gthread workers (keep-alive), beside the one-query view on the same server.

    Sync workers close the connection after every answer, so each ~1 KB heartbeat pays a TCP connection's
    set-up and tear-down on both sides of loopback; a threaded worker keeps the connection (as nginx keeps
    its upstream connections with `keepalive`), which is what a request this small needs in production.
    """
    key = "heartbeat_gthread"
    url = ctx.world["course"].get("heartbeat_url")
    if not url:
        ctx.not_measured(key, "the bench course has no heartbeat URL (courses.study missing)")
        return
    with gthread_workers(ctx) as booting:
        steps, baseline = heartbeat_steps(ctx, url, f"{ctx.db} {key}", warm_up=HEARTBEAT_WARM_UP_SECONDS)
    figure = row_rate(steps, p95_ms=50)
    wanted = HEARTBEAT_TARGET[ctx.db]
    ctx.row(
        key,
        f"heartbeats/s with p95 < 50 ms, gthread ({gthread_shape(ctx)})",
        figure,
        "heartbeats/s",
        baseline=baseline["best"]["rps"] if baseline["best"] else None,
        baseline_label="one-query view on the same gthread workers, req/s",
        target=f"≥ {wanted:,}/s",
        passed=figure >= wanted,
        higher_is_better=True,
        detail=f"sync workers, same run: {ctx.world.get('heartbeat_sync_figure')} heartbeats/s",
    )
    ctx.report.detail(
        key,
        f"{ctx.db}: gunicorn restarted as gthread workers ({gthread_shape(ctx)}, keep-alive), first answer "
        f"{booting} s after the port opened; "
        f"{HEARTBEAT_WARM_UP_SECONDS:.0f} s of beats before the one-query view's saturation and the steps."
        "\n\n" + "\n".join(step_table(steps)) + "\n\n" + sustained_line(steps, p95_ms=50),
    )


HEARTBEAT_WARM_UP_SECONDS = 4.0
GTHREAD_THREADS = 4
# SHIXUN_BENCH_GTHREAD_REUSE_PORT=1: each gthread worker listens on a socket of its own (gunicorn's
# --reuse-port, SO_REUSEPORT) and the kernel spreads new connections over them. On the one shared socket the
# worker already awake wins the accept race and keeps the kept-alive connections it accepted: one of 2
# workers answered 66-96% of the beats, one of 5 up to 76% (ANALYSIS.md, "gthread workers' share of the
# connections"). Not the default: on the shared machine the rows read no better with it (same section).
GTHREAD_REUSE_PORT = os.environ.get("SHIXUN_BENCH_GTHREAD_REUSE_PORT", "0") == "1"


def gthread_shape(ctx: Context) -> str:
    return f"{ctx.run.gunicorn_workers} × {GTHREAD_THREADS} threads" + (", SO_REUSEPORT" if GTHREAD_REUSE_PORT else "")


@contextlib.contextmanager
def gthread_workers(ctx: Context):
    """gunicorn restarted as gthread workers (the same number of processes) while the block runs; yields the
    seconds the first answer took after the port opened. Sync workers again afterwards."""
    services = ctx.run.services
    port = int(ctx.base_url.rsplit(":", 1)[1])
    name = f"gunicorn-{ctx.db}"
    services.stop(name)
    until_closed(port)
    services.gunicorn(
        name, port, ctx.env, workers=ctx.run.gunicorn_workers, threads=GTHREAD_THREADS, reuse_port=GTHREAD_REUSE_PORT
    )
    try:
        # The port opens when the master (with SO_REUSEPORT: the first worker) binds it, before the workers
        # have loaded Django.
        yield seconds_until_answering(ctx.base_url + "/healthz")
    finally:
        services.stop(name)
        until_closed(port)
        services.gunicorn(name, port, ctx.env, workers=ctx.run.gunicorn_workers)


def until_closed(port: int, timeout: float = 15.0) -> None:
    """Wait for the stopped gunicorn's port to close: services.stop waits for the master only, and on a busy
    machine a worker still exiting keeps the inherited socket listening ("port … is taken" at the restart)."""
    start = time.monotonic()
    while not port_is_free(port) and time.monotonic() - start < timeout:
        time.sleep(0.1)


def xapi_steps(ctx, kits, course, iri, rates, step, rng, *, warm_up: float = 0.0) -> tuple[list[dict], float]:
    """Open-loop rate steps of xAPI statements; the best achieved rate with p95 < 150 ms and no error.

    `warm_up` seconds of statements at the first rate go first, unrecorded but kept as the "warm-up"
    summary of the first step (a restarted gunicorn's threads open their connections then). On
    PostgreSQL every step samples the backends' wait events (WaitSampler).
    """

    def make(user):
        request = xapi_request(user, course, rng)
        if iri:
            request.json["statement"]["object"]["id"] = iri
        return request

    during = WaitSampler(ctx.env["DATABASE_URL"]) if ctx.db == "postgresql" else None

    async def body(users):
        warm = None
        if warm_up:
            label = f"{ctx.db} xapi warm-up"
            warm = (await rate_steps(users, rates[:1], warm_up, make, stop_p95_ms=300, label=label))[0]
        steps = await rate_steps(users, rates, step, make, stop_p95_ms=300, during=during, label=f"{ctx.db} xapi")
        if warm is not None:
            steps[0]["warm_up"] = warm
        return steps

    steps = loadgen.run_rate_client(with_users(ctx, kits, body, lean=loadgen.RATE_CLIENT == "lean"))
    return steps, row_rate(steps, p95_ms=150)


def seconds_until_answering(url: str, timeout: float = 60.0) -> float | None:
    """Seconds until `url` first answers 200 (None: not within `timeout`)."""
    import urllib.error
    import urllib.request

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (the bench's own loopback server)
                if response.status == 200:
                    return round(time.monotonic() - start, 2)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return None


def xapi_gthread(ctx: Context) -> None:
    """ANALYSIS.md's next step for xAPI: threaded gunicorn workers, so durable commits overlap.

    The same rate steps against the same world, gunicorn restarted with the same number of
    processes as gthread workers of 4 threads; the baseline is the sync figure of this run.
    """
    key = "xapi_gthread"
    if "xapi_sync_figure" not in ctx.world:
        ctx.not_measured(key, "the sync xAPI figure of this run is missing", "gthread workers")
        return
    course = ctx.world["course"]
    with gthread_workers(ctx) as booting:
        rates = XAPI_RATES if not ctx.run.quick else XAPI_QUICK_RATES
        steps, figure = xapi_steps(
            ctx,
            ctx.world["learners"]["browse"],
            course,
            activity_iri_check(ctx),
            rates,
            ctx.sizes.get("step_seconds", 6.0),
            random.Random(3),
            # The restarted workers' 20 threads each open a database connection and compile the locked
            # read on their first statements: not what the steps measure (issue 18's diagnosis).
            warm_up=XAPI_WARM_UP_SECONDS,
        )
    sync = ctx.world["xapi_sync_figure"]
    ctx.row(
        key,
        f"statements/s with p95 < 150 ms, gthread ({gthread_shape(ctx)})",
        figure,
        "statements/s",
        baseline=sync or None,
        baseline_label="sync workers, same run, statements/s",
        target=f"≥ {XAPI_TARGET}/s",
        passed=figure >= XAPI_TARGET,
        higher_is_better=True,
        detail="steps: " + ", ".join(f"{s['offered']}/s → {s['achieved']}/s p95 {s['p95_ms']} ms" for s in steps),
    )
    warm = steps[0].get("warm_up") if steps else None
    ctx.report.detail(
        key,
        f"{ctx.db}: gunicorn restarted as gthread workers, then {XAPI_WARM_UP_SECONDS:.0f} s of statements at "
        f"{rates[0]}/s before the steps; the first answer (/healthz) came {booting} s after the port opened"
        + (f" (warm-up p50 {warm['p50_ms']} ms, p95 {warm['p95_ms']} ms, max {warm['max_ms']} ms)" if warm else "")
        + ".\n\n" + "\n".join(step_table(steps)) + "\n\n" + sustained_line(steps, p95_ms=150)
        + "\n\nPostgreSQL during each step:\n\n" + waits_line(steps),
    )


# --- credit posting ---------------------------------------------------------------------------------


def credit(ctx: Context) -> None:
    key = "credit"
    count = ctx.sizes["credit_count"]
    baseline = ctx.world.get("baselines", {}).get(ctx.db) or ctx.run.django(ctx.env, "insert_baselines", {"seconds": 1})
    # The tail: the next teachers to finish after a mass completion, made right after the burst (issue 18).
    burst = ctx.run.django(
        ctx.env,
        "credit_posting",
        {"count": count, "label": "burst", "timeout": 420, "tail": TAIL_COMPLETIONS, "tail_interval": 0.1},
        timeout=900,
    )
    if "error" in burst:
        ctx.not_measured(key, burst["error"])
        return
    ctx.row(
        key,
        f"entries/s, {count:,} completions at once",
        burst["entries_per_s"],
        "entries/s",
        baseline=baseline["bulk_insert_per_s"],
        baseline_label="bulk INSERT of ledger rows, rows/s",
        target="≥ 300/s",
        passed=(burst["entries_per_s"] or 0) >= 300 and burst["entries"] == count,
        higher_is_better=True,
        detail=f"{burst['entries']} of {burst['completions']} posted",
    )
    rate = 150 if ctx.run.quick else 250
    with QueueSampler(ctx) as sampler:
        paced = ctx.run.django(
            ctx.env,
            "credit_posting",
            {
                "count": int(rate * ctx.sizes.get("paced_seconds", 8 if ctx.run.quick else 12)),
                "label": "paced",
                "rate": rate,
                "timeout": 120,
                "modules": 6,
            },
            timeout=400,
        )
    limit = 2.0 if ctx.db == "postgresql" else 5.0
    if paced.get("backlog_at_start") or paced.get("queued_at_start"):
        ctx.report.detail(
            key,
            f"{ctx.db}: after waiting 150 s, {paced['backlog_at_start']} completions of the burst were still "
            f"unposted and {paced.get('queued_at_start', 0)} of its tasks still queued in the broker: the paced "
            "figures below include that backlog.",
        )
    if paced.get("drain", {}).get("waited_s"):
        drain = paced["drain"]
        ctx.report.detail(
            key,
            f"{ctx.db}: the paced part waited {drain['waited_s']} s for the burst's left-overs to drain "
            f"({drain['unposted_first']} completions unposted, {drain['queued_first']} tasks still in the broker "
            "at first: tasks whose completions the reconcile or a sibling's batch had already posted).",
        )
    ctx.row(
        key,
        f"completion-to-transcript p95 at {rate} completions/s",
        paced["p95_s"],
        "s",
        target=f"< {limit:.0f} s",
        passed=paced["p95_s"] is not None and paced["p95_s"] < limit and paced["entries"] == paced["completions"],
        detail=f"{paced['entries']} of {paced['completions']} posted",
    )
    ctx.report.detail(
        key,
        f"{ctx.db}: burst — {burst['completions']} completions made (bulk-inserted per "
        f"tick, then one `module_completed` signal each, as courses.progress sends it) in "
        f"{burst['enqueue_seconds']} s, "
        f"{burst['entries']} entries; latency p50 {burst['p50_s']} s, p95 {burst['p95_s']} s (queueing "
        f"behind the burst), max {burst['max_s']} s. Paced — {paced['completions']} completions at "
        f"{rate}/s: p50 {paced['p50_s']} s, p95 {paced['p95_s']} s, max {paced['max_s']} s. Posted by (entries): "
        f'burst {posted_by_line(burst)}; paced {posted_by_line(paced)} ("reconcile": the scheduled job, every '
        "minute, posted them before their tasks ran).",
    )
    ctx.report.detail(key, f"{ctx.db}: {tail_line(burst.get('tail'))}")
    if sampler.samples:
        ctx.report.detail(
            key,
            f"{ctx.db}: the paced part, once a second (from the Django side's start: its wait for the burst's "
            "left-overs comes first, at negative seconds; the cluster has 2 workers, a pusher and a monitor):\n\n"
            + QueueSampler.table(sampler.samples, paced.get("per_second", []), paced.get("started_epoch", 0)),
        )
    profile_misses(ctx, key, "credit")


TAIL_COMPLETIONS = 20


def tail_line(tail: dict | None) -> str:
    if not tail:
        return "no completions were made after the burst."
    return (
        f"tail — {tail['completions']} completions made one at a time, 0.1 s apart, right after the burst's "
        f"signals (not after its drain; {tail['queued_at_start']} tasks in the broker when the first was made): "
        f"{tail['entries']} posted, completion-to-transcript p50 {tail['p50_s']} s, p95 {tail['p95_s']} s, "
        f"max {tail['max_s']} s (the next teachers to finish after a mass completion)."
    )


def posted_by_line(result: dict) -> str:
    return ", ".join(f"{via} {count}" for via, count in sorted(result.get("posted_by", {}).items())) or "none"


# --- district export -----------------------------------------------------------------------------


def export(ctx: Context) -> None:
    key = "export"
    # The export and the idle process under its memory run as production would: its packages only.
    python = production_python()
    idle = ctx.run.django(ctx.env, "idle_rss", python=python)
    copy = copy_baseline(ctx)
    found = ctx.run.django(ctx.env, "find_export_command")
    if not found["export_transcripts"]:
        ctx.not_measured(
            key,
            "no `export_transcripts` management command (schools exports have not landed); "
            + (
                f"COPY baseline measured: {copy['seconds']:.2f} s for {copy['rows']:,} rows"
                if copy["seconds"] is not None
                else ""
            ),
            "CSV and Excel wall time, first byte, peak memory",
        )
        return
    today = date.today().isoformat()
    for fmt, target_s in (("csv", 5.0), ("xlsx", 60.0)):
        out = WORK / f"export.{fmt}"
        out.unlink(missing_ok=True)
        result = run_measured(
            [
                str(python),
                str(REPO / "manage.py"),
                "export_transcripts",
                "--district",
                ctx.world["district"],
                "--from",
                "2000-01-01",
                "--to",
                today,
                "--format",
                fmt,
                "--output",
                str(out),
            ],
            ctx.env,
            watch=out,
            timeout=600,
        )
        if result["returncode"] != 0:
            ctx.not_measured(key, f"export_transcripts --format {fmt} failed: {result['stderr_tail']}", f"{fmt} export")
            continue
        size = out.stat().st_size if out.exists() else 0
        if fmt == "csv":
            ctx.row(
                key,
                "CSV wall time",
                result["seconds"],
                "s",
                baseline=copy["seconds"],
                baseline_label="COPY … TO STDOUT, s",
                target="< 5 s and ≤ 10 × COPY",
                passed=result["seconds"] < 5 and result["seconds"] <= 10 * (copy["seconds"] or float("inf")),
                detail=f"{size / 1e6:.1f} MB written",
            )
            ctx.row(
                key,
                "CSV first byte",
                result["first_byte_s"],
                "s",
                target="< 1 s",
                passed=result["first_byte_s"] is not None and result["first_byte_s"] < 1,
            )
        else:
            ctx.row(
                key,
                "Excel wall time",
                result["seconds"],
                "s",
                baseline=copy["seconds"],
                baseline_label="COPY … TO STDOUT, s",
                target="< 60 s",
                passed=result["seconds"] < target_s,
                detail=f"{size / 1e6:.1f} MB written",
            )
        ctx.row(
            key,
            f"{fmt} peak memory (whole process)",
            result["peak_rss_mb"],
            "MB",
            baseline=idle["peak_rss_mb"],
            baseline_label="idle Django process, MB",
            target="< 150 MB",
            passed=result["peak_rss_mb"] < 150,
        )
    ctx.report.detail(
        key,
        f"{ctx.db}: `manage.py export_transcripts --district {ctx.world['district']}` as a "
        f"subprocess, with production's packages only (requirements/lock/production.txt, as is the idle "
        f"process); peak memory is the process's own high-water resident set (VmHWM, sampled every 10 ms), "
        f"first byte when the "
        f"output file first grows. COPY baseline (PostgreSQL only): {copy['rows']:,} rows, "
        f"{copy['bytes'] / 1e6:.1f} MB in {copy['seconds']} s. {ctx.world['ledger_entries']:,} entries for "
        f"{ctx.world['teachers']:,} teachers.",
    )
    profile_misses(ctx, key, "export", path=str(WORK / "profile-export.csv"))


def copy_baseline(ctx: Context) -> dict:
    return ctx.run.django(ctx.env, "copy_baseline", {"district": ctx.world["district"], "path": str(WORK / "copy.csv")})


def vm_hwm_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(args: list[str], env: dict, *, watch: Path | None = None, timeout: float = 600) -> dict:
    """Run a process; wall time, time until `watch` first has bytes, and its peak RSS from wait4."""
    err_path = WORK / "logs" / "measured.stderr"
    # export_transcripts writes "<output>.partial" and renames it when done: the first byte is in either.
    watched = [] if watch is None else [watch, watch.with_name(watch.name + ".partial")]
    with open(err_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)
        first_byte = None
        deadline = start + timeout
        high_water = 0.0
        while True:
            # VmHWM is the process's own peak (ru_maxrss from wait4 would include
            # run.py's peak: Linux keeps it across execve).
            high_water = max(high_water, vm_hwm_mb(proc.pid))
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            now = time.monotonic()
            if (
                watch is not None
                and first_byte is None
                and any(path.exists() and path.stat().st_size > 0 for path in watched)
            ):
                first_byte = now - start
            if pid:
                break
            if now > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = err_path.read_text(errors="replace").strip().splitlines()[-1:] or [""]
    return {
        "seconds": round(seconds, 2),
        "first_byte_s": round(first_byte, 3) if first_byte is not None else None,
        "peak_rss_mb": round(high_water, 1),
        "returncode": proc.returncode,
        "stderr_tail": tail[0],
    }


# --- school dashboard ------------------------------------------------------------------------------


def dashboard(ctx: Context) -> None:
    key = "dashboard"
    small, big = "bench-s200", "bench-s2000"
    measured = ctx.run.django(ctx.env, "dashboard_queries", {"codes": [small, big]})
    if "error" in measured:
        ctx.not_measured(key, measured["error"], "response time and queries")
        return
    latencies = {}
    for code in (small, big):
        kit = ctx.world["school_admins"][code]
        url = measured[code]["url"]

        async def body(users, url=url):
            recorder = Recorder()
            for _ in range(3):  # warm-up
                await loadgen.send(users[0], Request("dashboard", "GET", url), Recorder())
            for _ in range(20):
                await loadgen.send(users[0], Request("dashboard", "GET", url), recorder)
            base = Recorder()
            for _ in range(20):
                await loadgen.send(users[0], Request("one-query", "GET", "/bench/one-query/"), base)
            return recorder.summary(), base.summary()

        latencies[code] = asyncio.run(with_users(ctx, [kit], body))
    summary, base = latencies[big]
    ctx.row(
        key,
        "response time, 2,000 teachers (p95 of 20, HTTP)",
        summary["p95_ms"],
        "ms",
        baseline=base["p95_ms"],
        baseline_label="one-query view, ms",
        target="< 500 ms",
        passed=summary["p95_ms"] is not None and summary["p95_ms"] < 500 and summary["errors"] == 0,
        detail=f"errors {summary['errors']} {summary['error_kinds']}",
    )
    ctx.row(
        key,
        "queries at 2,000 teachers",
        measured[big]["queries"],
        "queries",
        baseline=measured[small]["queries"],
        baseline_label="queries at 200 teachers",
        target="the same at 200 and 2,000",
        passed=measured[small]["queries"] == measured[big]["queries"],
    )
    ctx.report.detail(
        key,
        f"{ctx.db}: {measured[small]['url']} p95 {latencies[small][0]['p95_ms']} ms "
        f"({measured[small]['queries']} queries, {measured[small]['bytes']:,} bytes); "
        f"{measured[big]['url']} p95 {summary['p95_ms']} ms ({measured[big]['queries']} queries, "
        f"{measured[big]['bytes']:,} bytes). Queries counted in process with the test client as the "
        "school's admin.",
    )
    profile_misses(ctx, key, "dashboard")


# --- uploads ---------------------------------------------------------------------------------------


def make_pdf(path: Path, megabytes: int) -> None:
    """A valid PDF whose page shows one big uncompressed image (what a phone scan of a lesson plan weighs)."""
    rng = random.Random(50)
    width = 4096
    height = max(1, megabytes * 1024 * 1024 // (width * 3))
    pixels = rng.randbytes(width * height * 3).replace(b"/", b"0")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 "
        b"/Length %d >>\nstream\n" % (width, height, len(pixels)) + pixels + b"\nendstream",
        b"<< /Length 35 >>\nstream\nq 595 0 0 842 0 0 cm /Im1 Do Q\nendstream",
    ]
    with open(path, "wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))


def make_h5p(path: Path, megabytes: int) -> None:
    """The H5P test library's package plus a video of `megabytes` (random bytes: no compression helps)."""
    import sys

    sys.path.insert(0, str(REPO))
    from tests.h5p.packages import package

    rng = random.Random(20)
    path.write_bytes(package(replace={"content/videos/lesson.mp4": rng.randbytes(megabytes * 1024 * 1024)}))


def uploads(ctx: Context) -> None:
    key = "uploads"
    folder = WORK / "uploads"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pdf = folder / "教学设计.pdf"
    make_pdf(pdf, ctx.sizes["upload_mb"])
    h5p = folder / "interactive.h5p"
    try:
        make_h5p(h5p, ctx.sizes["h5p_mb"])
    except Exception as error:
        h5p = None
        ctx.not_measured(key, f"could not build the .h5p: {error}", "20 MB .h5p")
    for label, kind, path, unzip in (("assignment (PDF)", "assignment", pdf, False), (".h5p", "h5p", h5p, True)):
        if path is None:
            continue
        size_mb = path.stat().st_size / 1024 / 1024
        try:
            result = ctx.run.django(ctx.env, "upload_measure", {"kind": kind, "path": str(path)})
        except RuntimeError as error:
            ctx.not_measured(key, str(error), label)
            continue
        base = plain_copy(path, unzip=unzip)
        baseline_label = "file copy" + (" + unzip -t" if unzip else "") + ", s"
        ctx.row(
            key,
            f"{label} {size_mb:.0f} MB: validate and store",
            result["seconds"],
            "s",
            baseline=base,
            baseline_label=baseline_label,
            target="< 5 s",
            passed=result["seconds"] < 5,
        )
        ctx.row(
            key,
            f"{label} {size_mb:.0f} MB: peak memory growth",
            result["growth_mb"],
            "MB",
            baseline=result["rss_before_mb"],
            baseline_label="process before, MB",
            target="< 200 MB",
            passed=result["growth_mb"] < 200,
        )
    ctx.report.detail(
        key,
        f"{ctx.db}: in a fresh Django process, `assessments.uploads.validate_upload` then a save to "
        "the private storage (assignment), and `assessments.h5p.packages.import_package` (validate, "
        "extract, store). Growth = peak RSS after minus RSS before. The PDF has no `unzip -t` (not a ZIP): "
        "its baseline is the copy alone.",
    )


def plain_copy(path: Path, *, unzip: bool) -> float:
    target = path.with_suffix(path.suffix + ".copy")
    start = time.monotonic()
    shutil.copyfile(path, target)
    if unzip:
        subprocess.run(["unzip", "-tq", str(target)], check=True, capture_output=True)
    seconds = time.monotonic() - start
    target.unlink()
    return round(seconds, 3)


def profile_misses(ctx: Context, key: str, what: str, **args) -> None:
    """When a figure of `key` missed its target, profile the work in process and record where the time went."""
    misses = [r for r in ctx.report.rows if r.db == ctx.db and r.key == key and r.passed is False]
    if not misses:
        return
    try:
        result = ctx.run.django(ctx.env, "profile", {"what": what, **args}, timeout=900)
    except Exception as error:
        ctx.report.detail(key, f"{ctx.db}: profiling failed: {error}")
        return
    if "error" in result:
        ctx.report.detail(key, f"{ctx.db}: {result['error']}")
        return
    lines = [
        f"{ctx.db}: profile of `{what}` in process (cProfile, one warm run): {result['seconds']} s, "
        f"{result['queries']} queries. Shixun's own functions by cumulative time:",
        "",
        "| cumulative s | own s | calls | function |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {t['cum_s']} | {t['self_s']} | {t['calls']} | `{t['where']}` |" for t in result["top_own"]]
    lines += [
        "",
        "Hottest functions anywhere (own time):",
        "",
        "| own s | cumulative s | calls | function |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {t['self_s']} | {t['cum_s']} | {t['calls']} | `{t['where']}` |" for t in result["top_self_all"]]
    if result["slowest_sql"]:
        lines += ["", "Slowest statements: " + "; ".join(f"{t} s `{sql}`" for t, sql in result["slowest_sql"])]
    ctx.report.detail(key, "\n".join(lines))


def training_file(ctx: Context) -> None:
    """One teacher's training file (教师培训档案) with many ledger entries, produced in process."""
    key = "training_file"
    measured = ctx.run.django(ctx.env, "training_file", {"entries": 600})
    if "error" in measured:
        ctx.not_measured(key, measured["error"], "time to produce")
        return
    ctx.row(
        key,
        f"training file PDF, {measured['entries']} entries (median of 3, in process)",
        measured["ms"],
        "ms",
        baseline=measured["transcript_ms"],
        baseline_label="the same teacher's transcript PDF, ms",
        target="< 1000 ms",
        passed=measured["ms"] < 1000,
        detail=f"{measured['queries']} queries, {measured['pages']} pages, {measured['bytes']:,} bytes",
    )


@dataclass
class Scenario:
    key: str
    title: str
    run: object
    on_sqlite: bool = True


# --- annual report (issue 15) ----------------------------------------------------------------------


def annual_report(ctx: Context) -> None:
    """The district's annual report: computed as its background job, then its page once computed."""
    key = "report"
    measured = ctx.run.django(ctx.env, "annual_report", {"district": ctx.world["district"]})
    if "error" in measured:
        ctx.not_measured(key, measured["error"], "job time and page time")
        return
    ctx.row(key, "job wall time (reports.jobs.run)", measured["job_s"], "s", target="< 10 s",
            baseline=measured["baseline_s"],
            baseline_label="the year's ledger summed per teacher and course category (one query), s",
            passed=measured["job_s"] < 10, detail=f"Django process CPU {measured['job_cpu_s']} s")
    kit = ctx.world["district_admin"]
    url = measured["url"]

    async def body(users):
        recorder, base = Recorder(), Recorder()
        for _ in range(3):  # warm-up
            await loadgen.send(users[0], Request("report", "GET", url), Recorder())
        for _ in range(20):
            await loadgen.send(users[0], Request("report", "GET", url), recorder)
        for _ in range(20):
            await loadgen.send(users[0], Request("one-query", "GET", "/bench/one-query/"), base)
        return recorder.summary(), base.summary()

    summary, base = asyncio.run(with_users(ctx, [kit], body))
    ctx.row(key, "page once computed (p95 of 20, HTTP)", summary["p95_ms"], "ms", baseline=base["p95_ms"],
            baseline_label="one-query view, ms", target="< 1000 ms",
            passed=summary["p95_ms"] is not None and summary["p95_ms"] < 1000 and summary["errors"] == 0,
            detail=f"errors {summary['errors']} {summary['error_kinds']}")
    ctx.report.detail(
        key,
        f"{ctx.db}: the annual report of {ctx.world['teachers']:,} teachers and {ctx.world['ledger_entries']:,} "
        f"entries computed in process as its django-q2 task does ({measured['job_s']} s wall, "
        f"{measured['job_cpu_s']} s CPU of the Django process); {url} in process {measured['page_ms']} ms, "
        f"{measured['queries']} queries, {measured['bytes']:,} bytes.",
    )


def scaleout(ctx: Context) -> None:
    from bench import scaleout as scaleout_module

    scaleout_module.run(ctx)


def peer(ctx: Context) -> None:
    from bench import peer as peer_module

    peer_module.run(ctx)


# Short scenarios first: a run cut off late (Ctrl-C, a session limit) still has most rows.
ALL = [
    Scenario("dashboard", "school dashboard", dashboard),
    Scenario("report", "district annual report", annual_report),
    Scenario("training_file", "teacher's training file", training_file),
    Scenario("uploads", "uploads", uploads, on_sqlite=False),
    Scenario("peer", "peer: wagtail-lms", peer, on_sqlite=False),
    Scenario("browsing", "mixed browsing", browsing),
    Scenario("spike", "quiz spike", spike),
    Scenario("attendance", "attendance sign-in burst", attendance),
    Scenario("xapi", "xAPI ingestion", xapi),
    Scenario("heartbeat", "study-time heartbeats", heartbeats),
    Scenario("xapi_gthread", "xAPI ingestion, gthread workers", xapi_gthread, on_sqlite=False),
    Scenario("heartbeat_gthread", "study-time heartbeats, gthread workers", heartbeats_gthread, on_sqlite=False),
    Scenario("credit", "credit posting", credit),
    Scenario("export", "district transcript export", export),
    Scenario("scaleout", "scale-out: two web nodes, two worker nodes", scaleout, on_sqlite=False),
]
