"""The load generator's own CPU per request: aiohttp against the lean client (issue 18), same server, same rate.

    .venv/bin/python bench/client_cost.py [--rate 600] [--seconds 6] [--loop asyncio|uvloop|both]

A trivial WSGI app (reads the body, answers 60 bytes of JSON) under gunicorn, sync workers (every answer
closes its connection, as in the sync rows) and gthread workers (keep-alive, as in the gthread rows). For
each, the same open-loop schedule (loadgen.open_loop, the users taking turns) of heartbeat-shaped POSTs
(16-byte JSON) and xAPI-shaped ones (1-3 KB, a fresh statement each) goes out through each client, and
this process's CPU time (user + system, time.process_time) over the open loop is divided by the requests.
The lean client's bytes are built inside that window too (open_loop prepares them before its clock).
`--loop both` (the default) runs the lean client on asyncio's loop and on uvloop's (as the rate steps do,
loadgen.run_rate_client) beside aiohttp on asyncio's; the lag column is the open loop's send lag, p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import loadgen  # noqa: E402
from bench.loadgen import Recorder, Request, VirtualUser  # noqa: E402
from bench.scenarios import xapi_statement  # noqa: E402

APP = """
def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    body = b'{"ok": true, "credited_seconds": 30, "left_seconds": 1200}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(folder: str, port: int, threads: int) -> subprocess.Popen:
    Path(folder, "trivial_app.py").write_text(APP)
    args = [str(Path(sys.executable).parent / "gunicorn"), "trivial_app:app", "-b", f"127.0.0.1:{port}", "-w", "2"]
    if threads > 1:
        args += ["--threads", str(threads)]
    server = subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310 (loopback)
            return server
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gunicorn did not start")


async def measure(client: str, base: str, shape: str, rate: int, seconds: float) -> dict:
    users = [VirtualUser(session_key=f"session{n:04d}" * 2, csrf=f"csrf{n:04d}" * 8) for n in range(200)]
    connector = pool = None
    if client == "lean":
        pool = loadgen.LeanPool(base)
        users = [loadgen.open_lean_user(pool, u) for u in users]
    else:
        connector = loadgen.new_connector()
        users = [await loadgen.open_user(base, u, connector) for u in users]
    rng = random.Random(3)
    course = {"h5p_iri": "http://127.0.0.1/h5p/1"}
    beats = {id(u): Request("heartbeat", "POST", "/study/beat/", json={"start": False}) for u in users}

    def make(user):
        if shape == "heartbeat":
            return beats[id(user)]
        return Request("xapi", "POST", "/h5p/xapi/", json={"token": "t" * 40, "statement": xapi_statement(course, rng)})

    schedule = [(i / rate, users[i % len(users)], make(users[i % len(users)])) for i in range(int(rate * seconds))]
    recorder = Recorder()
    cpu = time.process_time()
    await loadgen.open_loop(schedule, recorder)
    cpu = time.process_time() - cpu
    summary = recorder.summary()
    if pool is not None:
        await pool.close()
    else:
        await loadgen.close_users(users)
        await connector.close()
    return {
        "lag_p95_ms": summary["lag_p95_ms"],
        "cpu_ms_per_request": round(1000 * cpu / max(summary["count"], 1), 3),
        "count": summary["count"],
        "errors": summary["errors"],
        "p50_ms": summary["p50_ms"],
        "p95_ms": summary["p95_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--loop", choices=["asyncio", "uvloop", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=2, help="each measurement this many times (clients alternate)")
    args = parser.parse_args()
    import uvloop

    loops = {"asyncio": asyncio.run, "uvloop": uvloop.run}
    clients = [("aiohttp", "asyncio")]  # aiohttp stays on the loop the other scenarios use
    clients += [("lean", loop) for loop in (("asyncio", "uvloop") if args.loop == "both" else (args.loop,))]
    print(f"{args.rate}/s for {args.seconds} s, load average {os.getloadavg()[0]:.1f}")
    print("| workers | request | client | loop | CPU ms/request | requests | errors | p50 ms | p95 ms | lag p95 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for workers, threads in (("sync", 1), ("gthread", 4)):
            port = free_port()
            server = start_gunicorn(folder, port, threads)
            try:
                for shape in ("heartbeat", "xapi"):
                    for round_ in range(args.rounds):
                        for client, loop in clients if round_ % 2 == 0 else clients[::-1]:
                            run = loops[loop]
                            r = run(measure(client, f"http://127.0.0.1:{port}", shape, args.rate, args.seconds))
                            print(
                                f"| {workers} | {shape} | {client} | {loop} | {r['cpu_ms_per_request']} | "
                                f"{r['count']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['lag_p95_ms']} |",
                                flush=True,
                            )
            finally:
                server.terminate()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
