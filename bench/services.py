"""The servers a benchmark run needs, started on loopback and always stopped.

Every process is started in its own process group and registered with a
`Services` stack; `Services.close()` stops them in reverse order (SIGTERM,
then SIGKILL after a grace period). run.py calls it from a `finally` block
and from SIGINT/SIGTERM handlers, so a failed or interrupted run leaves
nothing behind. Every wait is bounded.
"""

# ruff: noqa: S603, S607 (starting the benchmark's own servers and tools is what this module is for)

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
WORK = REPO / "bench" / "work"
PRODUCTION_LOCK = REPO / "requirements" / "lock" / "production.txt"
PRODUCTION_VENV = WORK / "production-venv"


def production_python() -> Path:
    """A Python with production's packages only (requirements/lock/production.txt), made once per lock.

    For the figures that are a process's start-up (the export's first byte, the idle process under its
    memory). The development environment the rest of the bench runs in has the test lock's extra packages,
    and Wagtail, Django REST framework and django-q2 import some of them at start-up when they are present
    (jinja2 through django.test, DRF's optional yaml and pygments, psutil): 5.6% of the export command's
    start-up instructions (valgrind, 4,583 M against 4,327 M), work a production process does not do.
    uv (in the development environment, requirements/lock/uv.txt) makes it in seconds from its cache.
    """
    import hashlib

    python = PRODUCTION_VENV / "bin" / "python"
    stamp = PRODUCTION_VENV / "lock.sha256"
    digest = hashlib.sha256(PRODUCTION_LOCK.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    shutil.rmtree(PRODUCTION_VENV, ignore_errors=True)
    uv = str(VENV_BIN / "uv")
    subprocess.run([uv, "venv", "--quiet", "--python", str(VENV_BIN / "python"), str(PRODUCTION_VENV)], check=True)
    # --compile-bytecode: a venv without .pyc files compiles every module on each start, as production's
    # image does not (pip compiles on install).
    subprocess.run([uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python),
                    "--require-hashes", "-r", str(PRODUCTION_LOCK)], check=True)
    stamp.write_text(digest)
    return python


class ServiceError(RuntimeError):
    pass


