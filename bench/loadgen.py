"""An asyncio load generator (aiohttp) with latency percentiles and error counts.

Three shapes of load:
- closed loop: N simulated users, each sends a request, waits for the answer,
  thinks for a while, and repeats (mixed browsing; with no think time it is
  the saturation search);
- open loop: requests released at fixed moments whatever the server does (the
  quiz spike, the xAPI rate steps), so a slow server shows up as latency and
  not as a politely lower offered load; latency runs from each request's due
  time, so a load generator that falls behind shows up too (its lag is recorded);
- saturation search: closed loop without think time at rising concurrency
  until throughput stops growing.

Every request has a timeout; an exception, a timeout or a status >= 400 is
an error, counted and never dropped from the statistics.

Two HTTP clients under the same loops: aiohttp (every scenario) and LeanPool, a
lean HTTP/1.1 client of our own for the simple JSON rate steps (the heartbeat and
xAPI rows and the one-query view they compare to, issue 18): the load generator
shares the 2 cores with the server, and aiohttp's ~0.5 ms of CPU a request was a
fifth of the machine at those rows' rates. LeanPool sends the very bytes aiohttp
sends (tests/bench/test_lean_client.py compares them), so the server's work is
the same; only the client's is smaller.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter, deque
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
    # LeanPool: the request's bytes, prepared once for `wire_user` (lean_wire).
    wire: bytes | None = None
    wire_user: VirtualUser | None = None

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
    # The lean client instead of aiohttp (open_lean_user): its pool and the Cookie header the user's aiohttp
    # session would send (the one-query baseline's "anonymous" users send their owner's cookies, as with aiohttp).
    lean: LeanPool | None = None
    cookie: str = ""

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
    # Open loop: how late the send started after its due time (the loop busy, the machine's cores taken). The
    # latency runs from the due time, so it includes the lag (no coordinated omission: a load generator that
    # falls behind does not hide the wait from the figure).
    lag: float = 0.0


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
        lags = [s.lag for s in chosen]
        errors = [s for s in chosen if not s.ok]
        # An answer's end: the latency runs from the due time, which is the send's start less its lag.
        span = (max(s.started - s.lag + s.latency for s in chosen) - min(s.started for s in chosen)) if chosen else 0
        return {
            "count": len(chosen),
            "errors": len(errors),
            "error_kinds": dict(Counter(s.error or f"HTTP {s.status}" for s in errors).most_common(5)),
            "p50_ms": _ms(percentile(latencies, 0.50)),
            "p95_ms": _ms(percentile(latencies, 0.95)),
            "p99_ms": _ms(percentile(latencies, 0.99)),
            "max_ms": _ms(max(latencies) if latencies else None),
            "lag_p95_ms": _ms(percentile(lags, 0.95)),
            "lag_max_ms": _ms(max(lags) if lags else None),
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


# --- the lean client ----------------------------------------------------------------------------------


# The client of the open-loop rate steps (heartbeat and xAPI rows) and of the one-query saturation measured
# inside them: "lean" (LeanPool) or "aiohttp" (to compare the two on the real rows). Every other scenario: aiohttp.
RATE_CLIENT = os.environ.get("SHIXUN_BENCH_RATE_CLIENT", "lean")
# The lean client's event loop: "uvloop" (libuv's, in C: the loop's own CPU a request, a new connection's
# set-up included, is a fraction of asyncio's; issue 13) or "asyncio" (to compare the two on the real rows).
RATE_LOOP = os.environ.get("SHIXUN_BENCH_RATE_LOOP", "uvloop")


def run_rate_client(coroutine):
    """asyncio.run for the rate steps: on uvloop when they go through the lean client, else asyncio's own loop
    (aiohttp, and every other scenario, keep the loop their figures were taken on)."""
    if RATE_CLIENT == "lean" and RATE_LOOP == "uvloop":
        import uvloop

        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


# aiohttp's own default headers, in its order: the lean client sends the same bytes (the server's work per
# request must not change with the client; tests/bench/test_lean_client.py compares the two on the wire).
USER_AGENT = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aiohttp/{aiohttp.__version__}"
REQUEST_TIMEOUT_SECONDS = 30.0


class LeanError(Exception):
    """A request that got no complete answer; `kind` is what the Recorder counts (aiohttp's class names)."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def open_lean_user(pool: LeanPool, user: VirtualUser) -> VirtualUser:
    """The user on the lean client: the Cookie header aiohttp's cookie jar would send for them."""
    cookies = []
    if user.csrf:
        cookies.append(f"csrftoken={user.csrf}")
    if user.session_key:
        cookies.append(f"sessionid={user.session_key}")
    user.lean = pool
    user.cookie = "; ".join(cookies)  # aiohttp's jar: sorted by name
    return user


def lean_wire(sender: VirtualUser, request: Request) -> bytes:
    """The request's bytes as aiohttp writes them, built once per request and sender (then reused)."""
    if request.wire is not None and request.wire_user is sender:
        return request.wire
    if request.data is not None:
        raise ValueError("the lean client sends JSON or nothing (form posts stay on aiohttp)")
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {sender.lean.host_header}"]
    if sender.csrf:
        lines.append(f"X-CSRFToken: {sender.csrf}")
    lines += ["Accept: */*", "Accept-Encoding: gzip, deflate", f"User-Agent: {USER_AGENT}"]
    if sender.cookie:
        lines.append(f"Cookie: {sender.cookie}")
    body = b""
    if request.json is not None:
        body = json.dumps(request.json).encode()  # aiohttp's JsonPayload: json.dumps, UTF-8
        lines += [f"Content-Length: {len(body)}", "Content-Type: application/json"]
    elif request.method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    request.wire = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    request.wire_user = sender
    return request.wire


class _LeanConnection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time (no pipelining), the answer parsed just enough.

    The status line, then Content-Length, chunked transfer-encoding or (neither) the body up to the
    connection's close; `Connection: close` (gunicorn's sync workers) or an HTTP/1.0 answer without
    keep-alive closes it after the answer. Only Location is kept of the headers.
    """

    def __init__(self):
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.connected = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.head_end = -1  # index of the body's start in the buffer once the head is parsed
        self.length = -1  # Content-Length, -1: none
        self.chunked = False
        self.until_close = False
        self.keep = True
        self.location = ""
        self.set_cookie = False
        self.body = bytearray()
        self.chunk_at = 0  # chunked: where the next chunk's size line starts

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        self.connected = True

    def connection_lost(self, exc) -> None:
        self.connected = False
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.head_end >= 0 and self.until_close:
            self.keep = False
            self._finish(bytes(self.buffer[self.head_end :]))
        elif self.head_end < 0 and not self.buffer:
            waiter.set_exception(LeanError("ServerDisconnectedError"))
        else:
            waiter.set_exception(LeanError("ClientPayloadError", "connection closed in the middle of the answer"))

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            self.connected = False  # bytes nobody asked for: never reuse this connection
            self.transport.abort()
            return
        self.buffer += data
        try:
            self._parse()
        except (ValueError, IndexError) as exc:
            self.connected = False
            self.transport.abort()
            self.waiter.set_exception(LeanError("ClientResponseError", str(exc)))

    # the exchange
    def send(self, wire: bytes) -> asyncio.Future:
        self._reset()
        self.buffer.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(wire)
        return self.waiter

    def _parse(self) -> None:
        buffer = self.buffer
        if self.head_end < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self._head(bytes(buffer[:end]).decode("latin-1"))
            self.head_end = end + 4
            self.chunk_at = self.head_end
            if self.status in (204, 304) or self.status < 200:
                self.length = 0
        if self.chunked:
            self._chunks()
        elif self.length >= 0:
            if len(buffer) - self.head_end >= self.length:
                if len(buffer) - self.head_end > self.length:
                    self.keep = False  # bytes past the answer: not ours to guess about
                self._finish(bytes(buffer[self.head_end : self.head_end + self.length]))

    def _head(self, head: str) -> None:
        lines = head.split("\r\n")
        version, _, rest = lines[0].partition(" ")
        self.status = int(rest[:3])
        connection = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                self.length = int(value)
            elif name == "transfer-encoding":
                self.chunked = "chunked" in value.lower()
            elif name == "connection":
                connection = value.strip().lower()
            elif name == "location":
                self.location = value.strip()
            elif name == "set-cookie":
                self.set_cookie = True
        if version == "HTTP/1.1":
            self.keep = connection != "close"
        else:
            self.keep = connection == "keep-alive"
        if self.chunked:
            self.length = -1
        elif self.length < 0:
            self.until_close = True
            self.keep = False

    def _chunks(self) -> None:
        buffer = self.buffer
        while True:
            line_end = buffer.find(b"\r\n", self.chunk_at)
            if line_end < 0:
                return
            size = int(bytes(buffer[self.chunk_at : line_end]).split(b";")[0], 16)
            if size == 0:
                # The last chunk, then trailers (if any) up to an empty line.
                trailers_end = buffer.find(b"\r\n\r\n", line_end)
                if buffer[line_end : line_end + 4] == b"\r\n\r\n" or trailers_end >= 0:
                    self._finish(bytes(self.body))
                return
            data_end = line_end + 2 + size
            if len(buffer) < data_end + 2:
                return
            self.body += buffer[line_end + 2 : data_end]
            self.chunk_at = data_end + 2

    def _finish(self, body: bytes) -> None:
        if not self.keep and self.connected and self.transport.can_write_eof():
            # Our FIN at once: gunicorn's sync worker waits for it (util.close_graceful) before it accepts the
            # next connection, and the transport's own close would send it only a loop iteration or two later.
            self.transport.write_eof()
        waiter = self.waiter
        if not waiter.done():
            waiter.set_result((self.status, self.location, body))


class LeanPool:
    """Keep-alive HTTP/1.1 connections to one server, shared by every user, as aiohttp's connector is.

    Like `new_connector()`: no limit (a request finding no idle connection opens one, so it never waits
    behind another request), idle connections taken oldest first and dropped once idle for longer than
    `keepalive` seconds, a connection the server closes (sync workers: every answer) never reused.
    `timeout`: seconds for the whole exchange, connecting included (aiohttp's ClientTimeout(total=30)).
    """

    def __init__(
        self, base_url: str, *, keepalive: float = KEEPALIVE_SECONDS, timeout: float = REQUEST_TIMEOUT_SECONDS
    ):
        address = base_url.split("://", 1)[1].split("/", 1)[0]
        self.host, _, port = address.rpartition(":")
        self.port = int(port) if port else 80
        self.host_header = address if self.port != 80 else self.host
        self.keepalive = keepalive
        self.timeout = timeout
        self.idle: deque[tuple[_LeanConnection, float]] = deque()
        self.busy: set[_LeanConnection] = set()
        self.opened = 0  # connections opened so far (keep-alive reuse, for the tests and the reading)
        # Answers that set a cookie: aiohttp's jar would send it from then on, the lean client does not (the
        # rows' endpoints set none; the scenarios say so if one ever does).
        self.set_cookies = 0

    async def _connection(self) -> _LeanConnection:
        now = time.monotonic()
        while self.idle:
            connection, since = self.idle.popleft()
            if connection.connected and now - since <= self.keepalive:
                return connection
            connection.transport.close()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(_LeanConnection, self.host, self.port)
        except OSError as exc:
            raise LeanError("ClientConnectorError", str(exc)) from exc
        self.opened += 1
        return connection

    async def exchange(self, wire: bytes) -> tuple[int, str, bytes]:
        """(status, Location, body) of one request; LeanError or TimeoutError when there is no answer."""
        connection = None
        try:
            async with asyncio.timeout(self.timeout):
                connection = await self._connection()
                self.busy.add(connection)
                answer = await connection.send(wire)
        except BaseException:
            if connection is not None:
                self.busy.discard(connection)
                connection.connected = False
                connection.transport.abort()
            raise
        self.busy.discard(connection)
        if connection.set_cookie:
            self.set_cookies += 1
        if connection.keep and connection.connected:
            connection.waiter = None
            self.idle.append((connection, time.monotonic()))
        else:
            connection.connected = False
            connection.transport.close()
        return answer

    async def close(self) -> None:
        for connection, _ in self.idle:
            connection.transport.close()
        for connection in self.busy:
            connection.transport.abort()
        self.idle.clear()
        self.busy.clear()
        await asyncio.sleep(0)  # let the transports' close callbacks run


async def send(user: VirtualUser, request: Request, recorder: Recorder, *, due: float | None = None) -> Sample:
    """One request, recorded. `due`: the open loop's moment for it (monotonic clock); the latency then runs
    from it, and how late the send started is the sample's lag."""
    started = time.monotonic()
    origin = started if due is None else min(due, started)  # the loop may wake a timer a hair early
    sender = request.via or user
    if sender.lean is not None:
        status, error, location, raw = await _exchange_lean(sender, request)
    else:
        status, error, location, raw = await _exchange_aiohttp(sender, request)
    latency = time.monotonic() - origin
    body = raw.decode("utf-8", "replace") if request.wants_body and not error else ""
    ok = not error and request.is_ok(status)
    sample = Sample(request.name, started, latency, status, ok, error, started - origin)
    recorder.add(sample)
    if request.after is not None:
        request.after(status, location, body)
    return sample


async def _exchange_lean(sender: VirtualUser, request: Request) -> tuple[int, str, str, bytes]:
    """(status, error, Location, body) through the lean client; the error is "" or what went wrong."""
    try:
        status, location, raw = await sender.lean.exchange(lean_wire(sender, request))
    except TimeoutError:
        return 0, "timeout", "", b""
    except LeanError as exc:
        return 0, exc.kind, "", b""
    return status, "", location, raw


async def _exchange_aiohttp(sender: VirtualUser, request: Request) -> tuple[int, str, str, bytes]:
    """(status, error, Location, body) through aiohttp; the error is "" or what went wrong."""
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
            return response.status, "", response.headers.get("Location", ""), raw
    except TimeoutError:
        return 0, "timeout", "", b""
    except aiohttp.ClientError as exc:
        return 0, type(exc).__name__, "", b""


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


def build_wires(schedule: list[tuple[float, VirtualUser, Request]]) -> None:
    """Build the lean client's bytes of every request of a schedule (kept on each request; aiohttp's are left)."""
    for _, user, request in schedule:
        sender = request.via or user
        if sender.lean is not None:
            lean_wire(sender, request)


async def open_loop(schedule: list[tuple[float, VirtualUser, Request]], recorder: Recorder) -> tuple[float, float]:
    """Send each request at its offset (seconds from now), whether or not earlier ones have returned.

    Latency runs from each request's due time, and how late its send started is recorded (Sample.lag): on two
    cores shared with the server the loop can fall behind, and measuring from the send would leave that wait
    out. One dispatcher sleeps until each request is due and starts its send then, so the schedule holds one timer
    at a time instead of a sleeping task per request (thousands at a rate step's start, all created inside
    the step's clock).
    """
    build_wires(schedule)  # the lean client's bytes: built before the clock starts (if not already)
    loop = asyncio.get_running_loop()
    sends = []
    start = time.monotonic()
    for offset, user, request in sorted(schedule, key=lambda entry: entry[0]):
        due = start + offset
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sends.append(loop.create_task(send(user, request, recorder, due=due)))
    await asyncio.gather(*sends)
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
