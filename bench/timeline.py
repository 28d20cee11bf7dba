"""A per-second timeline of what the machine and the benchmark's servers did, beside a run.

    .venv/bin/python -m bench.timeline --pg-port 55424 --redis-port 6424 --web-port 8424 > timeline.tsv

Issue 13's question "why does the same code read 549 heartbeats/s one run and 998 the next": a rate step's
p95 is decided by a few seconds, and RESULTS.md has only the step's summary. Run this beside `bench/run.py`
(it finds the run's servers by their listening ports, waits for them, and follows gunicorn's restarts) and
join its lines with bench/work/logs/rate-seconds.jsonl (each rate step's answers and p95 by second) on the wall
clock (`--join TIMELINE` prints them side by side). One line a second, tab-separated, with a header:

- the machine (/proc/stat, centiseconds of both cores in the second): user, system, idle, softirq, steal;
- CPU of each process kind (ms in the second): every gunicorn worker apart (an unequal share of the
  accepted connections shows), the PostgreSQL cluster, Redis, the django-q2 cluster, the load generator
  (bench/run.py and the commands it runs) and everything else;
- Redis: EVALSHA calls (one per heartbeat on the lean path) and connections received, whether a save runs;
- PostgreSQL: checkpoints and the buffers they wrote, buffers written by backends, WAL bytes and full-page
  images, the busiest user table's updates, dead rows and auto-vacuum/analyze counts, autovacuum workers at
  work;
- TCP: listen-queue overflows (a dropped SYN costs its client a 1 s retransmit), sockets in TIME_WAIT, SYNs
  sent again (any lost SYN: a 1 s wait);
- the host's speed: the CPU time a fixed piece of Python takes (`probe_us`, see there).

Counters are deltas over the second; the sampler's own queries cost ~1 ms of PostgreSQL a second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime

import psutil


def probe_us() -> int:
    """CPU microseconds a fixed piece of pure Python takes now (the best of three): the host's speed for our code.

    Steal only counts the time a vCPU waited for the host; a host whose other guests share its caches, memory
    bandwidth or a hyper-thread's core runs the same instructions slower without any steal. Waiting for a
    core does not count here (thread CPU time), so the machine's own load moves it little.
    """
    best = None
    for _ in range(3):
        start = time.thread_time_ns()
        total = 0
        for i in range(20_000):
            total += i * i % 7
        spent = (time.thread_time_ns() - start) // 1000
        best = spent if best is None else min(best, spent)
    return best


def proc_stat() -> list[int]:
    with open("/proc/stat") as handle:
        fields = handle.readline().split()[1:]
    return [int(value) for value in fields]


def tcp_ext() -> dict[str, int]:
    with open("/proc/net/netstat") as handle:
        lines = handle.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            return dict(zip(names.split()[1:], (int(v) for v in values.split()[1:]), strict=False))
    return {}


def time_wait() -> int:
    with open("/proc/net/sockstat") as handle:
        for line in handle:
            if line.startswith("TCP:"):
                parts = line.split()
                return int(parts[parts.index("tw") + 1])
    return 0


def listeners(port: int) -> set[int]:
    """The server listening on the port: the topmost process of the listener's kind (psutil names one process
    per socket, and gunicorn's workers share their master's)."""
    found = set()
    for conn in psutil.net_connections("tcp"):
        if conn.status == "LISTEN" and conn.laddr.port == port and conn.pid:
            proc = psutil.Process(conn.pid)
            while (parent := proc.parent()) is not None and parent.name() == proc.name():
                proc = parent
            found.add(proc.pid)
    return found


def tree(pids: set[int]) -> set[int]:
    found = set()
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            found.add(pid)
            found.update(child.pid for child in proc.children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return found


def cpu_ms(pids) -> dict[int, float]:
    times = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            times[pid] = 1000 * (t.user + t.system)
        except psutil.NoSuchProcess:
            pass
    return times


def run_processes() -> set[int]:
    """This checkout's bench/run.py (the load generator); other checkouts' runs are "others"."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = set()
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        if "bench/run.py" in " ".join(proc.info["cmdline"] or []) and proc.info["cwd"] == here:
            found.add(proc.pid)
    return found


def all_cpu_ms() -> dict[int, float]:
    times = {}
    for proc in psutil.process_iter(["cpu_times"]):
        t = proc.info.get("cpu_times")
        if t is not None:
            times[proc.pid] = 1000 * (t.user + t.system)
    return times


def delta(now: dict[int, float], last: dict[int, float]) -> float:
    """CPU ms between two readings of the processes alive at both (a process that started or ended in between
    counts for nothing: never a negative second)."""
    return sum(ms - last[pid] for pid, ms in now.items() if pid in last)


