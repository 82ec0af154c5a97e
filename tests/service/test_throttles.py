"""The fixed-window throttles on real Redis: one exact count shared by every web process."""

from __future__ import annotations

import uuid

from service.cache import ReusingRedisCache
from tests.service.conftest import REDIS_URL, redis_problem, require


class _User:
    is_authenticated = True

    def __init__(self, pk: str) -> None:
        self.pk = pk


class _Request:
    def __init__(self, user: _User) -> None:
        self.user = user
        self.META = {"REMOTE_ADDR": "127.0.0.1"}


def _throttle(cache: ReusingRedisCache, rate: str):
    from service.api.throttles import UserRateThrottle

    class Throttle(UserRateThrottle):
        pass

    Throttle.cache = cache
    throttle = Throttle()
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    return throttle


def test_two_processes_share_one_exact_count_on_redis():
    require(redis_problem())
    # two cache objects with their own clients stand for two web processes
    first = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": f"t{uuid.uuid4().hex}"})
    second = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": first.key_prefix})
    user = _User(uuid.uuid4().hex)
    allowed = []
    for i in range(12):
        throttle = _throttle(first if i % 2 else second, "10/hour")
        allowed.append(throttle.allow_request(_Request(user), view=None))
    assert allowed == [True] * 10 + [False] * 2
    assert 0 < throttle.wait() <= 3600
    other = _throttle(first, "10/hour")  # another user has a count of their own
    assert other.allow_request(_Request(_User(uuid.uuid4().hex)), view=None)


def test_a_throttle_without_a_rate_allows_everything():
    require(redis_problem())
    cache = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": f"t{uuid.uuid4().hex}"})
    throttle = _throttle(cache, None)
    assert all(throttle.allow_request(_Request(_User("u")), view=None) for _ in range(50))


def test_the_window_counter_counts_in_one_key_that_expires_with_its_window():
    require(redis_problem())
    import redis

    cache = ReusingRedisCache(REDIS_URL, {"KEY_PREFIX": f"t{uuid.uuid4().hex}"})
    assert [cache.count("w", 30) for _ in range(3)] == [1, 2, 3]
    raw = redis.Redis.from_url(REDIS_URL)
    key = cache.make_key("w")
    ttl = raw.ttl(key)
    assert 0 < ttl <= 30
    raw.expire(key, 5)  # a later count must not push the window's end back out
    cache.count("w", 30)
    assert 0 < raw.ttl(key) <= 5
    assert cache.get("w") == 4  # the same value Django's cache API reads
