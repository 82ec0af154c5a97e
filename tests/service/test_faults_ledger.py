"""The fault rules called directly: whose turn it is to reap, a late reaper in /readyz, the
backstop for a broker that cannot be listed, the Redis cache degrading to this process's memory,
and fault clocks that make no sense refused at start. (The same faults on a live stack:
test_faults.py.)"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from service.cache import ReusingRedisCache
from service.simulator import reaper_turns, services
from service.simulator.models import JobStatus, ReaperRun
from tests.service.conftest import ORIGINAL_ENV, ROOT
from tests.service.live import free_port

pytestmark = pytest.mark.django_db

SMALL = {"simulation": {"rounds": 10_000, "seed": 3}}


def _reap_counting(calls: list[int]):
    def reap() -> dict[str, int]:
        calls.append(1)
        return {"requeued": 0}

    return reap


def test_one_reap_per_interval_however_many_workers_ask(settings):
    calls: list[int] = []
    reap = _reap_counting(calls)
    assert reaper_turns.take_turn(reap) == {"requeued": 0}
    assert reaper_turns.take_turn(reap) is None  # another worker asks within the interval
    assert calls == [1]
    assert reaper_turns.last_finished() is not None
    due = timezone.now() - timedelta(seconds=settings.JOST_REAPER_INTERVAL_S)
    ReaperRun.objects.update(started_at=due)
    assert reaper_turns.take_turn(reap) == {"requeued": 0}
    assert calls == [1, 1]


def test_a_worker_reaping_holds_the_lock_against_the_others(needs_postgres):
    params = connection.settings_dict
    other = psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        host=params["HOST"],
        port=params["PORT"] or 5432,
        autocommit=True,
    )
    calls: list[int] = []
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [reaper_turns.LOCK_KEY])
        assert reaper_turns.take_turn(_reap_counting(calls)) is None
        other.execute("SELECT pg_advisory_unlock(%s)", [reaper_turns.LOCK_KEY])
        assert reaper_turns.take_turn(_reap_counting(calls)) == {"requeued": 0}
    finally:
        other.close()
    assert calls == [1]


def test_readiness_reports_a_reaper_that_stopped(settings):
    client = APIClient()
    assert client.get("/readyz").json()["checks"]["reaper"] == "ok"  # never ran: no worker yet
    long_ago = timezone.now() - timedelta(seconds=settings.JOST_REAPER_LATE_S + 5)
    ReaperRun.objects.create(name=reaper_turns.NAME, started_at=long_ago, finished_at=long_ago)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert [p["path"] for p in body["problems"]] == ["reaper"]
    assert "no worker has reaped for" in body["checks"]["reaper"]
    ReaperRun.objects.update(finished_at=timezone.now())
    assert client.get("/readyz").status_code == 200


def test_a_broker_that_cannot_be_listed_gets_pending_jobs_sent_again_after_the_backstop(
    user, settings
):
    """The in-process broker (memory://) cannot be listed: a job sent long ago may still be on
    it, so it is sent again only after JOST_PENDING_BACKSTOP_S."""
    job, _ = services.job_submit(owner=user, data=SMALL)
    sent_at = job.queued_at
    soon = timezone.now() + timedelta(seconds=settings.JOST_PENDING_REDISPATCH_S + 1)
    assert services.jobs_reap(now=soon)["redispatched"] == 0
    later = timezone.now() + timedelta(seconds=settings.JOST_PENDING_BACKSTOP_S + 1)
    assert services.jobs_reap(now=later)["redispatched"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.queued_at == later != sent_at


def _dead_redis_cache() -> ReusingRedisCache:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    return ReusingRedisCache(url, {"OPTIONS": {"socket_connect_timeout": 0.5}})


def test_the_cache_counts_in_this_process_while_redis_is_down(caplog):
    cache = _dead_redis_cache()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="service.cache"):
        assert [cache.count("window", 60) for _ in range(3)] == [1, 2, 3]
        assert cache.add("key", "value", 60) and cache.get("key") == "value"
    assert time.monotonic() - started < 2  # one refused connection, then memory for a while
    assert len([r for r in caplog.records if "unreachable" in r.message]) == 1


def test_the_api_answers_while_the_throttles_cache_is_down(api, settings):
    dead = {
        "BACKEND": "service.cache.ReusingRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5},
    }
    settings.CACHES = {"default": dead, "throttle": dead}
    assert api.get("/api/jobs/").status_code == 200
    assert api.get("/api/defaults/").status_code == 200
    assert api.post("/api/submit/", SMALL, format="json").status_code == 202


def test_fault_clocks_that_make_no_sense_stop_the_service_at_start(tmp_path):
    env = {
        k: v
        for k, v in ORIGINAL_ENV.items()
        if not k.startswith("JOST_") and k not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        JOST_DATA_DIR=str(tmp_path),
        JOST_HEARTBEAT_S="5",
        JOST_STALE_AFTER_S="10",
        JOST_REAPER_INTERVAL_S="0",
    )
    done = subprocess.run(
        [sys.executable, "-c", "import service.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "JOST_REAPER_INTERVAL_S must be more than 0, got 0" in done.stderr
    assert "JOST_STALE_AFTER_S (10) must be at least 3 x JOST_HEARTBEAT_S (5)" in done.stderr
