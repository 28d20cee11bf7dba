"""bench.loadgen.LeanPool: the lean HTTP/1.1 client of the heartbeat and xAPI rate steps (issue 18).

Against small servers on loopback (asyncio streams: they answer exactly the bytes a test chooses), and
beside aiohttp where the point is that both clients behave alike: the same bytes on the wire (the server's
work per request must not change with the client), the same open-loop latency and the same error counts.
"""

from __future__ import annotations

import asyncio
import functools
import time

import pytest

pytest.importorskip("aiohttp")
uvloop = pytest.importorskip("uvloop")

from bench import loadgen  # noqa: E402
from bench.loadgen import Recorder, Request, VirtualUser  # noqa: E402
from tests.bench.test_rate_steps import run_in_own_thread  # noqa: E402


class Server:
    """A loopback HTTP server: `answer(number, request head, body) -> bytes | None` decides each reply (None:
    close without answering); `delay(number)` seconds before it. Records each request's bytes."""

    def __init__(self, answer, delay=lambda number: 0.0):
        self.answer = answer
        self.delay = delay
        self.requests: list[bytes] = []
        self.connections = 0
        self.writers = []

    async def handle(self, reader, writer):
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                number = len(self.requests)
                self.requests.append(head + body)
                if self.delay(number):
                    await asyncio.sleep(self.delay(number))
                reply = self.answer(number, head, body)
                if reply is None:
                    return
                for part in reply if isinstance(reply, list) else [reply]:
                    writer.write(part)
                    await writer.drain()
                    await asyncio.sleep(0.01)  # the parts arrive in separate reads
                if b"connection: close" in reply_head(reply).lower() or b"HTTP/1.0" in reply_head(reply)[:8]:
                    return
        finally:
            writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self):
        self.server.close()
        for writer in self.writers:  # the handlers end on their own before the loop does
            writer.close()
        await asyncio.sleep(0.05)


def reply_head(reply) -> bytes:
    whole = b"".join(reply) if isinstance(reply, list) else reply
    return whole.split(b"\r\n\r\n", 1)[0]


def ok(body: bytes = b'{"ok": true}', *, close=False, status=b"200 OK") -> bytes:
    head = b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
    if close:
        head += b"Connection: close\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


# The lean client runs on uvloop in the rate steps (loadgen.run_rate_client) and on asyncio's loop with
# SHIXUN_BENCH_RATE_LOOP=asyncio: the tests that pin its behaviour run on both.
LOOPS = pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
RUNNERS = {"asyncio": asyncio.run, "uvloop": uvloop.run}


def on_lean(server: Server, body, *, users=1, loop="asyncio", **pool_args):
    """`body(users, pool)` with `users` learners on a LeanPool to the server, on `loop`; returns its result."""

    async def main():
        base = await server.start()
        pool = loadgen.LeanPool(base, **pool_args)
        try:
            people = [
                loadgen.open_lean_user(pool, VirtualUser(session_key=f"s{n}", csrf=f"c{n}")) for n in range(users)
            ]
            return await body(people, pool)
        finally:
            await pool.close()
            await server.stop()

    return run_in_own_thread(main(), RUNNERS[loop])


def on_aiohttp(server: Server, body, *, users=1):
    async def main():
        base = await server.start()
        connector = loadgen.new_connector()
        people = [
            await loadgen.open_user(base, VirtualUser(session_key=f"s{n}", csrf=f"c{n}"), connector)
            for n in range(users)
        ]
        try:
            return await body(people, connector)
        finally:
            await loadgen.close_users(people)
            await connector.close()
            await server.stop()

    return run_in_own_thread(main())


def beat(**kwargs) -> Request:
    return Request("beat", "POST", "/study/beat/?m=7", json={"start": False, "note": "学习"}, **kwargs)


@LOOPS
def test_the_lean_client_sends_the_bytes_aiohttp_sends(loop):
    """Heartbeat-like POST with session, CSRF cookie and header; the one-query GET of the baseline's users
    (their owner's cookies, no CSRF header). The server cannot tell the clients apart."""

    async def both(users, _):
        recorder = Recorder()
        await loadgen.send(users[0], beat(), recorder)
        anonymous = VirtualUser(http=users[0].http, lean=users[0].lean, cookie=users[0].cookie)
        await loadgen.send(anonymous, Request("one-query", "GET", "/bench/one-query/"), recorder)
        return recorder

    sent = {}
    for name, run in (("aiohttp", on_aiohttp), ("lean", functools.partial(on_lean, loop=loop))):
        server = Server(lambda number, head, body: ok())
        recorder = run(server, both)
        assert [s.status for s in recorder.samples] == [200, 200]
        assert all(r.split(b"\r\n")[1].startswith(b"Host: 127.0.0.1:") for r in server.requests)
        # The port differs between the two servers: compared without the Host line.
        sent[name] = [b"".join(r.split(b"\r\n", 2)[::2]) for r in server.requests]
    assert sent["lean"] == sent["aiohttp"]
    post, get = sent["lean"]
    assert b"X-CSRFToken: c0\r\n" in post and b"Cookie: csrftoken=c0; sessionid=s0\r\n" in post
    assert post.endswith(b'\r\n\r\n{"start": false, "note": "\\u5b66\\u4e60"}')
    assert b"X-CSRFToken" not in get and b"Cookie: csrftoken=c0; sessionid=s0\r\n" in get


