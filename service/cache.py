"""Django's Redis cache, with one connection pool and one client per Redis server per process.

Django builds a new ``redis.Redis`` object for every cache call (a cost that shows in every
throttled request: docs/operations.md, "Submit latency"), and keeps its connection pools on the
cache object — which is per thread, and under ASGI every request runs in a thread of its own,
so every request opened new Redis connections. Pools and clients are thread-safe, so one of
each per server and process is enough.

A Redis that cannot be reached must not fail the request (the job ledger is in the database):
the cache then degrades to this process's memory — throttles count per web process, the live
progress gate admits per process — for ``DEGRADED_S`` before Redis is tried again, and a warning
is logged once per outage (docs/operations.md, "Faults").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEGRADED_S = 2.0  # after a failed call, Redis is left alone this long (one timeout per outage)

_POOLS: dict[str, Any] = {}
_CLIENTS: dict[int, Any] = {}
_LOCK = threading.Lock()
# per server, for every cache object of the process (Django makes one per thread): when Redis
# is next tried, and whether the outage was reported
_DOWN_UNTIL: dict[str, float] = {}
_REPORTED: set[str] = set()


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
    """`RedisCache` with `_ReusingClient`, a one-round-trip window counter, and this process's
    memory in its place while Redis cannot be reached."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient
        self._local = LocMemCache(f"jost-degraded-{server}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._server = str(server)

    def _either(self, call: Callable[[Any], Any]) -> Any:
        """``call(cache)`` on Redis, or on the local memory while Redis is down."""
        if time.monotonic() >= _DOWN_UNTIL.get(self._server, 0.0):
            try:
                value = call(super())
            except RedisError as exc:
                _DOWN_UNTIL[self._server] = time.monotonic() + DEGRADED_S
                if self._server not in _REPORTED:
                    _REPORTED.add(self._server)
                    logger.warning(
                        "cache: Redis unreachable (%s: %s); counting in this process's memory",
                        type(exc).__name__,
                        exc,
                    )
            else:
                if self._server in _REPORTED:
                    _REPORTED.discard(self._server)
                    logger.warning("cache: Redis reachable again")
                return value
        return call(self._local)

    def add(self, key: Any, value: Any, timeout: Any = 300, version: Any = None) -> bool:
        return self._either(lambda c: c.add(key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._either(lambda c: c.get(key, default, version))

    def set(self, key: Any, value: Any, timeout: Any = 300, version: Any = None) -> None:
        self._either(lambda c: c.set(key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = 300, version: Any = None) -> bool:
        return self._either(lambda c: c.touch(key, timeout, version))

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._either(lambda c: c.delete(key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._either(lambda c: c.incr(key, delta, version))

    def get_many(self, keys: Any, version: Any = None) -> dict[str, Any]:
        return self._either(lambda c: c.get_many(keys, version))

    def set_many(self, data: Any, timeout: Any = 300, version: Any = None) -> list[Any]:
        return self._either(lambda c: c.set_many(data, timeout, version))

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._either(lambda c: c.delete_many(keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._either(lambda c: c.has_key(key, version))

    def clear(self) -> None:
        self._local.clear()
        self._either(lambda c: c.clear())

    def count(self, key: str, timeout: int) -> int:
        """Add one to a counter that expires ``timeout`` s after its first count; the new value.

        ``INCR`` and ``EXPIRE … NX`` in one pipeline: one round trip where ``add`` then ``incr``
        took two, and no gap between them for the key to expire in. While Redis is down: the
        same count in this process's memory.
        """
        return self._either(
            lambda c: (
                self._count_here(key, timeout)
                if c is self._local
                else self._count_on_redis(key, timeout)
            )
        )

    def _count_on_redis(self, key: str, timeout: int) -> int:
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, timeout, nx=True)
        return int(pipe.execute()[0])

    def _count_here(self, key: str, timeout: int) -> int:
        if self._local.add(key, 1, timeout):
            return 1
        try:
            return self._local.incr(key)
        except ValueError:  # expired between add and incr: a new window
            self._local.add(key, 1, timeout)
            return 1
