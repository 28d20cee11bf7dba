"""The Redis cache backend (shixun.config.cache) and the rate limit's counter on a real Redis.

Uses SHIXUN_TEST_REDIS_URL when set, else starts a throw-away redis-server (no persistence) on a free
loopback port; skipped when neither is available.
"""

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest
from django.core.cache import cache, caches

from shixun.config.cache import RedisCache
from shixun.config.ratelimit import hit
from tests.platform_checks.bursts import allowed_in_a_burst


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    if os.environ.get("SHIXUN_TEST_REDIS_URL"):
        yield os.environ["SHIXUN_TEST_REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs Redis: set SHIXUN_TEST_REDIS_URL or install redis-server")
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - the test's own server on loopback
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.skip("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def redis_cache(settings, redis_url):
    settings.CACHES = {
        "default": {"BACKEND": "shixun.config.cache.RedisCache", "LOCATION": redis_url,
                    "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"}
    }
    settings.SHIXUN_RATE_LIMITS_ENABLED = True
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    yield backend
    backend.clear()


def _calls(client, command: str) -> int:
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


def test_the_backend_keeps_one_client_and_behaves_as_djangos(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=False) is client  # one server: one pool, one client
    cache.set("a", {"学时": 2}, timeout=30)
    assert cache.get("a") == {"学时": 2}
    assert cache.add("a", 1) is False and cache.add("n", 1) is True
    assert cache.incr("n", 4) == 5
    with pytest.raises(ValueError):
        cache.incr("missing")
    cache.delete("a")
    assert cache.get("a") is None

    def bump():
        for _ in range(50):
            cache.incr("n")

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.get("n") == 205  # one client shared by threads: every increment counted


def test_the_rate_limit_counts_in_one_round_trip_and_expires_with_its_window(redis_cache, settings):
    settings.SHIXUN_RATE_LIMIT_HEARTBEAT = "3/m"
    client = redis_cache._cache.get_client(write=True)
    before = {command: _calls(client, command) for command in ("set", "incrby", "exists")}
    assert [hit("SHIXUN_RATE_LIMIT_HEARTBEAT", "user:1") for _ in range(3)] == [None, None, None]
    retry_after = hit("SHIXUN_RATE_LIMIT_HEARTBEAT", "user:1")
    assert 1 <= retry_after <= 60
    assert hit("SHIXUN_RATE_LIMIT_HEARTBEAT", "user:2") is None
    after = {command: _calls(client, command) for command in ("set", "incrby", "exists")}
    # Five hits: SET NX EX and INCR each, pipelined; Django's add() + incr() would also ask EXISTS.
    assert after["set"] - before["set"] == 5 and after["incrby"] - before["incrby"] == 5
    assert after["exists"] == before["exists"]
    keys = client.keys("*shixun-rl:SHIXUN_RATE_LIMIT_HEARTBEAT*")
    assert len(keys) == 2 and all(0 < client.ttl(key) <= 65 for key in keys)


def test_concurrent_requests_never_slip_past_the_limit_on_redis(redis_cache, settings):
    settings.SHIXUN_RATE_LIMIT_XAPI = "100/h"
    assert allowed_in_a_burst("SHIXUN_RATE_LIMIT_XAPI", "user:7") == 100
