"""bench.scenarios.rate_steps: the open-loop rate steps shared by the heartbeat and xAPI scenarios.

Against a small aiohttp server on loopback whose answers are slow or failing
from a request number the test chooses, so what stops the steps is decided
here, not by the machine's speed (the delays are far apart from the limits).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

web = pytest.importorskip("aiohttp.web")
uvloop = pytest.importorskip("uvloop")

from bench import loadgen, scenarios  # noqa: E402
from bench.loadgen import Request, VirtualUser  # noqa: E402
from bench.scenarios import rate_steps, row_rate, step_table, sustained_line, sustained_rate  # noqa: E402


def run_in_own_thread(coroutine, runner=asyncio.run):
    """asyncio.run (or `runner`: uvloop.run) in a thread of its own: a browser test's Playwright (sync API) may
    have left an event loop running in this worker's main thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(runner, coroutine).result()


@pytest.fixture(autouse=True)
def seconds_log(tmp_path, monkeypatch):
    """Each step's seconds go to a log of the test's own, not the checkout's bench/work."""
    path = tmp_path / "logs" / "rate-seconds.jsonl"
    monkeypatch.setattr(scenarios, "RATE_SECONDS_LOG", path)
    return path


def run_steps(rates, *, slow_from=None, fail_from=None, during=None, stop_p95_ms=300.0, client="aiohttp"):
    """rate_steps over three users at 0.5 s a step; (steps, the user of each request the server saw).

    `client`: aiohttp, or the lean client the heartbeat and xAPI rows use (the same semantics expected), on
    uvloop as the rows run it."""
    seen = []

    async def handler(request):
        number = len(seen)
        seen.append(request.headers.get("X-CSRFToken"))
        if slow_from is not None and number >= slow_from:
            await asyncio.sleep(0.6)
        status = 500 if fail_from is not None and number >= fail_from else 200
        return web.Response(status=status, text="ok")

    async def main():
        app = web.Application()
        app.router.add_post("/beat/", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        connector = loadgen.new_connector()
        pool = loadgen.LeanPool(base)
        if client == "lean":
            users = [loadgen.open_lean_user(pool, VirtualUser(csrf=f"u{n}")) for n in range(3)]
        else:
            users = [await loadgen.open_user(base, VirtualUser(csrf=f"u{n}"), connector) for n in range(3)]
        try:
            return await rate_steps(users, rates, 0.5, lambda user: Request("beat", "POST", "/beat/", json={}),
                                    stop_p95_ms=stop_p95_ms, during=during, label="test")
        finally:
            await loadgen.close_users(users)
            await connector.close()
            await pool.close()
            await runner.cleanup()

    return run_in_own_thread(main(), uvloop.run if client == "lean" else asyncio.run), seen


CLIENTS = pytest.mark.parametrize("client", ["aiohttp", "lean"])


@CLIENTS
def test_each_step_offers_its_rate_and_the_steps_stop_once_p95_passes_the_limit(client):
    wrapped = []

    @contextlib.contextmanager
    def during(rate):
        extra = {}
        wrapped.append(rate)
        yield extra
        extra["marked"] = rate

    # Steps of 5, 10 and 15 requests: from the 16th on, answers take 0.6 s.
    steps, seen = run_steps([10, 20, 30, 40], slow_from=15, during=during, client=client)

    assert [s["offered"] for s in steps] == [10, 20, 30]  # no fourth step after a slow third
    assert [s["count"] for s in steps] == [5, 10, 15]
    assert all(s["errors"] == 0 and s["achieved"] > 0 for s in steps)
    assert all(s["client_cpu_ms"] > 0 for s in steps)  # the load generator's own CPU per request
    assert steps[2]["p95_ms"] >= 600 and steps[1]["p95_ms"] < 300
    # The users take turns, from the first again at each step: 2+4+5, 2+3+5, 1+3+5.
    assert Counter(seen) == {"u0": 11, "u1": 10, "u2": 9}
    assert wrapped == [10, 20, 30] and [s["marked"] for s in steps] == [10, 20, 30]
    assert row_rate(steps, p95_ms=300) == steps[1]["achieved"]  # the last step before the slow third
    assert len(step_table(steps)) == 2 + 3


def test_each_step_logs_its_requests_by_second_of_their_due_time(seconds_log):
    import json

    # Steps of 0.5 s: 8 requests at 16/s, then 16 at 32/s, the last two failing; each step within its second 0.
    steps, _ = run_steps([16, 32], fail_from=22)

    lines = [json.loads(line) for line in seconds_log.read_text().splitlines()]
    assert [(line["label"], line["offered"], line["second"], line["due"]) for line in lines] == [
        ("test", 16, 0, 8),
        ("test", 32, 0, 16),
    ]
    assert [line["errors"] for line in lines] == [0, 2] == [s["errors"] for s in steps]
    assert all(line["p50_ms"] <= line["p95_ms"] <= line["max_ms"] for line in lines)
    assert all(len(line["time"]) == 8 for line in lines)  # HH:MM:SS, to join with bench/timeline.py's lines


@CLIENTS
def test_an_error_stops_the_steps_and_a_step_with_errors_never_counts(client):
    steps, _ = run_steps([10, 20, 30], fail_from=8, client=client)

    assert [s["offered"] for s in steps] == [10, 20]
    assert steps[1]["errors"] == 7 and steps[1]["error_kinds"] == {"HTTP 500": 7}
    assert row_rate(steps, p95_ms=300) == steps[0]["achieved"]
    assert row_rate(steps[1:], p95_ms=300) == 0.0


def test_the_client_drops_idle_connections_before_gunicorn_closes_them():
    """A request on a kept-alive connection the gthread worker is closing fails (the gthread xAPI steps)."""
    config = pytest.importorskip("gunicorn.config")

    async def keepalive():
        connector = loadgen.new_connector()
        try:
            return connector._keepalive_timeout
        finally:
            await connector.close()

    assert run_in_own_thread(keepalive()) == loadgen.KEEPALIVE_SECONDS < config.Config().keepalive  # bench/services.py


def test_the_row_figure_stops_at_the_first_miss_even_when_a_step_above_it_passed():
    def step(offered, p95, errors=0):
        return {"offered": offered, "achieved": offered - 0.5, "p95_ms": p95, "errors": errors}

    # The 21:49 run's shape: a miss at 1,100/s between passing steps at 1,000 and 1,200.
    steps = [step(1000, 47.9), step(1100, 131.6), step(1200, 38.5), step(1400, 412.9)]
    assert row_rate(steps, p95_ms=50) == 999.5
    assert sustained_rate(steps, p95_ms=50) == (999.5, steps[1])
    assert sustained_line(steps, p95_ms=50) == (
        "Every step up to 999.5/s passed (p95 < 50 ms, no error): the row's figure; the first to miss was 1100/s "
        "offered (p95 131.6 ms, 0 errors). A step above that miss passed (1199.5/s): shown, not counted."
    )
    # An error is a miss even under the p95, and a step with errors above the miss is no pass either.
    assert row_rate([step(10, 5), step(20, 5, errors=1), step(30, 5)], p95_ms=50) == 9.5
    assert sustained_line([step(10, 5), step(20, 60), step(30, 5, errors=2)], p95_ms=50) == (
        "Every step up to 9.5/s passed (p95 < 50 ms, no error): the row's figure; the first to miss was 20/s "
        "offered (p95 60 ms, 0 errors)."
    )
    # No miss at all; a miss at once.
    assert sustained_line([step(10, 5)], p95_ms=50) == (
        "Every step up to 9.5/s passed (p95 < 50 ms, no error): the row's figure."
    )
    missed_at_once = [step(10, 60)]
    assert sustained_rate(missed_at_once, p95_ms=50) == (0.0, missed_at_once[0])
    assert row_rate(missed_at_once, p95_ms=50) == 0.0
