"""How much of the machine something else used while a scenario ran.

A benchmark on a shared machine measures the neighbours too. Every half
second this samples the CPU time of every process and splits it into the
benchmark's own (run.py's process tree and the benchmark PostgreSQL cluster's
processes) and everybody else's; RESULTS.md reports the other share per
scenario, so a figure taken while the machine was busy says so.
"""

from __future__ import annotations

import os
import threading
import time

import psutil


class ForeignLoad:
    def __init__(self, pg_data_dir: str, interval: float = 0.5):
        self.pg_data_dir = pg_data_dir
        self.interval = interval
        self._stop = threading.Event()
        self._last: dict[int, float] = {}
        self.own = 0.0
        self.foreign = 0.0
        self.started = 0.0
        self.ended = 0.0
        self._thread: threading.Thread | None = None

    def _roots(self) -> set[int]:
        roots = {os.getpid()}
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmdline = proc.info.get("cmdline") or []
            if self.pg_data_dir and any(self.pg_data_dir in part for part in cmdline):
                roots.add(proc.info["pid"])
        return roots

    def _sample(self) -> None:
        roots = self._roots()
        parents, cpu = {}, {}
        for proc in psutil.process_iter(["pid", "ppid", "cpu_times"]):
            times = proc.info.get("cpu_times")
            if times is None:
                continue
            parents[proc.info["pid"]] = proc.info["ppid"]
            cpu[proc.info["pid"]] = times.user + times.system

        def is_own(pid: int) -> bool:
            seen = 0
            while pid and seen < 64:
                if pid in roots:
                    return True
                pid = parents.get(pid, 0)
                seen += 1
            return False

        for pid, total in cpu.items():
            delta = total - self._last.get(pid, total if not self._last else 0.0)
            if delta < 0:
                delta = total
            if is_own(pid):
                self.own += delta
            else:
                self.foreign += delta
        self._last = cpu

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> ForeignLoad:
        self._sample()  # baseline: the first sample counts nothing
        self.own = self.foreign = 0.0
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._sample()
        self.ended = time.monotonic()

    def summary(self) -> dict:
        wall = max(self.ended - self.started, 1e-6)
        cores = os.cpu_count() or 1
        return {
            "wall_s": round(wall, 1),
            "own_cpu_share": round(self.own / (wall * cores), 2),
            "foreign_cpu_share": round(self.foreign / (wall * cores), 2),
            "loadavg": os.getloadavg()[0],
        }


class ProcessCPU:
    """CPU seconds of the benchmark's own processes by kind, between two readings.

    Kinds: the gunicorn master and workers ("web"), the django-q2 cluster ("cluster"), the benchmark
    PostgreSQL cluster ("postgres"), Redis ("redis"), this process (the load generator, "loadgen") and
    the Django side commands it runs ("side"); everything else is "others". Issue 18's quiz spike and
    browsing saturation: which process was busy before and during a burst.
    """

    def __init__(self, pg_data_dir: str = "", redis_port: str = ""):
        self.pg_data_dir = pg_data_dir
        self.redis_port = redis_port

    def _kind(self, cmdline: list[str], pid: int) -> str:
        text = " ".join(cmdline)
        if pid == os.getpid():
            return "loadgen"
        if "gunicorn" in text:
            return "web"
        if "qcluster" in text:
            return "cluster"
        if "bench.django_side" in text:
            return "side"
        if self.redis_port and "redis-server" in text and f":{self.redis_port}" in text:
            return "redis"
        return ""

    def reading(self) -> dict[str, float]:
        """CPU seconds so far of every process by kind (children of a kind's process count as that kind)."""
        totals: dict[str, float] = {}
        for kind, cpu in self.per_process().values():
            totals[kind] = totals.get(kind, 0.0) + cpu
        totals["_at"] = time.monotonic()
        return totals

    def per_process(self) -> dict[int, tuple[str, float]]:
        """Each process's kind and CPU seconds so far, by pid."""
        procs = {}
        for proc in psutil.process_iter(["pid", "ppid", "cmdline", "cpu_times"]):
            info = proc.info
            if info.get("cpu_times") is None:
                continue
            procs[info["pid"]] = info
        me = os.getpid()

        def descends(pid: int) -> bool:
            seen = 0
            while pid and seen < 64:
                if pid == me:
                    return True
                pid = procs.get(pid, {}).get("ppid", 0)
                seen += 1
            return False

        kinds: dict[int, str] = {}
        for pid, info in procs.items():
            # Only this run's own processes: other helpers' gunicorns and clusters are "others".
            kind = self._kind(info.get("cmdline") or [], pid) if descends(pid) else ""
            if not kind and self.pg_data_dir and any(self.pg_data_dir in part for part in info.get("cmdline") or []):
                kind = "postgres"
            if kind:
                kinds[pid] = kind

        def kind_of(pid: int) -> str:
            seen = 0
            while pid and seen < 64:
                if pid in kinds:
                    return kinds[pid]
                pid = procs.get(pid, {}).get("ppid", 0)
                seen += 1
            return "others"

        return {pid: (kind_of(pid), info["cpu_times"].user + info["cpu_times"].system) for pid, info in procs.items()}

    @staticmethod
    def shares(before: dict, after: dict) -> dict[str, float]:
        """Share of one core each kind used between two readings (1.0 = one core busy); "others" can fall
        when processes ended (clamped at 0)."""
        wall = max(after["_at"] - before["_at"], 1e-6)
        return {
            kind: round(max(0.0, after.get(kind, 0.0) - before.get(kind, 0.0)) / wall, 2)
            for kind in ("web", "cluster", "postgres", "redis", "loadgen", "side", "others")
        }
