"""Helpers for tests that prove behaviour under real concurrency (PostgreSQL).

Each call runs in its own thread with its own database connection; a barrier
releases them together so they are inside the code under test at the same
moment.
"""

import threading

import pytest
from django.db import connection, connections


@pytest.fixture
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (runs in CI's PostgreSQL pass)")


def run_together(*calls, timeout: float = 60):
    """Run the calls in parallel threads, started together; return their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


def wait_until(condition, timeout: float, interval: float = 0.2) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass (work done by another process)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