class Redis:
    def __init__(self, port: int):
        import redis

        self.client = redis.Redis(port=port, socket_timeout=1)

    def reading(self) -> dict:
        stats = self.client.info("commandstats")
        info = self.client.info("stats")
        persistence = self.client.info("persistence")
        return {
            "evalsha": stats.get("cmdstat_evalsha", {}).get("calls", 0),
            "conns": info.get("total_connections_received", 0),
            "saving": int(any(persistence.get(k) for k in ("rdb_bgsave_in_progress", "aof_rewrite_in_progress"))),
        }


PG_QUERY = """
SELECT (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),
       (SELECT buffers_checkpoint FROM pg_stat_bgwriter),
       (SELECT buffers_backend FROM pg_stat_bgwriter),
       (SELECT wal_bytes FROM pg_stat_wal),
       (SELECT wal_fpi FROM pg_stat_wal),
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'),
       t.relname, t.n_tup_upd, t.n_dead_tup, t.autovacuum_count + t.autoanalyze_count
FROM pg_stat_user_tables t ORDER BY t.n_tup_upd DESC LIMIT 1
"""


class Postgres:
    def __init__(self, port: int, dbname: str):
        import psycopg

        self.conn = psycopg.connect(f"host=127.0.0.1 port={port} user=shixun dbname={dbname}", autocommit=True)

    def reading(self) -> dict:
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        row = self.conn.execute(PG_QUERY).fetchone()
        if row is None:
            return {}
        keys = (
            "checkpoints",
            "ckpt_bufs",
            "backend_bufs",
            "wal_kb",
            "wal_fpi",
            "autovac_workers",
            "table",
            "upd",
            "dead",
            "vacuums",
        )
        reading = dict(zip(keys, row, strict=True))
        reading["wal_kb"] = int(reading["wal_kb"]) // 1024
        return reading


def processes(args) -> tuple[set[int], set[int], set[int], set[int], set[int]]:
    web = tree(listeners(args.web_port))
    pgs, rds = tree(listeners(args.pg_port)), tree(listeners(args.redis_port))
    # New PostgreSQL backends (sync workers reconnect) are children of the postmaster: found at the next refresh.
    rest = tree(run_processes()) - web - pgs - rds
    cluster = set()
    for pid in rest:
        try:
            if "qcluster" in " ".join(psutil.Process(pid).cmdline()):
                cluster.add(pid)
        except psutil.NoSuchProcess:
            pass
    cluster = tree(cluster)
    return web, pgs, rds, cluster, rest - cluster


COUNTERS = ("checkpoints", "ckpt_bufs", "backend_bufs", "wal_kb", "wal_fpi", "upd", "vacuums")


JOINED = (
    ("user", 4),
    ("sys", 4),
    ("idle", 4),
    ("steal", 3),
    ("web_workers", 20),
    ("web_ms", 5),
    ("pg_ms", 4),
    ("redis_ms", 4),
    ("cluster_ms", 4),
    ("loadgen_ms", 4),
    ("others_ms", 5),
    ("evalsha", 5),
    ("ckpt", 2),
    ("wal_fpi", 4),
    ("vacuums", 2),
    ("autovac", 2),
    ("listen_drops", 4),
    ("tw", 6),
    ("syn_retrans", 4),
    ("probe_us", 5),
)


