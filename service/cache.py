"""Django's Redis cache, with one connection pool and one client per Redis server per process.

Django builds a new ``redis.Redis`` object for every cache call (about half a millisecond of
Python), and keeps its connection pools on the cache object — which is per thread, and under
ASGI every request runs in a thread of its own, so every request opened new Redis connections.
Pools and clients are thread-safe, so one of each per server and process is enough.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_POOLS: dict[str, Any] = {}
_CLIENTS: dict[int, Any] = {}
_LOCK = threading.Lock()


class _ReusingClient(RedisCacheClient):
    def _get_connection_pool(self, write: bool) -> Any:
        url = self._servers[self._get_connection_pool_index(write)]
        pool = _POOLS.get(url)
        if pool is None:
            with _LOCK:
                pool = _POOLS.get(url)
                if pool is None:
                    pool = _POOLS[url] = self._pool_class.from_url(url, **self._pool_options)
        return pool

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = _CLIENTS.get(id(pool))
        if client is None:
            client = _CLIENTS.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class ReusingRedisCache(RedisCache):
    """`RedisCache` with `_ReusingClient`, and a one-round-trip window counter."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

    def count(self, key: str, timeout: int) -> int:
        """Add one to a counter that expires ``timeout`` s after its first count; the new value.

        ``INCR`` and ``EXPIRE … NX`` in one pipeline: one round trip where ``add`` then ``incr``
        took two, and no gap between them for the key to expire in.
        """
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        return int(pipe.execute()[0])
