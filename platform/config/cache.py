"""Django's Redis cache, keeping one redis-py client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every operation, and
redis-py builds its table of ~170 response callbacks in each: ~0.06 ms of CPU
per cache call, twice on every signed-in request (the session, the rate
limit) — a tenth of what a study-time heartbeat may cost (issue #18). A
redis-py client is thread-safe and takes a connection from its pool for each
command, so one per pool serves every thread and request of the process;
after a fork the pool notices the new process and opens its own connections.
Everything else is Django's backend unchanged.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    """`CACHES["default"]["BACKEND"] = "shixun.config.cache.RedisCache"` (settings/base.py with REDIS_URL)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
