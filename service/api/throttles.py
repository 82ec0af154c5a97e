"""Request-rate limits that cost one atomic cache increment a request.

DRF's stock throttles keep a list of every request time per user in the cache and rewrite the
whole list on each request: at a service's rates that is a read and a write of hundreds of
timestamps per request, and two processes can overwrite each other's list. These count requests
per fixed window instead (one pipelined ``INCR`` + ``EXPIRE NX`` on Redis, ``add`` then ``incr``
in the embedded stack's SQLite tally, service.tally; atomic in both), so every web process
shares one exact count. A burst at a window's edge can reach twice the rate for a moment; that
is the usual trade of fixed windows, and fine for abuse protection. Anonymous requests are
counted per real client address (service.accounts.addresses: ``X-Forwarded-For`` only from
``JOST_TRUSTED_PROXIES``), never per an address the client writes itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling

from service.accounts.addresses import client_address


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """`SimpleRateThrottle` with a per-window counter in place of the request history."""

    @property  # type: ignore[override]
    def cache(self) -> Any:
        return caches[settings.JOST_THROTTLE_CACHE]

    def get_ident(self, request: Any) -> str:
        return client_address(request)

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{self.key}:w{window}"
        count = 1
        if hasattr(self.cache, "count"):  # Redis: one round trip (service.cache)
            count = self.cache.count(key, self.duration + 1)
        elif not self.cache.add(key, 1, self.duration + 1):
            try:
                count = self.cache.incr(key)
            except ValueError:  # the window's key expired between add and incr: start again
                self.cache.add(key, 1, self.duration + 1)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(0.0, self.window_end - self.now)


class AnonRateThrottle(throttling.AnonRateThrottle, WindowRateThrottle):
    """Anonymous requests, per client address."""


class UserRateThrottle(throttling.UserRateThrottle, WindowRateThrottle):
    """Authenticated requests, per user."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, WindowRateThrottle):
    """Requests to views with a ``throttle_scope`` (submits), per user and scope."""