def join(timeline: str, label: str) -> None:
    """Each second of bench/work/logs/rate-seconds.jsonl's steps (due, p50, p95, max, send lag p95) beside the
    timeline's line of the same second."""
    import json

    from bench.services import WORK

    with open(timeline) as handle:
        lines = handle.read().splitlines()
    header = lines[0].split("\t")
    seconds = {}
    for line in lines[1:]:
        fields = dict(zip(header, line.split("\t"), strict=False))
        seconds[fields["time"]] = fields
    print("time     offered s   due   p50    p95    max  lag95 " + " ".join(f"{n:>{w}}" for n, w in JOINED))
    with open(WORK / "logs" / "rate-seconds.jsonl") as handle:
        for line in handle:
            step = json.loads(line)
            if label not in step["label"]:
                continue
            fields = seconds.get(step["time"], {})
            print(
                f"{step['time']} {step['offered']:7} {step['second']:1} {step['due']:5} {step['p50_ms']:5} "
                f"{step['p95_ms']:6} {step['max_ms']:6} {step['lag_p95_ms']:5} "
                + " ".join(f"{fields.get(n, '-'):>{w}}" for n, w in JOINED)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-port", type=int)
    parser.add_argument("--redis-port", type=int)
    parser.add_argument("--web-port", type=int)
    parser.add_argument("--dbname", default="shixun")
    parser.add_argument("--seconds", type=float, default=3600, help="stop after this long")
    parser.add_argument("--join", metavar="TIMELINE", help="print a run's rate-step seconds beside this timeline")
    parser.add_argument("--label", default="heartbeat", help="with --join: the steps whose label contains this")
    args = parser.parse_args()
    if args.join:
        join(args.join, args.label)
        return
    if not (args.pg_port and args.redis_port and args.web_port):
        parser.error("--pg-port, --redis-port and --web-port are needed to sample")

    out = sys.stdout
    header = (
        "time user sys idle softirq steal web_workers web_ms pg_ms redis_ms cluster_ms loadgen_ms others_ms evalsha "
        "conns "
        "saving ckpt ckpt_bufs backend_bufs wal_kb wal_fpi table upd dead vacuums autovac listen_drops tw "
        "syn_retrans probe_us"
    ).split()
    out.write("\t".join(header) + "\n")
    pg = rd = None
    last: dict = {}
    web: set[int] = set()
    found_at = -1e9
    end = time.monotonic() + args.seconds
    tick = time.monotonic()
    while time.monotonic() < end:
        tick = max(tick + 1.0, time.monotonic())
        time.sleep(max(0.0, tick - time.monotonic()))
        # Connect only to a listening server: the benchmark's ports lie in the kernel's ephemeral range, and a
        # connect to a port nobody listens on can pick that port as its own source and connect to itself (TCP's
        # simultaneous open), which then keeps the server from binding it.
        if pg is None and not (listeners(args.pg_port) and listeners(args.redis_port)):
            rd = None
            last = {}
            continue
        try:
            if rd is None:
                rd = Redis(args.redis_port)
            if pg is None:
                pg = Postgres(args.pg_port, args.dbname)
        except Exception:  # the run has not started its servers yet, or they are gone
            rd = pg = None
            last = {}
            continue
        if time.monotonic() >= found_at + 5 or not all(psutil.pid_exists(pid) for pid in web):
            # Finding processes by their sockets reads every process's file descriptors: every 5 s, or at
            # once when gunicorn was restarted (gthread rows) or a worker replaced.
            try:
                web, pgs, rds, cluster, loadgen = processes(args)
                web_workers = sorted(pid for pid in web if psutil.Process(pid).ppid() in web)
            except psutil.Error:  # a process gone while we looked (gunicorn restarting): look again next second
                last, found_at = {}, -1e9
                continue
            found_at = time.monotonic()
        try:
            now = {
                "stat": proc_stat(),
                "workers": cpu_ms(web_workers),
                "web": cpu_ms(web),
                "pg": cpu_ms(pgs),
                "redis": cpu_ms(rds),
                "cluster": cpu_ms(cluster),
                "loadgen": cpu_ms(loadgen),
                "all": all_cpu_ms(),
                "tcp": tcp_ext(),
                "tw": time_wait(),
                "redis_info": rd.reading(),
                "pg_info": pg.reading(),
            }
        except Exception:
            rd = pg = None
            last = {}
            continue
        if last:
            stat = [a - b for a, b in zip(now["stat"], last["stat"], strict=False)]
            workers = [now["workers"][p] - last["workers"].get(p, now["workers"][p]) for p in web_workers]
            own = {k: delta(now[k], last[k]) for k in ("web", "pg", "redis", "cluster", "loadgen")}
            others = delta(now["all"], last["all"]) - sum(own.values())
            ri, lri = now["redis_info"], last["redis_info"]
            pi, lpi = now["pg_info"], last["pg_info"]
            row = [
                datetime.now().strftime("%H:%M:%S"),
                stat[0] + stat[1],
                stat[2],
                stat[3] + stat[4],
                stat[6],
                stat[7],
                "/".join(f"{w:.0f}" for w in workers),
                *(f"{own[k]:.0f}" for k in ("web", "pg", "redis", "cluster", "loadgen")),
                f"{max(others, 0):.0f}",
                ri["evalsha"] - lri["evalsha"],
                ri["conns"] - lri["conns"],
                ri["saving"],
                *((pi.get(k, 0) - lpi.get(k, 0)) for k in COUNTERS[:5]),
                pi.get("table", ""),
                pi.get("upd", 0) - lpi.get("upd", 0),
                pi.get("dead", 0),
                pi.get("vacuums", 0) - lpi.get("vacuums", 0),
                pi.get("autovac_workers", 0),
                now["tcp"].get("ListenDrops", 0) - last["tcp"].get("ListenDrops", 0),
                now["tw"],
                now["tcp"].get("TCPSynRetrans", 0) - last["tcp"].get("TCPSynRetrans", 0),
                probe_us(),
            ]
            out.write("\t".join(str(v) for v in row) + "\n")
            out.flush()
        last = now


if __name__ == "__main__":
    if os.geteuid() == 0:
        os.nice(-5)  # sample on time even when the run fills both cores
    main()
