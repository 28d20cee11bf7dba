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
