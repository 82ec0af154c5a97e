"""Faults against a real service: no accepted job is stranded, none runs twice, the API stays up.

One stack — Gunicorn, two solo-pool Celery workers WITHOUT beat (every worker reaps on its own
timer), PostgreSQL, and a Redis of this test's own (broker, cache and channel layer; killed and
restarted empty, never the machine's) — with short fault clocks set through the environment:
heartbeat 0.5 s, stale after 4 s, a reaper turn every 1 s, a PENDING job whose message the
broker does not hold re-sent after 2 s. What each test measures is printed (``-s``) and is
written up in docs/operations.md, "Faults".
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime
from typing import Any

import pytest
import redis

from tests.service.conftest import ORIGINAL_ENV, POSTGRES_URL, postgres_problem, require
from tests.service.live import PYTHON, ROOT, OwnRedis, Stack, start_stack
from tests.service.test_live import expected, finished, stable
from tests.service.test_shard_live import query, submit, wait_until

STALE_S, REAPER_S, REDISPATCH_S = 4.0, 1.0, 2.0  # stale: 8 heartbeats on a busy machine
CLOCKS = {
    "JOST_HEARTBEAT_S": "0.5",
    "JOST_STALE_AFTER_S": str(STALE_S),
    "JOST_REAPER_INTERVAL_S": str(REAPER_S),
    "JOST_PENDING_REDISPATCH_S": str(REDISPATCH_S),
    "JOST_SHARD_ROUNDS": "1000000000",  # whole jobs only: one message each
}
BUSY_ROUNDS = 60_000_000  # about 7 s on one core: longer than the stale window
SMALL_ROUNDS = 20_000


def busy(seed: int) -> dict[str, Any]:
    return {"simulation": {"rounds": BUSY_ROUNDS, "seed": seed}}


def small(seed: int) -> dict[str, Any]:
    return {"simulation": {"rounds": SMALL_ROUNDS, "seed": seed}}


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory) -> OwnRedis:
    server = OwnRedis(tmp_path_factory.mktemp("own-redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def fault_stack(own_redis, tmp_path_factory) -> Stack:
    require(postgres_problem())
    live = start_stack(
        "postgres-redis",
        tmp_path_factory.mktemp("live-faults"),
        base_env=ORIGINAL_ENV,
        postgres_url=POSTGRES_URL,
        redis_url=own_redis.url,
        label="-faults",
        settings=CLOCKS,
        workers=2,
        beat=False,
    )
    try:
        wait_until(lambda: all(_ready(live, i) for i in range(2)), 60, live)
    except BaseException:
        live.stop()
        raise
    yield live
    if not own_redis.alive():
        own_redis.start()  # the stack's clean-up forgets its queues there
    live.stop()


def _ready(stack: Stack, index: int) -> bool:
    log = stack.folder / f"worker{index}.log"
    return log.exists() and " ready." in log.read_text(errors="replace")


def _kinds(status: dict) -> list[str]:
    return [event["kind"] for event in status["events"]]


def _ran_once(stack: Stack, job_id: str, config: dict, *, compare: bool = True) -> dict:
    status = stack.call("GET", f"/api/status/{job_id}/").body
    assert status["status"] == "COMPLETE", status
    assert status["attempts"] == 1, status  # claimed once: never run twice
    assert _kinds(status) == ["started", "completed"], status
    if compare:
        assert stable(status["result"]) == expected(config)
    return status


def test_a_web_process_dying_between_commit_and_send_strands_no_job(fault_stack):
    """The web process commits the job and dies as it would send the message: the reaper
    finds no message on the broker and sends it within the window."""
    config = small(501)
    die_at_send = (
        "import os, django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "from service.simulator import services\n"
        "services.job_dispatch = lambda *args: os._exit(9)\n"
        "alice = get_user_model().objects.get(username='alice')\n"
        f"services.job_submit(owner=alice, data={config!r}, idempotency_key='web-death')\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", die_at_send], cwd=ROOT, env=fault_stack.env, timeout=60, capture_output=True
    )
    assert done.returncode == 9, done.stderr.decode(errors="replace")
    committed = time.monotonic()
    ((job_id, queued_at),) = query(
        fault_stack,
        "SELECT id, queued_at FROM simulator_simulationjob WHERE idempotency_key = 'web-death'",
    )
    assert queued_at is not None  # committed as queued, but no message was ever sent
    fault_stack.wait_for(str(job_id), finished, timeout=30)
    waited = time.monotonic() - committed
    _ran_once(fault_stack, str(job_id), config)
    print(f"\nweb death between commit and send: COMPLETE {waited:.1f} s after the commit")
    assert waited < REDISPATCH_S + 2 * REAPER_S + 10


def test_a_broker_restart_loses_no_job_and_the_api_keeps_answering(fault_stack, own_redis):
    """Both workers busy, ten jobs waiting on the queue; Redis is killed and restarts empty.
    Meanwhile the ledger is read from PostgreSQL and a submit is accepted (or refused with
    503 + Retry-After), never lost. Afterwards every job completes exactly once, and the two
    slow jobs, alive for longer than the stale window, are not run again."""
    slow = {submit(fault_stack, busy(seed)): busy(seed) for seed in (601, 602)}
    for job_id in slow:
        fault_stack.wait_for(job_id, lambda s: s["status"] == "RUNNING", timeout=30)
    waiting = {submit(fault_stack, small(seed)): small(seed) for seed in range(610, 620)}
    queue, name = redis.Redis.from_url(own_redis.url), fault_stack.env["JOST_QUEUE"]
    assert queue.llen(name) == 10  # held by the broker only
    time.sleep(REDISPATCH_S + 1.5 * REAPER_S)
    assert queue.llen(name) == 10  # held messages past the window are not sent twice

    own_redis.kill()
    outage = time.monotonic()
    some_job = next(iter(waiting))
    for path in (f"/api/status/{some_job}/", "/api/jobs/", "/api/defaults/"):
        reply = fault_stack.call("GET", path)
        assert reply.status == 200, (path, reply.status, reply.body)
    during = fault_stack.call("POST", "/api/submit/", small(699))
    if during.status == 202:
        waiting[during.body["job_id"]] = small(699)
    else:
        assert during.status == 503 and "Retry-After" in during.headers, during
    ready = fault_stack.call("GET", "/readyz", user=None)
    assert ready.status == 503 and ready.body["checks"]["broker"] != "ok", ready.body
    own_redis.start()  # empty: every message it held is gone
    restarted = time.monotonic()

    for job_id in [*slow, *waiting]:
        fault_stack.wait_for(job_id, finished, timeout=60)
    recovered = time.monotonic() - restarted
    for job_id, config in waiting.items():
        _ran_once(fault_stack, job_id, config)
    resent = query(
        fault_stack,
        "SELECT count(*) FROM simulator_simulationjob WHERE id = ANY(%s::uuid[]) "
        "AND queued_at > created_at + interval '1 second'",
        list(waiting),
    )
    assert resent == [(len(waiting),)]  # each sent again by the reaper, none lost
    for job_id, config in slow.items():
        status = _ran_once(fault_stack, job_id, config, compare=False)
        assert status["result"]["rounds"] == BUSY_ROUNDS
        assert _seconds(status["finished_at"]) - _seconds(status["started_at"]) > STALE_S
    print(
        f"\nbroker killed and restarted empty ({restarted - outage:.1f} s down): "
        f"{len(waiting)} waiting jobs all COMPLETE {recovered:.1f} s after the restart, "
        f"none lost, none run twice; submit during the outage: {during.status}"
    )
    assert recovered < 45


def test_a_killed_worker_job_resumes_on_the_other_worker_without_beat(fault_stack):
    """SIGKILL the worker running a job (no beat runs anywhere): the surviving worker's reaper
    re-queues it after the stale window and runs it to the end."""
    config = busy(701)
    job_id = submit(fault_stack, config)
    status = fault_stack.wait_for(job_id, lambda s: s["status"] == "RUNNING", timeout=30)
    runner = status["events"][0]["message"]  # "w<index>-<pid>@host/<pid>"
    index = int(runner.split("-", 1)[0].removeprefix("w"))
    os.killpg(fault_stack.workers[index].pid, signal.SIGKILL)
    fault_stack.workers[index].wait(timeout=10)
    killed = time.monotonic()
    fault_stack.wait_for(job_id, lambda s: s["attempts"] >= 2, timeout=30)
    resumed = time.monotonic() - killed
    status = fault_stack.wait_for(job_id, finished, timeout=60)
    assert status["status"] == "COMPLETE", status
    assert status["result"]["rounds"] == BUSY_ROUNDS
    assert _kinds(status) == ["started", "requeued", "started", "completed"], status
    assert status["events"][2]["message"] != runner  # the other worker
    assert fault_stack.call("GET", "/readyz", user=None).status == 200  # a reaper still runs
    print(f"\nworker SIGKILL: the job ran again {resumed:.1f} s after the kill")
    assert resumed < STALE_S + 2 * REAPER_S + 4


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()