@LOOPS
def test_status_body_and_keep_alive_reuse(loop):
    bodies = [b"x" * 10, b"y" * 5000, b"", b"z"]
    statuses = [b"200 OK", b"200 OK", b"404 Not Found", b"200 OK"]
    server = Server(lambda number, head, body: ok(bodies[number], status=statuses[number]))

    async def body(users, pool):
        recorder = Recorder()
        answers = []
        for n in range(4):
            request = Request("r", "GET", f"/r{n}/", wants_body=True,
                              after=lambda status, location, text: answers.append((status, len(text))))
            await loadgen.send(users[0], request, recorder)
        return recorder, answers, pool.opened

    recorder, answers, opened = on_lean(server, body, loop=loop)
    assert answers == [(200, 10), (200, 5000), (404, 0), (200, 1)]
    assert opened == 1 and server.connections == 1  # one connection kept for all four
    assert recorder.summary()["errors"] == 1 and recorder.summary()["error_kinds"] == {"HTTP 404": 1}


@LOOPS
def test_a_connection_the_server_closes_is_not_reused(loop):
    """gunicorn's sync workers answer with Connection: close: every request opens its own connection."""
    server = Server(lambda number, head, body: ok(close=True))

    async def body(users, pool):
        recorder = Recorder()
        for _ in range(3):
            await loadgen.send(users[0], beat(), recorder)
        return recorder, pool.opened

    recorder, opened = on_lean(server, body, loop=loop)
    assert opened == 3 and server.connections == 3
    assert recorder.summary()["errors"] == 0 and len(server.requests) == 3


def test_an_idle_connection_is_dropped_after_the_keep_alive_time():
    server = Server(lambda number, head, body: ok())

    async def body(users, pool):
        recorder = Recorder()
        await loadgen.send(users[0], beat(), recorder)
        await loadgen.send(users[0], beat(), recorder)
        await asyncio.sleep(0.3)
        await loadgen.send(users[0], beat(), recorder)
        return pool.opened

    assert on_lean(server, body, keepalive=0.2) == 2


@LOOPS
def test_chunked_and_read_until_close_answers(loop):
    chunked = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"lo\r\n7;ext=1\r\n, world\r\n",
        b"0\r\n\r\n",
    ]
    until_close = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    server = Server(lambda number, head, body: [chunked, [until_close], chunked][number])

    async def body(users, pool):
        recorder, texts = Recorder(), []
        for n in range(3):
            request = Request("r", "GET", f"/{n}/", wants_body=True, after=lambda s, loc, text: texts.append(text))
            await loadgen.send(users[0], request, recorder)
        return recorder, texts, pool.opened

    recorder, texts, opened = on_lean(server, body, loop=loop)
    assert texts == ["hello, world", "all of it", "hello, world"]
    assert recorder.summary()["errors"] == 0
    assert opened == 2  # kept after the chunked answer, not after the one read to the close


