"""gunicorn's `--reuse-port`, which SHIXUN_BENCH_GTHREAD_REUSE_PORT=1 gives the bench's gthread rows.

On one shared listening socket the gthread worker already awake wins the accept race and keeps every
connection it accepted (keep-alive), so one process can end up answering nearly all the requests of a few
kept-alive connections (bench/ANALYSIS.md, "gthread workers' share of the connections"). With `--reuse-port`
gunicorn 27 opens a socket per worker and the kernel spreads new connections over them: what this proves,
with a WSGI app that answers its worker's pid.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("gunicorn")
pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")

APP = """
import os

def application(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_sockets(port: int) -> int:
    """Sockets listening on the port (one per worker with SO_REUSEPORT, one shared without)."""
    with open("/proc/net/tcp") as handle:
        return sum(
            1 for line in handle.readlines()[1:] if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"
        )


def answering(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn never answered")


def test_with_reuse_port_every_worker_gets_kept_alive_connections(tmp_path: Path):
    from bench.services import VENV_BIN

    (tmp_path / "pid_app.py").write_text(APP)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (the test's own server)
        [
            str(VENV_BIN / "gunicorn"),
            "pid_app:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--reuse-port",
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answering(port)
        deadline = time.monotonic() + 30
        while listening_sockets(port) < 2 and time.monotonic() < deadline:  # the second worker still booting
            time.sleep(0.1)
        assert listening_sockets(port) == 2  # a socket of each worker's own
        time.sleep(0.5)  # the second worker's app loaded after its socket was bound
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(32)]
        pids = []
        for connection in connections:
            connection.request("GET", "/")
            pids.append(connection.getresponse().read())
        # Kept alive: the same connection is answered by the same worker again.
        for connection, pid in zip(connections, pids, strict=True):
            connection.request("GET", "/")
            assert connection.getresponse().read() == pid
            connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    # 32 connections hashed over 2 sockets: all on one worker has odds of 2 in 2**32.
    assert len(set(pids)) == 2, "every connection went to one worker"
