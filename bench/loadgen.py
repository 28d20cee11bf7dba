"""An asyncio load generator (aiohttp) with latency percentiles and error counts.

Three shapes of load:
- closed loop: N simulated users, each sends a request, waits for the answer,
  thinks for a while, and repeats (mixed browsing; with no think time it is
  the saturation search);
- open loop: requests released at fixed moments whatever the server does (the
  quiz spike, the xAPI rate steps), so a slow server shows up as latency and
  not as a politely lower offered load;
- saturation search: closed loop without think time at rising concurrency
  until throughput stops growing.

Every request has a timeout; an exception, a timeout or a status >= 400 is
an error, counted and never dropped from the statistics.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass
class Request:
    name: str
    method: str
    path: str
    data: dict | None = None
    json: dict | None = None
    ok_statuses: tuple[int, ...] = ()
    # Called with (status, location header, body text or "") after the answer: scenario state machines.
    after: object = None
    wants_body: bool = False
    # Sent with another user's session (a district admin's page in the teachers' mix); default: the user's own.
    via: VirtualUser | None = None

    def is_ok(self, status: int) -> bool:
        if self.ok_statuses:
            return status in self.ok_statuses
        return status < 400


@dataclass
class VirtualUser:
    """One simulated learner: their session and CSRF cookies, and whatever the scenario needs."""

    session_key: str = ""
    csrf: str = ""
    info: dict = field(default_factory=dict)
    http: aiohttp.ClientSession | None = None

    def headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.csrf} if self.csrf else {}


@dataclass
class Sample:
    name: str
    started: float
    latency: float
    status: int
    ok: bool
    error: str = ""


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    # Nearest-rank: the smallest value with at least q of the samples at or below it.
    rank = max(1, int(-(-q * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


class Recorder:
    def __init__(self):
        self.samples: list[Sample] = []

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    def summary(self, *, name: str | None = None, since: float | None = None, until: float | None = None) -> dict:
        chosen = [
            s
            for s in self.samples
            if (name is None or s.name == name)
            and (since is None or s.started >= since)
            and (until is None or s.started < until)
        ]
        latencies = [s.latency for s in chosen]
        errors = [s for s in chosen if not s.ok]
        span = (max(s.started + s.latency for s in chosen) - min(s.started for s in chosen)) if chosen else 0
        return {
            "count": len(chosen),
            "errors": len(errors),
            "error_kinds": dict(Counter(s.error or f"HTTP {s.status}" for s in errors).most_common(5)),
            "p50_ms": _ms(percentile(latencies, 0.50)),
            "p95_ms": _ms(percentile(latencies, 0.95)),
            "p99_ms": _ms(percentile(latencies, 0.99)),
            "max_ms": _ms(max(latencies) if latencies else None),
            "rps": round(len(chosen) / span, 1) if span else None,
        }

    def names(self) -> list[str]:
        return sorted({s.name for s in self.samples})


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# gunicorn's sync workers close every connection; its gthread workers keep one open for 2 s
# (--keep-alive) and then close it. A client that reuses a connection idle for about that long may
# send its request just as the server closes it (ClientOSError, counted as an error: issue 18's
# gthread steps). Dropping idle connections after 1 s leaves the closing to the client.
KEEPALIVE_SECONDS = 1.0


def new_connector() -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=KEEPALIVE_SECONDS)


async def open_user(base_url: str, user: VirtualUser, connector: aiohttp.TCPConnector) -> VirtualUser:
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for an IP address host
    cookies = {}
    if user.session_key:
        cookies["sessionid"] = user.session_key
    if user.csrf:
        cookies["csrftoken"] = user.csrf
    user.http = aiohttp.ClientSession(
        base_url=base_url,
        connector=connector,
        connector_owner=False,
        cookie_jar=jar,
        cookies=cookies,
        timeout=REQUEST_TIMEOUT,
    )
    return user


async def close_users(users: list[VirtualUser]) -> None:
    for user in users:
        if user.http is not None:
            await user.http.close()
            user.http = None


async def send(user: VirtualUser, request: Request, recorder: Recorder) -> Sample:
    started = time.monotonic()
    status, error, location, body = 0, "", "", ""
    sender = request.via or user
    try:
        async with sender.http.request(
            request.method,
            request.path,
            data=request.data,
            json=request.json,
            headers=sender.headers(),
            allow_redirects=False,
        ) as response:
            raw = await response.read()
            status = response.status
            location = response.headers.get("Location", "")
            if request.wants_body:
                body = raw.decode("utf-8", "replace")
    except TimeoutError:
        error = "timeout"
    except aiohttp.ClientError as exc:
        error = type(exc).__name__
    latency = time.monotonic() - started
    ok = not error and request.is_ok(status)
    sample = Sample(request.name, started, latency, status, ok, error)
    recorder.add(sample)
    if request.after is not None:
        request.after(status, location, body)
    return sample


async def closed_loop(
    users: list[VirtualUser],
    next_request: Callable[[VirtualUser, random.Random], Request],
    recorder: Recorder,
    *,
    duration: float,
    think: tuple[float, float] = (0.0, 0.0),
    seed: int = 1,
) -> tuple[float, float]:
    """Run every user until `duration` has passed; returns (start, end) on the monotonic clock.

    With think time, each user first waits a random part of one think time so
    the users do not arrive in lock step.
    """
    start = time.monotonic()
    end = start + duration

    async def run(index: int, user: VirtualUser) -> None:
        rng = random.Random(seed * 100_003 + index)
        if think[1] > 0:
            await asyncio.sleep(rng.uniform(0, think[1]))
        while time.monotonic() < end:
            await send(user, next_request(user, rng), recorder)
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(*think))

    await asyncio.gather(*(run(i, u) for i, u in enumerate(users)))
    return start, time.monotonic()


async def open_loop(schedule: list[tuple[float, VirtualUser, Request]], recorder: Recorder) -> tuple[float, float]:
    """Send each request at its offset (seconds from now), whether or not earlier ones have returned."""
    start = time.monotonic()

    async def fire(offset: float, user: VirtualUser, request: Request) -> None:
        delay = start + offset - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(user, request, recorder)

    await asyncio.gather(*(fire(offset, user, request) for offset, user, request in schedule))
    return start, time.monotonic()


async def saturation(
    users: list[VirtualUser],
    next_request: Callable[[VirtualUser, random.Random], Request],
    *,
    concurrencies: tuple[int, ...] = (2, 4, 8, 16, 32),
    step_seconds: float = 8.0,
    during=None,
) -> dict:
    """Closed loop without think time at rising concurrency; the best error-free throughput wins.

    Stops early when a step gains less than 5% over the best so far (the
    server is saturated: more concurrency only adds queueing). `during`, a
    context manager factory given the concurrency, wraps each step and may add
    to its summary through the dict it yields.
    """
    steps = []
    best = None
    offset = 0
    for concurrency in concurrencies:
        recorder = Recorder()
        # Fresh users for each step where there are enough (per-user limits such as quiz attempts).
        chosen = [users[(offset + i) % len(users)] for i in range(concurrency)]
        offset += concurrency
        if during is None:
            start, end = await closed_loop(chosen, next_request, recorder, duration=step_seconds)
            extra = {}
        else:  # a context manager factory given the concurrency (bench/scenarios.py's step meters)
            with during(concurrency) as extra:
                start, end = await closed_loop(chosen, next_request, recorder, duration=step_seconds)
        summary = recorder.summary()
        summary.update(extra)
        summary["rps"] = round(summary["count"] / (end - start), 1)
        summary["concurrency"] = concurrency
        steps.append(summary)
        if summary["errors"] == 0 and (best is None or summary["rps"] > best["rps"]):
            previous = best
            best = summary
            if previous is not None and summary["rps"] < previous["rps"] * 1.05:
                break
        elif best is not None:
            break
    return {"best": best, "steps": steps}