def wait_for_port(port: int, *, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServiceError(f"process {proc.args!r} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise ServiceError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def django_env(**extra: str) -> dict[str, str]:
    """Environment for any process that loads Shixun with the benchmark settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONDONTWRITEBYTECODE"))
    }
    env.update(
        # A deployed site runs compiled bytecode (pip compiles the wheel; a checkout writes __pycache__ on its
        # first start). Without a cache every process compiled Shixun's ~150 modules again (~0.1 s of each
        # export's first byte): the cache goes under bench/work, never into the source tree.
        PYTHONPYCACHEPREFIX=str(WORK / "pycache"),
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        SHIXUN_VAR_DIR=str(WORK / "var"),
        MEDIA_ROOT=str(WORK / "var" / "media"),
        PRIVATE_MEDIA_ROOT=str(WORK / "var" / "private"),
        SHIXUN_BENCH_STATIC_ROOT=str(WORK / "static"),
        CONN_MAX_AGE="60",
    )
    env.update(extra)
    return env


class Services:
    """A stack of started processes and clean-up callbacks, undone in reverse order."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self._stack: list[tuple[str, Callable[[], None]]] = []
        self._procs: dict[str, subprocess.Popen] = {}

    # --- generic ------------------------------------------------------------------
    def spawn(
        self, name: str, args: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO
    ) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed by the stop callback)
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: we can stop it with all its children
        )

        def stop() -> None:
            terminate_group(proc)
            log.close()

        self._stack.append((name, stop))
        self._procs[name] = proc
        return proc

    def process(self, name: str) -> subprocess.Popen | None:
        return self._procs.get(name)

    def kill(self, name: str) -> str:
        """SIGKILL a service's whole process group, as a machine that is lost (scale-out proof); no clean-up runs."""
        proc = self._procs.get(name)
        if proc is None or proc.poll() is not None:
            return f"{name} was not running"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return f"SIGKILL to {name}'s process group"

    def on_close(self, name: str, callback: Callable[[], None]) -> None:
        self._stack.append((name, callback))

    def stop(self, name: str) -> None:
        """Stop one named service now (e.g. gunicorn before restarting it on SQLite)."""
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == name:
                _, callback = self._stack.pop(index)
                callback()
                return

    def close(self) -> None:
        while self._stack:
            name, callback = self._stack.pop()
            try:
                callback()
            except Exception as error:  # keep stopping the rest
                print(f"  ! stopping {name}: {error}")

    # --- PostgreSQL -------------------------------------------------------------------
    def postgres(self, port: int, data_dir: Path) -> str:
        """A fresh throw-away cluster (scripts/postgres.sh) with production durability.

        scripts/postgres.sh turns fsync, synchronous_commit and full_page_writes
        off: right for a test suite, unfair for a benchmark (a production server
        keeps them on, and every commit then waits for the WAL flush). They are
        switched back on with ALTER SYSTEM, which overrides postgresql.conf.
        """
        import psycopg

        script = REPO / "scripts" / "postgres.sh"
        env = {**os.environ, "SHIXUN_PG_PORT": str(port), "SHIXUN_PG_DIR": str(data_dir)}
        subprocess.run([str(script), "stop"], env=env, check=False, capture_output=True, timeout=60)
        shutil.rmtree(data_dir, ignore_errors=True)
        if not port_is_free(port):
            raise ServiceError(f"port {port} is taken: set SHIXUN_BENCH_PG_PORT to a free one")
        # Undone in reverse: the server stops first, then its directory goes.
        self.on_close("postgres-dir", lambda: shutil.rmtree(data_dir, ignore_errors=True))
        self.on_close("postgres", lambda: subprocess.run([str(script), "stop"], env=env, check=False, timeout=60))
        url = subprocess.run([str(script), "start"], env=env, check=True, capture_output=True, text=True, timeout=120)
        url = url.stdout.strip().splitlines()[-1]
        with psycopg.connect(url, autocommit=True) as conn:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(f"ALTER SYSTEM SET {setting} = on")
        subprocess.run([str(script), "stop"], env=env, check=True, timeout=60)
        subprocess.run([str(script), "start"], env=env, check=True, capture_output=True, timeout=120)
        with psycopg.connect(url, autocommit=True) as conn:
            settings = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_connections")
            }
        return url, settings

    # --- Redis --------------------------------------------------------------------------
    def redis(self, port: int) -> str:
        if not port_is_free(port):
            raise ServiceError(f"port {port} is taken: set SHIXUN_BENCH_REDIS_PORT to a free one")
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        proc = self.spawn(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
        )
        wait_for_port(port, timeout=20, proc=proc)
        return f"redis://127.0.0.1:{port}/0"

    # --- Shixun processes ------------------------------------------------------------------
    def gunicorn(
        self, name: str, port: int, env: dict[str, str], *, workers: int, threads: int = 0, reuse_port: bool = False
    ) -> subprocess.Popen:
        if not port_is_free(port):
            raise ServiceError(f"port {port} is taken")
        proc = self.spawn(
            name,
            [
                str(VENV_BIN / "gunicorn"),
                "shixun.config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread" if threads else "sync",
                *(["--threads", str(threads)] if threads else []),
                "--timeout",
                "60",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                *(["--reuse-port"] if reuse_port else []),
            ],
            env=env,
        )
        wait_for_port(port, timeout=60, proc=proc)
        return proc

    def qcluster(self, name: str, env: dict[str, str]) -> subprocess.Popen:
        proc = self.spawn(name, [str(VENV_BIN / "python"), str(REPO / "manage.py"), "qcluster"], env=env)
        time.sleep(3)  # django-q2 has no readiness signal; tasks queued earlier simply wait in the broker
        if proc.poll() is not None:
            raise ServiceError(f"qcluster exited with {proc.returncode}: see {self.log_dir / (name + '.log')}")
        return proc


def terminate_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=grace)
