"""Concurrent use of the request limiter, shared by its tests on the local cache and on Redis."""

import threading

from shixun.config.ratelimit import hit


def allowed_in_a_burst(setting_name: str, key: str, *, threads: int = 8, each: int = 25) -> int:
    """How many of `threads` × `each` hits on one key, sent from threads at once, the limiter let through."""
    allowed = []
    lock = threading.Lock()

    def burst():
        for _ in range(each):
            if hit(setting_name, key) is None:
                with lock:
                    allowed.append(1)

    workers = [threading.Thread(target=burst) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(allowed)