@LOOPS
def test_closed_without_an_answer_and_a_timeout_are_errors(loop):
    # 0: closed before answering; 1: closed half-way through the body; 2: answered too late.
    def answer(number, head, body):
        if number == 0:
            return None
        if number == 1:
            return [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort"]
        return ok()

    server = Server(answer, delay=lambda number: 1.0 if number == 2 else 0.0)

    async def body(users, pool):
        recorder = Recorder()
        for _ in range(3):
            await loadgen.send(users[0], beat(), recorder)
        return recorder

    recorder = on_lean(server, body, timeout=0.4, loop=loop)
    samples = recorder.samples
    assert [s.error for s in samples] == ["ServerDisconnectedError", "ClientPayloadError", "timeout"]
    assert not any(s.ok for s in samples) and [s.status for s in samples] == [0, 0, 0]
    assert 0.398 <= samples[2].latency < 0.9  # uvloop (libuv) keeps its clock and timers in whole milliseconds
    assert recorder.summary()["errors"] == 3
    # Nothing listening: a connection error, counted.
    gone = loadgen.LeanPool("http://127.0.0.1:9")
    user = loadgen.open_lean_user(gone, VirtualUser())
    sample = run_in_own_thread(loadgen.send(user, beat(), Recorder()))
    assert sample.error == "ClientConnectorError" and not sample.ok


@pytest.mark.parametrize("client", ["aiohttp", "lean"])
def test_open_loop_latency_never_waits_behind_a_slow_request(client):
    """Today's semantics (aiohttp's connector without a limit): a request finding every connection busy opens
    another, so it never queues behind an earlier one; its latency runs from the moment it was due, connecting
    included. The lean client keeps exactly that."""
    server = Server(lambda number, head, body: ok(), delay=lambda number: 0.5 if number == 1 else 0.0)

    async def body(users, _):
        recorder = Recorder()
        await loadgen.send(users[0], beat(), recorder)  # one idle kept-alive connection
        schedule = [(0.0, users[0], beat()), (0.1, users[0], beat()), (0.2, users[0], beat())]
        start, end = await loadgen.open_loop(schedule, recorder)
        return sorted(recorder.samples[1:], key=lambda s: s.started), start, end

    samples, start, end = (on_lean if client == "lean" else on_aiohttp)(server, body)
    slow, second, third = samples
    assert slow.latency >= 0.5
    assert second.latency < 0.3 and third.latency < 0.3  # not behind the slow one
    assert 0.08 <= second.started - start <= 0.2 and 0.18 <= third.started - start <= 0.3
    assert server.connections == 2  # the slow one's connection, and one more for the two others


class RecordingTransport:
    """What the connection asks of its transport, in order."""

    def __init__(self):
        self.calls = []

    def write(self, data):
        self.calls.append("write")

    def can_write_eof(self):
        return True

    def write_eof(self):
        self.calls.append("write_eof")


@pytest.mark.parametrize(
    ("answer", "calls"),
    [(ok(close=True), ["write", "write_eof"]), (ok(), ["write"])],
    ids=["connection-close", "keep-alive"],
)
def test_the_client_sends_its_fin_as_soon_as_a_closing_answer_is_complete(answer, calls):
    """gunicorn's sync worker half-closes after its answer and waits for our FIN (util.close_graceful) before it
    accepts another connection: the FIN leaves as the answer's last byte is parsed, before the caller resumes;
    a kept-alive answer leaves the connection open."""

    async def exchange():
        connection = loadgen._LeanConnection()
        transport = RecordingTransport()
        connection.connection_made(transport)
        waiter = connection.send(b"POST / HTTP/1.1\r\n\r\n")
        connection.data_received(answer[:20])
        assert transport.calls == ["write"]  # the answer is not complete yet
        connection.data_received(answer[20:])
        return list(transport.calls), waiter.done(), waiter.result()[0]

    assert run_in_own_thread(exchange()) == (calls, True, 200)


@pytest.mark.parametrize("client", ["aiohttp", "lean"])
def test_open_loop_latency_runs_from_the_due_time_and_records_the_lag(client):
    """A loop held up (here: a callback sleeping 0.3 s without yielding) starts the next send late: the latency
    runs from the moment the request was due (the wait is not hidden: no coordinated omission), and how late
    the send started is recorded as its lag."""
    server = Server(lambda number, head, body: ok())

    async def body(users, _):
        recorder = Recorder()
        hold_up = beat(after=lambda status, location, text: time.sleep(0.3))
        schedule = [(0.2, users[0], beat()), (0.0, users[0], hold_up)]  # given out of order: sent by offset
        start, _ = await loadgen.open_loop(schedule, recorder)
        return sorted(recorder.samples, key=lambda s: s.started), start, recorder.summary()

    (first, late), start, summary = (on_lean if client == "lean" else on_aiohttp)(server, body)
    # Due at 0.2 s, sent once the loop was free again, 0.3 s or more after the start.
    assert late.started - start >= 0.3 and late.lag >= 0.099
    assert late.latency >= late.lag and first.latency >= first.lag
    assert late.started - late.lag == pytest.approx(start + 0.2)
    assert summary["lag_max_ms"] == round(late.lag * 1000, 1)
    assert summary["max_ms"] == round(late.latency * 1000, 1)
    # The rate's span ends with the last answer, which came at its due time plus its latency.
    assert summary["rps"] == round(2 / (late.started - late.lag + late.latency - first.started), 1)


@pytest.mark.parametrize(
    ("client", "loop", "expected"),
    [("lean", "uvloop", "uvloop"), ("lean", "asyncio", "asyncio"), ("aiohttp", "uvloop", "asyncio")],
)
def test_the_rate_steps_run_the_lean_client_on_uvloop_and_aiohttp_on_asyncio(monkeypatch, client, loop, expected):
    monkeypatch.setattr(loadgen, "RATE_CLIENT", client)
    monkeypatch.setattr(loadgen, "RATE_LOOP", loop)

    async def which():
        return type(asyncio.get_running_loop()).__module__.split(".")[0]

    assert run_in_own_thread(which(), loadgen.run_rate_client) == expected
