"""The guard on every login (API token, workbench, admin): attempts counted per account and
per client address, refused cheaply once either is over its limit, and few password checks at a
time.

A password check costs ~0.4 s of CPU on purpose (PBKDF2), so an attacker guessing passwords
also starves the API. Each attempt is counted *before* the password is checked (one atomic
cache increment per key, so concurrent guesses cannot slip past the limit), a successful login
gives its address its attempt back and clears its account's count, and a refused attempt costs
no hash at all. Limits: ``JOST_LOGIN_FAILURES_PER_ACCOUNT`` and
``JOST_LOGIN_FAILURES_PER_ADDRESS`` within ``JOST_LOGIN_WINDOW_S`` seconds; at most
``JOST_LOGIN_CONCURRENCY`` password checks run at once in a web process (others wait up to
``JOST_LOGIN_WAIT_S``, then get 429). An account under attack is locked for the window: its
holders' existing tokens keep working.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches

from service.accounts.addresses import client_address

T = TypeVar("T")
_CHECKS: dict[int, threading.BoundedSemaphore] = {}
_CHECKS_LOCK = threading.Lock()


class LoginRefused(Exception):
    """Too many attempts (or too many password checks at once): try again after ``retry_after``."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def _cache() -> Any:
    return caches[settings.JOST_THROTTLE_CACHE]


def _window() -> tuple[int, float]:
    span = settings.JOST_LOGIN_WINDOW_S
    window = int(time.time() // span)
    return window, (window + 1) * span - time.time()


def _key(kind: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
    return f"login:{kind}:{digest[:32]}:w{window}"


def _count(key: str, ttl: float) -> int:
    cache = _cache()
    if hasattr(cache, "count"):  # one atomic round trip (Redis, the embedded tally)
        return int(cache.count(key, int(ttl) + 1))
    if cache.add(key, 1, int(ttl) + 1):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:
        cache.add(key, 1, int(ttl) + 1)
        return 1


def _give_back(key: str) -> None:
    with suppress(ValueError):
        _cache().decr(key)


def _semaphore() -> threading.BoundedSemaphore:
    size = settings.JOST_LOGIN_CONCURRENCY
    with _CHECKS_LOCK:
        if size not in _CHECKS:
            _CHECKS[size] = threading.BoundedSemaphore(size)
        return _CHECKS[size]


@contextmanager
def _one_check_at_a_time() -> Iterator[None]:
    gate = _semaphore()
    if not gate.acquire(timeout=settings.JOST_LOGIN_WAIT_S):
        raise LoginRefused("too many logins at once: try again in a moment", 1)
    try:
        yield
    finally:
        gate.release()


def guarded_login(request: Any, username: str, check: Callable[[], T | None]) -> T | None:
    """Run ``check`` (the password check; None when it fails) unless this account or address
    has used up its attempts; raises LoginRefused (before any hashing) when it has."""
    window, left = _window()
    account_key = _key("account", username or "", window)
    address_key = _key("address", client_address(request), window)
    retry = max(1, math.ceil(left))
    over_account = _count(account_key, left) > settings.JOST_LOGIN_FAILURES_PER_ACCOUNT
    over_address = _count(address_key, left) > settings.JOST_LOGIN_FAILURES_PER_ADDRESS
    if over_account or over_address:
        which = "this account" if over_account else "this address"
        raise LoginRefused(f"too many login attempts for {which}: try again in {retry} s", retry)
    with _one_check_at_a_time():
        found = check()
    if found is not None:
        _cache().delete(account_key)
        _give_back(address_key)
    return found
